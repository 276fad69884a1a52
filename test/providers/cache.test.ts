// Disk cache through createProvider against a real local server: hits and misses, sample index in
// the key, errors never cached, --no-cache authoritative, atomic files; and provider-string parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createProvider, parseProviderSpec, cacheKey, registerLocalProviderFactory, registerScriptedProvider,
  ScriptedProvider, CachedProvider,
} from '../../src/providers/index.js';
import { startFakeServer, chatOk } from './fake-openai-server.js';

const fastHttp = { sleep: async () => {}, random: () => 0.5 };
const ask = (content: string, sampleIndex = 0) => ({
  messages: [{ role: 'user' as const, content }], params: { temperature: 0.7, maxTokens: 16 }, sampleIndex,
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'gb-cache-'));
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) out.push(...listFiles(join(dir, d.name)).map((f) => join(d.name, f)));
    else out.push(d.name);
  }
  return out;
}

test('cache: second identical request is a hit and never reaches the server; sampleIndex is in the key', async () => {
  let n = 0;
  const srv = await startFakeServer(() => chatOk(`answer ${n++}`));
  const dir = tmp();
  try {
    const p = await createProvider(`${srv.url}#m`, { cacheDir: dir, http: fastHttp });
    assert.ok(p instanceof CachedProvider);
    const a = await p.generate(ask('q'));
    const b = await p.generate(ask('q'));
    assert.equal(a.cached, false);
    assert.equal(b.cached, true);
    assert.equal(b.text, a.text);
    assert.deepEqual(b.usage, a.usage);
    assert.equal(srv.requests.length, 1);
    const c = await p.generate(ask('q', 1));
    assert.equal(c.cached, false);
    assert.notEqual(c.text, a.text);
    assert.equal(srv.requests.length, 2);
    // a different parameter is a different key
    await p.generate({ ...ask('q'), params: { temperature: 0.7, maxTokens: 17 } });
    assert.equal(srv.requests.length, 3);
    // a fresh provider over the same folder reads the files back
    const p2 = await createProvider(`${srv.url}#m`, { cacheDir: dir, http: fastHttp });
    assert.equal((await p2.generate(ask('q'))).cached, true);
    assert.equal(srv.requests.length, 3);
    const files = listFiles(dir);
    assert.equal(files.length, 3);
    assert.ok(files.every((f) => f.endsWith('.json')), 'no temp files left behind');
    const key = cacheKey('m', ask('q'));
    const stored = JSON.parse(readFileSync(join(dir, key.slice(0, 2), `${key}.json`), 'utf8'));
    assert.equal(stored.completion.text, a.text);
    assert.equal(stored.completion.cached, undefined);
  } finally { await srv.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('cache: errors are never cached; the next call goes to the server and stores the success', async () => {
  let fail = true;
  const srv = await startFakeServer(() => (fail ? { status: 500, json: { error: { message: 'down' } } } : chatOk('up')));
  const dir = tmp();
  try {
    const p = await createProvider(`${srv.url}#m`, { cacheDir: dir, maxRetries: 1, http: fastHttp });
    await assert.rejects(p.generate(ask('q')), /HTTP 500/);
    assert.equal(readdirSync(dir).length, 0);
    fail = false;
    const ok = await p.generate(ask('q'));
    assert.equal(ok.text, 'up');
    assert.equal(ok.cached, false);
    assert.equal((await p.generate(ask('q'))).cached, true);
  } finally { await srv.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('noCache is authoritative: existing entries are not read and nothing is written', async () => {
  let n = 0;
  const srv = await startFakeServer(() => chatOk(`fresh ${n++}`));
  const dir = tmp();
  try {
    const cached = await createProvider(`${srv.url}#m`, { cacheDir: dir, http: fastHttp });
    await cached.generate(ask('q'));
    const before = listFiles(dir);
    const p = await createProvider(`${srv.url}#m`, { cacheDir: dir, noCache: true, http: fastHttp });
    const a = await p.generate(ask('q'));
    const b = await p.generate(ask('other'));
    assert.equal(a.text, 'fresh 1');
    assert.equal(b.text, 'fresh 2');
    assert.notEqual(a.cached, true);
    assert.equal(srv.requests.length, 3);
    assert.deepEqual(listFiles(dir), before);
  } finally { await srv.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('concurrent writers of the same key leave exactly one whole file', async () => {
  const dir = tmp();
  try {
    const inner = new ScriptedProvider(async () => ({ text: 'same', finishReason: 'stop' }));
    const providers = Array.from({ length: 8 }, () => new CachedProvider(inner, { dir }));
    await Promise.all(providers.map((p) => p.generate(ask('k'))));
    const files = listFiles(dir);
    assert.equal(files.length, 1);
    const key = cacheKey('scripted', ask('k'));
    assert.equal(JSON.parse(readFileSync(join(dir, key.slice(0, 2), `${key}.json`), 'utf8')).completion.text, 'same');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('cacheKey ignores object key order but not content', () => {
  const a = cacheKey('m', { messages: [{ role: 'user', content: 'x' }], params: { temperature: 1, maxTokens: 2 } });
  const b = cacheKey('m', { params: { maxTokens: 2, temperature: 1 }, messages: [{ content: 'x', role: 'user' }] });
  assert.equal(a, b);
  assert.notEqual(a, cacheKey('m2', { messages: [{ role: 'user', content: 'x' }], params: { temperature: 1, maxTokens: 2 } }));
  assert.notEqual(a, cacheKey('m', { messages: [{ role: 'user', content: 'x' }], params: { temperature: 1, maxTokens: 2 }, prefill: 'p' }));
  assert.notEqual(a, cacheKey('m', { prompt: 'x', params: { temperature: 1, maxTokens: 2 } }));
});

test('provider strings: http, openai, local, scripted and errors', async () => {
  assert.deepEqual(parseProviderSpec('http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B'),
    { kind: 'http', model: 'Qwen/Qwen2.5-7B', baseURL: 'http://127.0.0.1:8000/v1' });
  assert.deepEqual(parseProviderSpec('openai:gpt-4o-mini'), { kind: 'openai', model: 'gpt-4o-mini' });
  assert.deepEqual(parseProviderSpec('local:./models/q'), { kind: 'local', model: './models/q' });
  assert.throws(() => parseProviderSpec('http://127.0.0.1:8000/v1'), /name the model after '#'/);
  assert.throws(() => parseProviderSpec('vllm:foo'), /not understood/);
  await assert.rejects(createProvider('openai:gpt-4o-mini', { env: {} }), /OPENAI_API_KEY/);
  await assert.rejects(createProvider('local:/nowhere', { noCache: true }), /model folder \/nowhere does not exist/);
  registerScriptedProvider('echo', (req) => `echo:${req.messages?.[0]?.content}`);
  const s = await createProvider('scripted:echo');
  assert.equal((await s.generate(ask('hi'))).text, 'echo:hi');
  registerLocalProviderFactory((dir) => new ScriptedProvider(() => 'local!', { id: `local:${dir}`, model: dir }));
  const dir = tmp();
  try {
    const l = await createProvider('local:/m', { cacheDir: dir });
    assert.equal(l.model, '/m');
    assert.equal((await l.generate(ask('x'))).text, 'local!');
  } finally { rmSync(dir, { recursive: true, force: true }); }
  const o = await createProvider('openai:gpt-x', { env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, noCache: true });
  assert.equal(o.id, 'openai:gpt-x');
  assert.equal(o.model, 'gpt-x');
});
