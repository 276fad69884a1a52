// Flat memory over a long run: 2,000 training steps of a small MLP through train() (AdamW, clipping,
// accumulation, schedule). Live native buffers are counted exactly; RSS is checked with a generous bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, tensor, mean, square, sub, storageStats, backendName } from '../../src/engine/index.js';
import { AdamW, train, indexedBatches, cosineSchedule } from '../../src/nn/index.js';
import { makeMlp, disposeAll } from './helpers.js';

test('2,000 training steps: storage counts identical at step 200 and 2000, RSS growth small', { timeout: 300_000 }, async () => {
  const liveBefore = storageStats.live, bytesBefore = storageStats.liveBytes;
  const model = makeMlp(new Rng(1), 32, 64, 8);
  const opt = new AdamW(model.params, { lr: 1e-3, noDecay: 'auto' });
  const data = new Rng(2);
  const xs = Array.from({ length: 16 }, () => Array.from({ length: 16 * 32 }, () => data.normal()));
  const ys = Array.from({ length: 16 }, () => Array.from({ length: 16 * 8 }, () => data.normal()));
  const at = new Map<number, { live: number; bytes: number; rss: number }>();
  let lastLoss = Infinity, firstLoss = 0;
  await train({
    params: model.params, optimizer: opt, steps: 2000, gradAccum: 2, clipNorm: 1,
    schedule: cosineSchedule({ warmupSteps: 50, totalSteps: 2000, minRatio: 0.1 }),
    batches: indexedBatches((i) => i % 16),
    lossFn: (k) => mean(square(sub(model.forward(tensor(xs[k], [16, 32])), tensor(ys[k], [16, 8])))),
    onStep: (info) => {
      if (info.step === 1) firstLoss = info.loss;
      lastLoss = info.loss;
      if (info.step === 200 || info.step === 2000 || info.step % 200 === 0) at.set(info.step, { live: storageStats.live, bytes: storageStats.liveBytes, rss: process.memoryUsage().rss });
    },
  });
  const a = at.get(200)!, b = at.get(2000)!;
  assert.equal(b.live, a.live, `live storages: ${a.live} at step 200, ${b.live} at step 2000`);
  assert.equal(b.bytes, a.bytes, `live bytes: ${a.bytes} at step 200, ${b.bytes} at step 2000`);
  for (const [s, v] of at) assert.equal(v.live, a.live, `live storages at step ${s}`);
  // params (4) + their AdamW m and v (8); gradients are released after every step
  assert.equal(a.live - liveBefore, 12, 'only parameters and optimizer state stay alive between steps');
  const growthMB = (b.rss - a.rss) / 2 ** 20;
  console.log(`rss (${backendName()} backend, MB)`, [...at].map(([s, v]) => `${s}:${(v.rss / 2 ** 20).toFixed(1)}`).join(" "));
  assert.ok(growthMB < 30, `RSS grew ${growthMB.toFixed(1)} MB between step 200 and 2000 (backend ${backendName()})`);
  assert.ok(lastLoss < firstLoss, `the model trained (loss ${firstLoss} -> ${lastLoss})`);
  opt.dispose(); disposeAll(model.params);
  assert.equal(storageStats.live, liveBefore); assert.equal(storageStats.liveBytes, bytesBefore);
});
