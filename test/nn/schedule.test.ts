// Learning-rate schedules: values at known steps (Hugging Face's formulas) and the wall-clock variant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantSchedule, constantWithWarmup, linearSchedule, cosineSchedule, makeSchedule, wallClockSchedule } from '../../src/nn/index.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('constant and constant-with-warmup', () => {
  assert.equal(constantSchedule()(0), 1);
  assert.equal(constantSchedule()(1e6), 1);
  const s = constantWithWarmup(4);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 100].map(s), [0, 0.25, 0.5, 0.75, 1, 1, 1]);
});

test('linear with warmup: up over warmup, then down to 0 at totalSteps (and stays 0)', () => {
  const s = linearSchedule({ warmupSteps: 10, totalSteps: 110 });
  for (const [step, want] of [[0, 0], [5, 0.5], [10, 1], [35, 0.75], [60, 0.5], [109, 0.01], [110, 0], [200, 0]] as const) close(s(step), want, `step ${step}`);
  const floor = linearSchedule({ totalSteps: 100, minRatio: 0.2 });
  close(floor(0), 1, 'no warmup starts at 1'); close(floor(50), 0.6, 'half way'); close(floor(100), 0.2, 'end');
});

test('cosine with warmup and min lr', () => {
  const s = cosineSchedule({ warmupSteps: 100, totalSteps: 1100 });
  for (const [step, want] of [[0, 0], [50, 0.5], [100, 1], [600, 0.5], [1100, 0], [2000, 0]] as const) close(s(step), want, `step ${step}`);
  close(s(350), 0.5 * (1 + Math.cos(Math.PI * 0.25)), 'quarter');
  const m = cosineSchedule({ warmupSteps: 0, totalSteps: 100, minRatio: 0.1 });
  close(m(0), 1, 'start'); close(m(50), 0.55, 'middle'); close(m(100), 0.1, 'floor'); close(m(500), 0.1, 'after the end');
  close(makeSchedule('cosine', { totalSteps: 100, minRatio: 0.1 })(50), 0.55, 'makeSchedule');
  assert.throws(() => makeSchedule('linear'), /needs totalSteps/);
  assert.throws(() => cosineSchedule({ warmupSteps: 20, totalSteps: 10 }), /exceed/);
});

test('wall-clock schedule: progress = elapsed / budget, shapes as the step versions, elapsed restorable', () => {
  let now = 1000;
  const s = wallClockSchedule('cosine', { budgetMs: 1000, warmupFrac: 0.1, minRatio: 0, now: () => now });
  close(s(0), 0, 'start'); assert.equal(s.done(), false);
  now += 50; close(s(123), 0.5, 'mid warmup (step ignored)');
  now += 50; close(s(0), 1, 'end of warmup');
  now += 450; close(s(0), 0.5, 'half of the decay');
  close(s.progress(), 0.55, 'progress');
  now += 450; close(s(0), 0, 'budget spent'); assert.equal(s.done(), true);
  s.setElapsedMs(100); close(s(0), 1, 'elapsed restored'); assert.equal(s.done(), false);
  const lin = wallClockSchedule('linear', { budgetMs: 200, now: () => now });
  now += 50; close(lin(0), 0.75, 'linear quarter');
});
