// Reward server over real loopback HTTP: OpenRLHF /get_reward, verl /compute_score, /health, validation
// messages naming the field, 404/405/413/408, fuzzed malformed bodies all 4xx while it keeps serving,
// and concurrent load with every answer right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { startRewardServer, completionOf, DEFAULT_STRIP_TOKENS } from '../../src/calibrate/server.js';
import { numericChecker } from '../../src/calibrate/check.js';

const good = (ans: string, q: string) =>
  `<think>reasoning</think><answer>${ans}</answer> <analysis>checked it</analysis> <confidence>${q}</confidence>`;

async function post(url: string, body: unknown, raw = false): Promise<{ status: number; json: any }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  const text = await r.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: r.status, json };
}

test('/get_reward: RLCR rewards, correctness scores and extra_logs; prompt prefix and EOS stripped', async () => {
  const s = await startRewardServer();
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const prompt = '<|im_start|>user\nPROBLEM: capital of France?<|im_end|>\n<|im_start|>assistant\n';
    const r = await post(`${s.url}/get_reward`, {
      query: [prompt + good('Paris', '0.9') + '<|im_end|><|endoftext|>', prompt + good('London', '0.2'), prompt + 'I think Paris', good('the paris', '1')],
      prompts: [prompt, prompt, prompt, 'not a prefix'],
      labels: ['Paris', 'Paris', 'Paris', ['Lyon', 'Paris']],
    });
    assert.equal(r.status, 200);
    const close = (a: number[], b: number[]) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-12, `${x} vs ${b[i]}`));
    close(r.json.rewards, [1 - 0.01, -0.04, -2, 1]);
    assert.deepEqual(r.json.scores, [1, 0, 0, 1]);
    assert.deepEqual(r.json.extra_logs.format, [1, 1, 0, 1]);
    assert.deepEqual(r.json.extra_logs.correct, [1, 0, 0, 1]);
    close(r.json.extra_logs.confidence, [0.9, 0.2, 0, 1]);
    close(r.json.extra_logs.brier, [0.01, 0.04, 1, 0]);
  } finally { await s.close(); }
});

test('/get_reward with rlvr on format ta logs no confidence; numeric checker is used when given', async () => {
  const s = await startRewardServer({ format: 'ta', reward: 'rlvr', checker: numericChecker() });
  try {
    const r = await post(`${s.url}/get_reward`, {
      query: ['<think>..</think><answer>\\frac{1}{2}</answer>', '<think>..</think><answer>0.4</answer>', 'junk'],
      labels: ['0.5', '0.5', '0.5'],
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.rewards, [1, 0, -1]);
    assert.equal(r.json.extra_logs.brier, undefined);
    await assert.rejects(startRewardServer({ format: 'ta', reward: 'rlcr' }), /needs a format with a confidence/);
  } finally { await s.close(); }
});

test('/compute_score: single item and batch; /health', async () => {
  const s = await startRewardServer({ checkerName: 'exact' });
  try {
    const one = await post(`${s.url}/compute_score`, { data_source: 'hotpot', solution_str: good('Paris', '0.5'), ground_truth: 'Paris', extra_info: { question: 'q' } });
    assert.equal(one.status, 200);
    assert.equal(one.json.score, 0.75);
    assert.equal(one.json.correct, 1);
    assert.equal(one.json.brier, 0.25);
    assert.equal(one.json.confidence, 0.5);
    assert.equal(one.json.answer, 'Paris');
    const batch = await post(`${s.url}/compute_score`, [
      { solution_str: good('Rome', '0'), ground_truth: 'Paris' },
      { solution_str: 'nothing', ground_truth: ['Paris'], extra_info: null },
    ]);
    assert.equal(batch.status, 200);
    assert.deepEqual(batch.json.map((x: any) => x.score), [0, -2]);
    assert.deepEqual(batch.json.map((x: any) => x.format), [1, 0]);
    const h = await fetch(`${s.url}/health`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok', format: 'tabc', reward: 'rlcr', checker: 'exact' });
  } finally { await s.close(); }
});

test('validation: 400 naming the field; 404; 405 with Allow; 413 over the body limit', async () => {
  const s = await startRewardServer({ bodyLimit: 2000 });
  try {
    let r = await post(`${s.url}/get_reward`, { query: ['a', 7], labels: ['x', 'y'] });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /^query\.1: /);
    r = await post(`${s.url}/get_reward`, { query: ['a'] });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /^labels: /);
    r = await post(`${s.url}/get_reward`, { query: ['a', 'b'], labels: ['x'] });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /labels: has 1 entries but query has 2/);
    r = await post(`${s.url}/get_reward`, { query: ['a'], prompts: [], labels: ['x'] });
    assert.match(r.json.error, /prompts: has 0 entries/);
    r = await post(`${s.url}/get_reward`, '{"query": [', true);
    assert.equal(r.status, 400);
    assert.match(r.json.error, /not valid JSON/);
    r = await post(`${s.url}/compute_score`, { solution_str: 'x' });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /^ground_truth: /);
    r = await post(`${s.url}/compute_score`, [{ solution_str: 'x', ground_truth: 'y' }, { solution_str: 3, ground_truth: 'y' }]);
    assert.equal(r.status, 400);
    assert.match(r.json.error, /^1\.solution_str: /);
    r = await post(`${s.url}/get_reward`, { query: [], labels: [] });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /^query: /);
    r = await post(`${s.url}/compute_score`, []);
    assert.equal(r.status, 400);
    r = await post(`${s.url}/nope`, {});
    assert.equal(r.status, 404);
    const g = await fetch(`${s.url}/get_reward`);
    assert.equal(g.status, 405);
    assert.equal(g.headers.get('allow'), 'POST');
    r = await post(`${s.url}/get_reward`, { query: ['x'.repeat(5000)], labels: ['y'] });
    assert.equal(r.status, 413);
    assert.match(r.json.error, /over the limit of 2000 bytes/);
    // still serving after all of that
    r = await post(`${s.url}/get_reward`, { query: [good('a', '1')], labels: ['a'] });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.rewards, [1]);
    assert.equal(s.stats.serverErrors, 0);
  } finally { await s.close(); }
});

