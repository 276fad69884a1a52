// The dashboard server: its JSON API over a store (paging, series, compare), and its refusals: path
// traversal in every encoding, non-GET methods, foreign Host headers; loopback binding by default.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type RunStore } from '../../src/runs/index.js';
import { startViewServer, type ViewServer } from '../../src/lab/view/index.js';
import { writeCalibrationRun, writeTrainingRun, type SyntheticCalibration } from './helpers/synthetic-runs.js';

let home: string;
let store: RunStore;
let server: ViewServer;
let cal: SyntheticCalibration;
let cal2: SyntheticCalibration;
let trainId: string;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'gbx-view-'));
  store = openStore(home);
  cal = writeCalibrationRun(store, { name: 'rlcr-a', items: 50, samplesPerItem: 4, seed: 11 });
  cal2 = writeCalibrationRun(store, { name: 'rlvr-b', items: 50, samplesPerItem: 4, seed: 12, overconfidence: 0.4 });
  trainId = writeTrainingRun(store, { steps: 5000 });
  server = await startViewServer({ store, port: 0 });
});

after(async () => {
  await server.close();
  store.close();
  rmSync(home, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path goes on the wire exactly as given (no client-side normalisation). */
function raw(path: string, opts: { method?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: { Host: opts.host ?? `127.0.0.1:${server.port}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function json<T = Record<string, unknown>>(path: string): Promise<T> {
  const r = await raw(path);
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  assert.match(String(r.headers['content-type']), /application\/json/);
  return JSON.parse(r.body) as T;
}

test('binds loopback by default and serves the page with a strict CSP', async () => {
  assert.equal(server.host, '127.0.0.1');
  assert.equal((server.server.address() as { address: string }).address, '127.0.0.1');
  assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
  const r = await raw('/');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /text\/html/);
  assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.match(r.body, /<div id="app"><\/div>/);
  assert.doesNotMatch(r.body, /<(script|link)[^>]+(src|href)=/, 'no external assets');
});

test('/api/runs filters and sorts; /api/runs/:id returns the run and record counts', async () => {
  const all = await json<{ total: number; kinds: string[]; runs: { id: string; name: string; metrics: unknown }[] }>('/api/runs');
  assert.equal(all.total, 3);
  assert.deepEqual(all.kinds, ['calibrate-eval', 'train']);
  const cals = await json<typeof all>('/api/runs?kind=calibrate-eval&sort=name&order=asc');
  assert.deepEqual(cals.runs.map((r) => r.name), ['rlcr-a', 'rlvr-b']);
  const byText = await json<typeof all>('/api/runs?q=rlvr');
  assert.deepEqual(byText.runs.map((r) => r.id), [cal2.id]);
  assert.deepEqual((await json<{ runs: { metrics: unknown }[] }>(`/api/runs?q=${cal.id}`)).runs[0]!.metrics, cal.summary.metrics);

  const detail = await json<{ run: { id: string; summary: unknown }; counts: Record<string, number> }>(`/api/runs/${cal.id.slice(0, 7)}`);
  assert.equal(detail.run.id, cal.id);
  assert.deepEqual(detail.counts, { '': 200, sample: 200 });
  assert.deepEqual(detail.run.summary, cal.summary);
});

test('records are paged from the log', async () => {
  const p = await json<{ total: number; offset: number; records: { index: number; confidence: number }[] }>(`/api/runs/${cal.id}/records?offset=190&limit=20&type=sample`);
  assert.equal(p.total, 200);
  assert.deepEqual(p.records.map((r) => r.index), [190, 191, 192, 193, 194, 195, 196, 197, 198, 199]);
  assert.deepEqual(p.records.map((r) => r.confidence), cal.records.slice(190).map((r) => r.confidence));
  const big = await json<{ records: unknown[] }>(`/api/runs/${cal.id}/records?limit=100000`);
  assert.equal(big.records.length, 200, 'limit is capped, and 200 < cap');
  assert.equal((await raw(`/api/runs/${cal.id}/records?offset=-1`)).status, 400);
  assert.equal((await raw(`/api/runs/${cal.id}/records?limit=abc`)).status, 400);
});

test('series downsamples step records while streaming; compare lines up metrics', async () => {
  const s = await json<{ total: number; stride: number; points: { step: number; loss: number }[]; fields: string[] }>(`/api/runs/${trainId}/series?type=step&max=1000`);
  assert.equal(s.total, 5000);
  assert.equal(s.stride, 5);
  assert.equal(s.points.length, 1001); // every 5th plus the last
  assert.equal(s.points[1]!.step, 5);
  assert.equal(s.points.at(-1)!.step, 4999);
  assert.deepEqual(s.fields.sort(), ['loss', 'lr', 'reward', 'step']);

  const c = await json<{ a: { id: string }; b: { id: string }; metrics: { name: string; a: unknown; b: unknown; delta: number | null }[] }>(`/api/compare?a=${cal.id}&b=${cal2.id}`);
  assert.equal(c.a.id, cal.id);
  const acc = c.metrics.find((m) => m.name === 'accuracy')!;
  const va = (cal.summary.metrics.accuracy as { value: number }).value;
  const vb = (cal2.summary.metrics.accuracy as { value: number }).value;
  assert.ok(Math.abs(acc.delta! - (vb - va)) < 1e-12);
  assert.equal((await raw('/api/compare?a=' + cal.id)).status, 400);
  assert.equal((await raw(`/api/compare?a=${cal.id}&b=nosuchrun`)).status, 404);
});

test('path traversal and anything outside the API and page are refused', async () => {
  const attempts = [
    '/../store.db',
    '/../../etc/passwd',
    '/%2e%2e/store.db',
    '/%2E%2E/%2E%2E/etc/passwd',
    '/..%2fstore.db',
    '/%2e%2e%2fstore.db',
    '/..%5cstore.db',
    '/%252e%252e/store.db',
    '/api/runs/..',
    '/api/runs/%2e%2e',
    '/api/runs/../../store.db',
    `/api/runs/${cal.id}/../../../store.db`,
    `/api/runs/${cal.id}%2f..%2f..%2fstore.db`,
    '/api/runs/.%2e/records',
    '/./index.html',
    '//etc/passwd',
    '/store.db',
    '/runs',
    `/runs/${cal.id}/log.jsonl`,
    `/api/runs/${cal.id}/log.jsonl`,
    '/index.html%00.json',
    '/%c0%ae%c0%ae/store.db',
    '/api/runs/%ZZ',
  ];
  for (const path of attempts) {
    const r = await raw(path);
    assert.ok(r.status === 400 || r.status === 404, `${path} -> ${r.status}`);
    assert.doesNotMatch(r.body, /SQLite format|"type":"header"|root:/, `${path} leaked data`);
    assert.match(String(r.headers['content-type']), /application\/json/);
  }
});

test('only GET/HEAD, and only for a loopback Host', async () => {
  for (const method of ['POST', 'PUT', 'DELETE']) assert.equal((await raw('/api/runs', { method })).status, 405);
  const head = await raw('/api/runs', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal((await raw('/api/runs', { host: 'evil.example.com' })).status, 403);
  assert.equal((await raw('/api/runs', { host: `localhost:${server.port}` })).status, 200);
  assert.equal((await raw('/api/runs/zzzzzz')).status, 404);
});

test('a non-loopback --host is honoured (and then any Host header is served)', async () => {
  const wide = await startViewServer({ store, port: 0, host: '0.0.0.0' });
  try {
    assert.equal((wide.server.address() as { address: string }).address, '0.0.0.0');
    const r = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: wide.port, path: '/api/runs', headers: { Host: 'lab.internal' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on('error', reject).end();
    });
    assert.equal(r, 200);
  } finally {
    await wide.close();
  }
});
