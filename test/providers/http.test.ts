// HttpProvider against a real local OpenAI-compatible server: retries on 429/5xx with Retry-After,
// timeouts, malformed JSON, non-retryable 4xx, prefill bodies, the concurrency cap and usage accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpProvider, ProviderError } from '../../src/providers/index.js';
import { startFakeServer, chatOk, textOk } from './fake-openai-server.js';

const noWait = { sleep: async () => {}, random: () => 0.5 };

test('429 twice then 200: two retries, Retry-After used as the wait, usage recorded', async () => {
  const srv = await startFakeServer((_r, n) =>
    n < 2 ? { status: 429, headers: { 'retry-after': '3' }, json: { error: { message: 'slow down' } } } : chatOk('hello'));
  try {
    const waits: number[] = [];
    const p = new HttpProvider({ baseURL: srv.url, model: 'm', ...noWait, onRetry: (i) => waits.push(i.delayMs) });
    const out = await p.generate({ messages: [{ role: 'user', content: 'hi' }], params: { temperature: 0, maxTokens: 5 } });
    assert.equal(out.text, 'hello');
    assert.equal(out.finishReason, 'stop');
    assert.deepEqual(out.usage, { promptTokens: 7, completionTokens: 3 });
    assert.equal(srv.requests.length, 3);
    assert.deepEqual(waits, [3000, 3000]);
    assert.equal(p.stats.retries, 2);
    assert.equal(p.stats.attempts, 3);
    assert.equal(p.stats.promptTokens, 7);
    assert.equal(srv.requests[0]!.path, '/v1/chat/completions');
    assert.equal(srv.requests[0]!.body.model, 'm');
    assert.equal(srv.requests[0]!.body.max_tokens, 5);
    assert.equal(srv.requests[0]!.body.temperature, 0);
  } finally { await srv.close(); }
});

test('Retry-After is capped by maxDelayMs; without it the wait is exponential backoff', async () => {
  const srv = await startFakeServer((_r, n) =>
    n === 0 ? { status: 429, headers: { 'retry-after': '600' }, json: {} }
    : n < 3 ? { status: 503, json: { error: { message: 'busy' } } } : chatOk('ok'));
  try {
    const waits: number[] = [];
    const p = new HttpProvider({
      baseURL: srv.url, model: 'm', ...noWait, random: () => 1,
      retry: { baseDelayMs: 100, maxDelayMs: 5000, maxRetries: 5 }, onRetry: (i) => waits.push(i.delayMs),
    });
    const out = await p.generate({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(out.text, 'ok');
    // attempt 0 -> Retry-After capped at 5000; attempts 1, 2 -> 100·2^1, 100·2^2 (random()=1 gives the full d)
    assert.deepEqual(waits, [5000, 200, 400]);
  } finally { await srv.close(); }
});

test('persistent 500s: gives up after maxRetries+1 attempts with a ProviderError naming the status', async () => {
  const srv = await startFakeServer(() => ({ status: 500, json: { error: { message: 'boom' } } }));
  try {
    const p = new HttpProvider({ baseURL: srv.url, model: 'm', ...noWait, retry: { maxRetries: 3 } });
    await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.info.status, 500);
      assert.equal(e.info.attempts, 4);
      assert.match(e.message, /HTTP 500/);
      assert.match(e.message, /gave up after 4 attempts/);
      return true;
    });
    assert.equal(srv.requests.length, 4);
    assert.equal(p.stats.failures, 1);
  } finally { await srv.close(); }
});

test('400 is not retried', async () => {
  const srv = await startFakeServer(() => ({ status: 400, json: { error: { message: 'bad field max_tokens' } } }));
  try {
    const p = new HttpProvider({ baseURL: srv.url, model: 'm', ...noWait });
    await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }] }), /HTTP 400.*bad field/);
    assert.equal(srv.requests.length, 1);
  } finally { await srv.close(); }
});

test('a slow server triggers the per-request timeout, then a retry succeeds', async () => {
  const srv = await startFakeServer((_r, n) => (n === 0 ? { ...chatOk('late'), delayMs: 5000 } : chatOk('fast')));
  try {
    const reasons: string[] = [];
    const p = new HttpProvider({ baseURL: srv.url, model: 'm', timeoutMs: 150, ...noWait, onRetry: (i) => reasons.push(i.reason) });
    const out = await p.generate({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(out.text, 'fast');
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /timed out|timeout|connection/i);
  } finally { await srv.close(); }
});

test('a slow server with no retries left fails with a timeout error', async () => {
  const srv = await startFakeServer(() => ({ ...chatOk('late'), delayMs: 5000 }));
  try {
    const p = new HttpProvider({ baseURL: srv.url, model: 'm', timeoutMs: 100, ...noWait, retry: { maxRetries: 1 } });
    await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.info.attempts, 2);
      assert.match(e.message, /time/i);
      return true;
    });
  } finally { await srv.close(); }
});

