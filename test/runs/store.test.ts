// The run store: create/log/finish/list/delete, paging through the sparse index, prefix lookup, torn
// trailing lines, a SIGKILLed writer reconciled as failed, and a reader racing a writer process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, RunNotFoundError, RunStoreError, type RunStore } from '../../src/runs/index.js';

const CHILD = join(import.meta.dirname, 'helpers', 'writer-child.ts');

function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'gbx-store-'));
}

function withStore(fn: (store: RunStore, home: string) => void | Promise<void>) {
  return async () => {
    const home = tempHome();
    const store = openStore(home);
    try {
      await fn(store, home);
    } finally {
      store.close();
      rmSync(home, { recursive: true, force: true });
    }
  };
}

test('create, log, summary, artifacts, finish, list, get', withStore((store, home) => {
  const w = store.createRun({ kind: 'calibrate-eval', name: 'first', config: { model: 'm', data: 'd' }, seed: 42 });
  assert.match(w.id, /^[0-9a-f]{12}$/);
  assert.equal(w.dir, join(home, 'runs', w.id));
  for (let i = 0; i < 10; i++) w.log({ type: 'sample', index: i, question: `q${i}`, completion: 'c', answer: 'a', confidence: i / 10, correct: i % 2 === 0 });
  let info = store.getRun(w.id)!;
  assert.equal(info.status, 'running');
  w.setSummary({ metrics: { accuracy: 0.5 } });
  w.addArtifact('report', 'report.html');
  w.finish('completed');
  info = store.getRun(w.id)!;
  assert.equal(info.status, 'completed');
  assert.equal(info.records, 10);
  assert.equal(info.kind, 'calibrate-eval');
  assert.equal(info.name, 'first');
  assert.deepEqual(info.config, { model: 'm', data: 'd' });
  assert.equal(info.seed, 42);
  assert.deepEqual(info.summary, { metrics: { accuracy: 0.5 } });
  assert.equal(info.artifacts.report, join(process.cwd(), 'report.html'));
  assert.ok(info.finishedAt && info.finishedAt >= info.createdAt);
  assert.equal(info.versions.node, process.versions.node);
  assert.ok(info.versions.glassbox && info.versions.sqlite);
  assert.equal(info.error, null);

  // The log: header first, then one JSON object per line, type first.
  const lines = readFileSync(info.logPath, 'utf8').split('\n');
  assert.equal(lines.at(-1), '');
  const header = JSON.parse(lines[0]!);
  assert.equal(header.type, 'header');
  assert.equal(header.id, w.id);
  assert.deepEqual(header.config, { model: 'm', data: 'd' });
  assert.equal(header.seed, 42);
  assert.ok('gitSha' in header && header.versions.node === process.versions.node && header.createdAt === info.createdAt);
  assert.equal(lines.length, 12);
  assert.ok(lines[1]!.startsWith('{"type":"sample"'));

  assert.throws(() => w.log({ type: 'sample' }), /finished/);
  assert.throws(() => w.finish('completed'), /already finished/);
  assert.deepEqual(store.readHeader(w.id)?.id, w.id);
}));

test('listRuns filters, sorts and limits; getRun takes a prefix or a name', withStore((store) => {
  const a = store.createRun({ kind: 'calibrate-eval', name: 'alpha', config: {} });
  a.finish('completed');
  const b = store.createRun({ kind: 'train', name: 'beta', config: {} });
  b.log({ type: 'step', step: 0, loss: 1 });
  b.finish('failed', new Error('out of memory'));
  const c = store.createRun({ kind: 'train', config: {} });
  assert.deepEqual(store.listRuns({ kind: 'train' }).map((r) => r.id).sort(), [b.id, c.id].sort());
  assert.deepEqual(store.listRuns({ status: 'failed' }).map((r) => r.id), [b.id]);
  assert.equal(store.listRuns({ status: 'failed' })[0]!.error, 'out of memory');
  assert.deepEqual(store.listRuns({ text: 'alp' }).map((r) => r.id), [a.id]);
  assert.deepEqual(store.listRuns({ sort: 'name', order: 'asc' }).map((r) => r.name), [null, 'alpha', 'beta']);
  assert.equal(store.listRuns({ limit: 2 }).length, 2);
  assert.equal(store.countRuns({ kind: 'train' }), 2);
  assert.equal(store.getRun(a.id.slice(0, 8))!.id, a.id);
  assert.equal(store.getRun('beta')!.id, b.id);
  assert.equal(store.getRun('nope'), null);
  assert.throws(() => store.readRecords('nope'), RunNotFoundError);
  // '%' and '_' are not wildcards in prefixes or search text
  assert.equal(store.listRuns({ text: '%' }).length, 0);
  c.finish('completed');
}));