test('413 on a chunked upload with no content-length: the server stops reading and answers', async () => {
  const s = await startRewardServer({ bodyLimit: 1000 });
  try {
    const status = await new Promise<string>((resolve, reject) => {
      const sock = connect(s.port, '127.0.0.1', () => {
        sock.write('POST /get_reward HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n');
        const chunk = 'a'.repeat(600);
        for (let i = 0; i < 3; i++) sock.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      });
      let got = '';
      sock.on('data', (d) => { got += d.toString(); if (got.includes('\r\n')) { resolve(got.split('\r\n')[0]!); sock.destroy(); } });
      sock.on('error', reject);
    });
    assert.match(status, /^HTTP\/1\.1 413/);
    const h = await fetch(`${s.url}/health`);
    assert.equal(h.status, 200);
  } finally { await s.close(); }
});

test('a client that stalls mid-body gets 408 and the server keeps serving', async () => {
  const s = await startRewardServer({ requestTimeoutMs: 200 });
  try {
    const status = await new Promise<string>((resolve, reject) => {
      const sock = connect(s.port, '127.0.0.1', () => {
        sock.write('POST /get_reward HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"query"');
      });
      let got = '';
      sock.on('data', (d) => { got += d.toString(); });
      sock.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
      sock.on('error', reject);
    });
    assert.match(status, /^HTTP\/1\.1 408/);
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
  } finally { await s.close(); }
});

test('fuzz: arbitrary malformed bodies all get 4xx and the server keeps serving', async () => {
  const s = await startRewardServer({ bodyLimit: 4096 });
  try {
    const notValid = fc.oneof(
      fc.string(), // raw text, mostly not JSON
      fc.jsonValue().map((v) => JSON.stringify(v)), // valid JSON of the wrong shape
      fc.record({ query: fc.anything(), labels: fc.anything(), prompts: fc.anything() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.record({ solution_str: fc.anything(), ground_truth: fc.anything() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.string({ minLength: 4100, maxLength: 5000 }),
    );
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/get_reward', '/compute_score'), notValid, async (path, body) => {
        const r = await fetch(`${s.url}${path}`, { method: 'POST', body });
        await r.arrayBuffer();
        seen.add(r.status);
        return r.status >= 400 && r.status < 500;
      }),
      { numRuns: 300, seed: 42 },
    );
    assert.ok(seen.has(400));
    assert.equal(s.stats.serverErrors, 0);
    const ok = await post(`${s.url}/get_reward`, { query: [good('x', '0.5')], labels: ['x'] });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.rewards, [0.75]);
  } finally { await s.close(); }
});

test('concurrent load: 200 requests of 64 completions in parallel, every answer right', async () => {
  const s = await startRewardServer();
  try {
    const batch = (k: number) => ({
      query: Array.from({ length: 64 }, (_, i) => good(i % 2 ? 'yes' : 'no', String(((i + k) % 11) / 10))),
      labels: Array.from({ length: 64 }, () => 'yes'),
    });
    const outs = await Promise.all(Array.from({ length: 200 }, (_, k) => post(`${s.url}/get_reward`, batch(k))));
    for (const [k, r] of outs.entries()) {
      assert.equal(r.status, 200);
      r.json.rewards.forEach((x: number, i: number) => {
        const q = ((i + k) % 11) / 10;
        const c = i % 2 ? 1 : 0;
        assert.ok(Math.abs(x - (c - (q - c) ** 2)) < 1e-12);
      });
    }
    assert.equal(s.stats.scored, 200 * 64);
  } finally { await s.close(); }
});

test('completionOf: prompt prefix, left padding and trailing special tokens', () => {
  assert.equal(completionOf('PROMPTabc', 'PROMPT', DEFAULT_STRIP_TOKENS), 'abc');
  assert.equal(completionOf('<pad><pad>PROMPTabc<|im_end|>\n<|endoftext|><|endoftext|>', 'PROMPT', DEFAULT_STRIP_TOKENS), 'abc');
  assert.equal(completionOf('abc', 'zzz', DEFAULT_STRIP_TOKENS), 'abc');
  assert.equal(completionOf('abc</s>', undefined, []), 'abc</s>');
});