test('malformed JSON from the server is an error (retried), never a silent empty answer', async () => {
  const srv = await startFakeServer((_r, n) => (n === 0 ? { raw: '{"choices": [ {"message": ' } : chatOk('fine')));
  try {
    const p = new HttpProvider({ baseURL: srv.url, model: 'm', ...noWait });
    const out = await p.generate({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(out.text, 'fine');
    assert.equal(p.stats.retries, 1);
  } finally { await srv.close(); }
  const srv2 = await startFakeServer(() => ({ json: { choices: [] } }));
  try {
    const p = new HttpProvider({ baseURL: srv2.url, model: 'm', ...noWait, retry: { maxRetries: 0 } });
    await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }] }), /malformed response/);
  } finally { await srv2.close(); }
});

test('connection refused is retried and then reported', async () => {
  const srv = await startFakeServer(() => chatOk('x'));
  const url = srv.url;
  await srv.close();
  const p = new HttpProvider({ baseURL: url, model: 'm', ...noWait, retry: { maxRetries: 2 } });
  await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
    assert.ok(e instanceof ProviderError);
    assert.equal(e.info.attempts, 3);
    assert.match(e.message, /connection/i);
    return true;
  });
});

test('concurrency limit: the server never sees more than `concurrency` requests at once', async () => {
  const srv = await startFakeServer((r) => ({ ...chatOk(String(r.body.messages[0].content)), delayMs: 20 }));
  try {
    const p = new HttpProvider({ baseURL: srv.url, model: 'm', concurrency: 3 });
    const outs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => p.generate({ messages: [{ role: 'user', content: `q${i}` }] })));
    assert.deepEqual(outs.map((o) => o.text), Array.from({ length: 12 }, (_, i) => `q${i}`));
    assert.equal(srv.requests.length, 12);
    assert.ok(srv.maxInFlight <= 3, `server saw ${srv.maxInFlight} in flight`);
    assert.equal(p.stats.maxInFlight, 3);
    assert.equal(p.stats.completionTokens, 36);
  } finally { await srv.close(); }
});

test('chat prefill continues the assistant message (vLLM flags); openai dialect sends no extra fields', async () => {
  const srv = await startFakeServer(() => chatOk(' 42</answer>'));
  try {
    const p = new HttpProvider({ baseURL: srv.url, model: 'm' });
    const out = await p.generate({
      messages: [{ role: 'user', content: 'q' }], prefill: 'My final answer is <answer>', params: { topK: 5 },
    });
    assert.equal(out.text, ' 42</answer>');
    const b = srv.requests[0]!.body;
    assert.deepEqual(b.messages.at(-1), { role: 'assistant', content: 'My final answer is <answer>' });
    assert.equal(b.continue_final_message, true);
    assert.equal(b.add_generation_prompt, false);
    assert.equal(b.top_k, 5);
    const o = new HttpProvider({ baseURL: srv.url, model: 'm', dialect: 'openai' });
    await o.generate({ messages: [{ role: 'user', content: 'q' }], prefill: 'P', params: { topK: 5 } });
    const b2 = srv.requests[1]!.body;
    assert.equal(b2.continue_final_message, undefined);
    assert.equal(b2.top_k, undefined);
    assert.deepEqual(b2.messages.at(-1), { role: 'assistant', content: 'P' });
  } finally { await srv.close(); }
});

test('raw prompt goes to /v1/completions with the prefill appended; length finish reported', async () => {
  const srv = await startFakeServer(() => textOk(' world', 'length'));
  try {
    const p = new HttpProvider({ baseURL: srv.url, model: 'm' });
    const out = await p.generate({ prompt: 'hello', prefill: ' big', params: { stop: ['\n'], seed: 3 } });
    assert.equal(out.text, ' world');
    assert.equal(out.finishReason, 'length');
    assert.equal(srv.requests[0]!.path, '/v1/completions');
    assert.equal(srv.requests[0]!.body.prompt, 'hello big');
    assert.deepEqual(srv.requests[0]!.body.stop, ['\n']);
    assert.equal(srv.requests[0]!.body.seed, 3);
    await assert.rejects(p.generate({}), /exactly one of 'messages' or 'prompt'/);
  } finally { await srv.close(); }
});
