// The training loop: progress info, gradient accumulation, clipping, schedules, NaN stop that keeps the
// last good checkpoint, in-process resume, and time-budget stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, tensor, mean, square, sub, add, sqrt, slice, scale, type Tensor } from '../../src/engine/index.js';
import {
  AdamW, SGD, train, indexedBatches, linearSchedule, wallClockSchedule, latestCheckpoint, loadCheckpoint,
  TrainingDivergedError, type StepInfo, type NamedParams,
} from '../../src/nn/index.js';
import { makeMlp, disposeAll, maxAbsDiff } from './helpers.js';

/** Deterministic regression batch i: x [8, 6], y [8, 3]. */
function batchData(i: number): { x: number[]; y: number[] } {
  const r = new Rng(1000 + i);
  return { x: Array.from({ length: 48 }, () => r.normal()), y: Array.from({ length: 24 }, () => r.normal()) };
}
const mse = (model: ReturnType<typeof makeMlp>, x: Tensor, y: Tensor) => mean(square(sub(model.forward(x), y)));
const snapshot = (p: NamedParams) => new Map([...p].map(([n, t]) => [n, t.toFlat()]));

test('onStep reports step, loss, scheduled lr, grad norm, tokens and tokens/s', async () => {
  const model = makeMlp(new Rng(1));
  const opt = new AdamW(model.params, { lr: 0.01 });
  const infos: StepInfo[] = [];
  const res = await train({
    params: model.params, optimizer: opt, steps: 5, schedule: linearSchedule({ warmupSteps: 2, totalSteps: 5 }),
    batches: indexedBatches(batchData), tokensOf: () => 8,
    lossFn: (b) => mse(model, tensor(b.x, [8, 6]), tensor(b.y, [8, 3])),
    onStep: (i) => infos.push(i),
  });
  assert.deepEqual(infos.map((i) => i.step), [1, 2, 3, 4, 5]);
  const wantLr = [0, 0.005, 0.01, 0.01 * 2 / 3, 0.01 / 3];
  infos.forEach((info, k) => assert.ok(Math.abs(info.lr - wantLr[k]) < 1e-15, `step ${k + 1}: lr ${info.lr} vs ${wantLr[k]}`));
  assert.ok(infos.every((i) => i.tokens === 8 && i.gradNorm > 0 && Number.isFinite(i.loss) && i.tokensPerSec > 0));
  assert.equal(infos[4].totalTokens, 40);
  assert.deepEqual(res.losses, infos.map((i) => i.loss));
  assert.equal(res.step, 5); assert.equal(res.stoppedBy, 'steps'); assert.equal(res.resumedFrom, null);
  opt.dispose(); disposeAll(model.params);
});

test('gradient accumulation over two half batches equals one full batch (same mean loss)', async () => {
  const full = makeMlp(new Rng(2)), accum = makeMlp(new Rng(2));
  const oF = new SGD(full.params, { lr: 0.1 }), oA = new SGD(accum.params, { lr: 0.1 });
  const rF = await train({
    params: full.params, optimizer: oF, steps: 3, batches: indexedBatches(batchData),
    lossFn: (b) => mse(full, tensor(b.x, [8, 6]), tensor(b.y, [8, 3])),
  });
  // micro-batch j of step s is half (j % 2) of full batch floor(j / 2)
  const rA = await train({
    params: accum.params, optimizer: oA, steps: 3, gradAccum: 2, batches: indexedBatches((j) => ({ ...batchData(Math.floor(j / 2)), half: j % 2 })),
    lossFn: (b) => { const x = slice(tensor(b.x, [8, 6]), 0, 4 * b.half, 4 * b.half + 4), y = slice(tensor(b.y, [8, 3]), 0, 4 * b.half, 4 * b.half + 4); return mse(accum, x, y); },
  });
  for (let s = 0; s < 3; s++) assert.ok(Math.abs(rF.losses[s] - rA.losses[s]) < 1e-5, `step ${s + 1} loss ${rF.losses[s]} vs ${rA.losses[s]}`);
  for (const [n, p] of full.params) assert.ok(maxAbsDiff(p.toFlat(), accum.params.get(n)!.toFlat()) < 1e-6, n);
  oF.dispose(); oA.dispose(); disposeAll(full.params); disposeAll(accum.params);
});