test('an ambiguous prefix is an error naming the candidates', withStore((store) => {
  const ids = new Set<string>();
  // ids are random hex: with 40 runs two share a first character with near certainty
  for (let i = 0; i < 40; i++) {
    const w = store.createRun({ kind: 'train', config: {} });
    w.finish('completed');
    ids.add(w.id);
  }
  const firstChars = [...ids].map((id) => id[0]!);
  const dup = firstChars.find((ch, i) => firstChars.indexOf(ch) !== i)!;
  assert.throws(() => store.getRun(dup), (e: Error) => e instanceof RunStoreError && /matches several runs/.test(e.message));
}));

test('readRecords pages through many records, by type, through the sparse index', withStore((store) => {
  const w = store.createRun({ kind: 'calibrate-eval', config: {} });
  const N = 3000;
  for (let i = 0; i < N; i++) w.log(i % 3 === 2 ? { type: 'step', step: i, loss: 1 / (i + 1) } : { type: 'sample', index: i, question: 'q'.repeat(i % 50) });
  // Mid-run, with the writer's index flushed, readers see every record so far
  w.flush();
  assert.equal(store.countRecords(w.id), N);
  w.finish('completed');
  assert.equal(store.countRecords(w.id, 'sample'), 2000);
  assert.equal(store.countRecords(w.id, 'step'), 1000);
  assert.deepEqual(store.recordCounts(w.id), { '': 3000, sample: 2000, step: 1000 });

  const all = store.readRecords(w.id, { offset: 1234, limit: 5 });
  assert.equal(all.total, N);
  assert.deepEqual(all.records.map((r) => r.index ?? r.step), [1234, 1235, 1236, 1237, 1238]);

  const samples = store.readRecords(w.id, { type: 'sample', offset: 1500, limit: 4 });
  assert.equal(samples.total, 2000);
  // sample k is record index floor(k/2)*3 + k%2
  assert.deepEqual(samples.records.map((r) => r.index), [2250, 2251, 2253, 2254]);

  const steps = store.readRecords(w.id, { type: 'step', offset: 998, limit: 10 });
  assert.deepEqual(steps.records.map((r) => r.step), [2996, 2999]);
  assert.equal(store.readRecords(w.id, { offset: N, limit: 10 }).records.length, 0);
  assert.equal(store.readRecords(w.id, { type: 'nothing' }).total, 0);

  // Walking every page reproduces the log exactly
  const seen: number[] = [];
  for (let off = 0; off < 2000; off += 333) seen.push(...store.readRecords(w.id, { type: 'sample', offset: off, limit: 333 }).records.map((r) => r.index as number));
  assert.equal(seen.length, 2000);
  assert.deepEqual(seen.slice(0, 5), [0, 1, 3, 4, 6]);
  assert.ok(seen.every((v, i) => i === 0 || v > seen[i - 1]!));
}));

test('the index is rebuilt from the log when the store never saw the records (and a torn last line is ignored)', withStore((store) => {
  const w = store.createRun({ kind: 'train', config: {} });
  w.finish('completed');
  const log = store.getRun(w.id)!.logPath;
  let text = '';
  for (let i = 0; i < 700; i++) text += JSON.stringify({ loss: i, type: 'step', step: i }) + '\n';
  appendFileSync(log, text + '{"type":"step","step":700,"lo');
  assert.equal(store.countRecords(w.id), 700);
  const page = store.readRecords(w.id, { type: 'step', offset: 690, limit: 50 });
  assert.deepEqual(page.records.map((r) => r.step), [690, 691, 692, 693, 694, 695, 696, 697, 698, 699]);
  // the writer of the torn line completes it: the record appears
  appendFileSync(log, 'ss":700}\n');
  assert.equal(store.countRecords(w.id, 'step'), 701);
  assert.equal(store.readRecords(w.id, { type: 'step', offset: 700 }).records[0]!.loss, 700);
}));

