// The replayable wall-clock plan: warmup, cosine to the floor at the planned end, continuity across
// replans, exact replay from recorded segments, and the pacer planning from (fake) measured step times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer, StepPlan } from '../../src/organisms/plan.js';

test('warmup is linear and the cosine reaches the floor at the planned end', () => {
  const p = new StepPlan({ warmupSteps: 4, minRatio: 0.1 }, [{ fromStep: 0, totalSteps: 24 }]);
  assert.deepEqual([0, 1, 2, 3].map((s) => p.factor(s)), [0.25, 0.5, 0.75, 1]);
  assert.equal(p.factor(4), 1);
  assert.ok(Math.abs(p.factor(14) - (0.1 + 0.9 * 0.5)) < 1e-12, 'half way through the decay is the midpoint');
  assert.ok(Math.abs(p.factor(24) - 0.1) < 1e-12);
  assert.ok(Math.abs(p.factor(100) - 0.1) < 1e-12, 'past the end stays at the floor');
  for (let s = 5; s < 24; s++) assert.ok(p.factor(s) < p.factor(s - 1), `decreasing at ${s}`);
});

test('a replan keeps the progress reached and is replayed exactly from its segments', () => {
  const live = new StepPlan({ warmupSteps: 2, minRatio: 0 });
  const factors: number[] = [];
  for (let s = 0; s < 60; s++) {
    if (s === 3) live.replan(3, 100);
    if (s === 30) live.replan(30, 50);
    factors.push(live.factor(s));
  }
  // continuity at the replan: progress just before and at step 30 differ by at most one step's worth
  const before = new StepPlan({ warmupSteps: 2, minRatio: 0 }, [{ fromStep: 3, totalSteps: 100 }]);
  assert.equal(live.progress(30), before.progress(30));
  assert.ok(live.progress(31) > live.progress(30));
  assert.equal(live.progress(50), 1);
  assert.equal(live.totalSteps, 50);
  const replay = new StepPlan({ warmupSteps: 2, minRatio: 0 }, live.segments);
  for (let s = 0; s < 60; s++) assert.equal(replay.factor(s), factors[s], `step ${s}`);
});

test('replan rejects going backwards and ends at or before the current step', () => {
  const p = new StepPlan({ warmupSteps: 0 }, [{ fromStep: 10, totalSteps: 20 }]);
  assert.throws(() => p.replan(5, 30), /before the last segment/);
  assert.throws(() => p.replan(12, 12), /above the current step/);
});

test('the pacer plans the end from measured step time and replans when the machine slows down', () => {
  const plan = new StepPlan({ warmupSteps: 5 });
  const pacer = new Pacer(plan, { budgetSec: 100, checkEvery: 10, probeSteps: 3 });
  let t = 0;
  for (let s = 1; s <= 3; s++) { t += 1; pacer.observe(s, t); }
  assert.equal(plan.totalSteps, 100, '1 s per step in a 100 s budget');
  for (let s = 4; s <= 40; s++) { t += s > 20 ? 2 : 1; pacer.observe(s, t); }
  // from step 20 on, steps take 2 s: at step 40 (t = 60) the window average is 1.4-2 s/step, so ~20-28 steps remain
  assert.ok(plan.totalSteps < 75 && plan.totalSteps > 55, `replanned end ${plan.totalSteps}`);
  assert.ok(plan.segments.length >= 2);
});

test('near the end the pacer checks every step, so a late slowdown cannot overrun the budget by much', () => {
  const plan = new StepPlan({ warmupSteps: 0 });
  const pacer = new Pacer(plan, { budgetSec: 100, checkEvery: 10, probeSteps: 3 });
  let t = 0, s = 0;
  while (s < plan.totalSteps) {
    s++;
    t += s > 80 ? 3 : 1; // the machine gets 3× slower for the last stretch
    pacer.observe(s, t);
    if (s > 500) break;
  }
  assert.ok(t <= 106, `finished at ${t}s for a 100s budget (${s} steps)`);
});