test('clipNorm: SGD moves parameters by exactly lr·clipNorm in norm when the gradient is larger', async () => {
  const model = makeMlp(new Rng(3));
  const opt = new SGD(model.params, { lr: 0.5 });
  const before = snapshot(model.params);
  let norm = 0;
  await train({
    params: model.params, optimizer: opt, steps: 1, clipNorm: 0.01, batches: indexedBatches(batchData),
    lossFn: (b) => scale(mse(model, tensor(b.x, [8, 6]), tensor(b.y, [8, 3])), 100), onStep: (i) => { norm = i.gradNorm; },
  });
  assert.ok(norm > 0.01, `pre-clip norm ${norm} is reported`);
  let moved = 0;
  for (const [n, p] of model.params) { const a = p.toFlat(), b = before.get(n)!; for (let i = 0; i < a.length; i++) moved += (a[i] - b[i]) ** 2; }
  assert.ok(Math.abs(Math.sqrt(moved) - 0.5 * 0.01) < 1e-6, `update norm ${Math.sqrt(moved)}`);
  opt.dispose(); disposeAll(model.params);
});

test('a NaN loss stops training with a clear error and leaves the last good checkpoint intact', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-nan-'));
  try {
    const model = makeMlp(new Rng(4));
    const opt = new AdamW(model.params, { lr: 0.01 });
    let calls = 0;
    await assert.rejects(train({
      params: model.params, optimizer: opt, steps: 20, checkpointDir: dir, checkpointEvery: 3, batches: indexedBatches(batchData),
      lossFn: (b) => { const l = mse(model, tensor(b.x, [8, 6]), tensor(b.y, [8, 3])); return ++calls === 8 ? scale(l, NaN) : l; },
    }), (e: unknown) => e instanceof TrainingDivergedError && e.step === 7 && /loss is NaN .* at step 8; training stopped, last good checkpoint: .*step-00000006/.test(e.message));
    assert.equal(path.basename(latestCheckpoint(dir)!), 'step-00000006');
    assert.equal(loadCheckpoint(latestCheckpoint(dir)!).dataPosition, 6);
    assert.ok([...model.params.values()].every((p) => p.grad === null), 'gradients were released');
    // a NaN gradient with a finite loss is caught too: d sqrt(b)/db at b = 0 is infinite
    const fresh = makeMlp(new Rng(4));
    const opt2 = new AdamW(fresh.params, { lr: 0.01 });
    await assert.rejects(train({
      params: fresh.params, optimizer: opt2, steps: 1, batches: indexedBatches(batchData),
      lossFn: (b) => add(mse(fresh, tensor(b.x, [8, 6]), tensor(b.y, [8, 3])), scale(mean(sqrt(fresh.params.get('mlp.fc1.bias')!)), 0)),
    }), (e: unknown) => e instanceof TrainingDivergedError && /non-finite gradient .*mlp\.fc1\.bias/.test(e.message));
    opt2.dispose(); disposeAll(fresh.params);
    opt.dispose(); disposeAll(model.params);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('resume in process: 4 steps + resume to 9 equals 9 steps straight; stop by budget', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-resume-'));
  try {
    const run = async (dir: string, steps: number) => {
      const model = makeMlp(new Rng(5));
      const opt = new AdamW(model.params, { lr: 0.02 });
      const r = await train({
        params: model.params, optimizer: opt, steps, checkpointDir: dir, checkpointEvery: 2, resume: true, gradAccum: 2,
        batches: indexedBatches(batchData), lossFn: (b) => mse(model, tensor(b.x, [8, 6]), tensor(b.y, [8, 3])),
      });
      const w = snapshot(model.params);
      opt.dispose(); disposeAll(model.params);
      return { r, w };
    };
    const straight = await run(path.join(root, 'a'), 9);
    const first = await run(path.join(root, 'b'), 4);
    const second = await run(path.join(root, 'b'), 9);
    assert.equal(second.r.resumedFrom, 4);
    assert.deepEqual([...first.r.losses, ...second.r.losses], straight.r.losses);
    assert.deepEqual(second.w, straight.w);
    assert.equal(path.basename(latestCheckpoint(path.join(root, 'b'))!), 'step-00000009', 'a final checkpoint is written at the end');

    let now = 0;
    const clock = wallClockSchedule('cosine', { budgetMs: 100, now: () => now });
    const model = makeMlp(new Rng(6));
    const opt = new AdamW(model.params, { lr: 0.01 });
    const r = await train({
      params: model.params, optimizer: opt, steps: 1000, schedule: clock, batches: indexedBatches(batchData),
      lossFn: (b) => mse(model, tensor(b.x, [8, 6]), tensor(b.y, [8, 3])), onStep: () => { now += 10; },
    });
    assert.equal(r.stoppedBy, 'budget'); assert.equal(r.step, 10);
    opt.dispose(); disposeAll(model.params);
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});