test('deleteRun removes the row, the index and the folder', withStore((store, home) => {
  const w = store.createRun({ kind: 'train', config: {} });
  for (let i = 0; i < 600; i++) w.log({ type: 'step', step: i, loss: 0 });
  assert.throws(() => store.deleteRun(w.id), /still being written/);
  w.finish('completed');
  const dir = w.dir;
  assert.ok(existsSync(dir));
  const removed = store.deleteRun(w.id.slice(0, 6));
  assert.equal(removed.id, w.id);
  assert.equal(store.getRun(w.id), null);
  assert.ok(!existsSync(dir));
  assert.ok(existsSync(join(home, 'runs')));
  assert.equal(store.listRuns().length, 0);
  assert.throws(() => store.deleteRun(w.id), RunNotFoundError);
}));

function spawnWriter(home: string, n: number, mode = ''): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, home, String(n), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = pattern.exec(buf);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing ${pattern}: ${err}`)));
  });
}

test('a writer killed with SIGKILL leaves a readable run, marked failed on reconcile', async () => {
  const home = tempHome();
  try {
    const child = spawnWriter(home, 1_000_000);
    const [, id] = await waitForLine(child, /run ([0-9a-f]+)\n/);
    await waitForLine(child, /progress 500\n/);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const store = openStore(home); // reconciles on open
    try {
      const run = store.getRun(id!)!;
      assert.equal(run.status, 'failed');
      assert.match(run.error ?? '', /died before finishing/);
      assert.ok(run.finishedAt);
      const lines = readFileSync(run.logPath, 'utf8').split('\n');
      const whole = lines.length - 2; // minus header and whatever follows the last '\n'
      assert.ok(whole >= 500, `expected >= 500 records, got ${whole}`);
      assert.equal(run.records, whole);
      assert.equal(store.countRecords(id!), whole);
      // every record reads back, in order, with its payload intact
      let seq = 0;
      for (let off = 0; off < whole; off += 400) {
        for (const r of store.readRecords(id!, { offset: off, limit: 400 }).records) {
          assert.equal(r.seq, seq++);
          assert.equal((r.payload as string).length, r.len);
        }
      }
      assert.equal(seq, whole);
      assert.deepEqual(store.reconcile(), []); // idempotent
    } finally {
      store.close();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a run whose writer is still alive is not reconciled', async () => {
  const home = tempHome();
  const child = spawnWriter(home, 200, 'hang');
  try {
    const [, id] = await waitForLine(child, /run ([0-9a-f]+)\n/);
    await waitForLine(child, /hanging\n/);
    const store = openStore(home);
    try {
      assert.equal(store.getRun(id!)!.status, 'running');
      assert.equal(store.countRecords(id!), 200);
      assert.throws(() => store.deleteRun(id!), /still being written/);
    } finally {
      store.close();
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
});

test('a reader racing a writer process only ever sees whole records', async () => {
  const home = tempHome();
  const N = 6000;
  const child = spawnWriter(home, N);
  try {
    const [, id] = await waitForLine(child, /run ([0-9a-f]+)\n/);
    let exited = false;
    child.once('exit', () => (exited = true));
    const store = openStore(home);
    let reads = 0;
    let lastTotal = 0;
    try {
      while (!exited) {
        const total = store.countRecords(id!);
        assert.ok(total >= lastTotal, 'record count never goes backwards');
        lastTotal = total;
        const page = store.readRecords(id!, { offset: Math.max(0, total - 30), limit: 30 });
        for (const r of page.records) {
          assert.equal((r.payload as string).length, r.len, `record ${String(r.seq)} is whole`);
        }
        assert.ok(page.records.length <= 30);
        if (page.records.length) assert.equal(page.records[0]!.seq, Math.max(0, total - 30));
        reads++;
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(reads > 0);
      const run = store.getRun(id!)!;
      assert.equal(run.status, 'completed');
      assert.equal(store.countRecords(id!), N);
      assert.equal(store.countRecords(id!, 'step'), N / 10);
    } finally {
      store.close();
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
});
