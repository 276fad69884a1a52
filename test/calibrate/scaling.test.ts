// Test-time scaling: vote keys, the three voting rules with their tie-breaks, accuracy-vs-N and ensembling curves, and
// the within-problem discrimination that decides whether weighting can beat majority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyVsN, confidenceWeightedVote, ensembleBrierVsK, ensembleConfidence, majorityVote, maxConfidenceVote, vote, voteKey, withinProblemDiscrimination,
  type CheckedSample,
} from '../../src/calibrate/scaling.js';
import { makeRng } from '../../src/calibrate/metrics.js';

test('vote keys put equal numbers and equal texts together', () => {
  assert.equal(voteKey('1/2'), voteKey('0.5'));
  assert.equal(voteKey('\\frac{1}{2}'), voteKey('$0.5$'));
  assert.equal(voteKey('1,000'), voteKey('1000'));
  assert.equal(voteKey('The Eiffel Tower'), voteKey('eiffel tower.'));
  assert.equal(voteKey('6 + 9i'), voteKey('6+9i'));
  assert.notEqual(voteKey('1'), voteKey('-1'));
  assert.notEqual(voteKey('Paris'), voteKey('Lyon'));
});

test('majority, confidence-weighted and max-confidence votes', () => {
  const s = [
    { answer: 'A', confidence: 0.2 }, { answer: 'A', confidence: 0.2 }, { answer: 'A', confidence: 0.2 },
    { answer: 'B', confidence: 0.9 }, { answer: 'b', confidence: 0.8 },
    { answer: 'C', confidence: 0.95 },
  ];
  assert.equal(majorityVote(s).answer, 'A');
  assert.equal(majorityVote(s).support, 3);
  const w = confidenceWeightedVote(s);
  assert.equal(w.answer, 'B');
  assert.ok(Math.abs(w.score - 1.7) < 1e-12);
  assert.equal(w.support, 2);
  assert.equal(maxConfidenceVote(s).answer, 'C');
  assert.equal(vote('weighted', s).key, w.key);
  assert.throws(() => majorityVote([]), /no samples/);
});

test('tie-breaks: majority by summed confidence, then first appearance', () => {
  assert.equal(majorityVote([{ answer: 'x', confidence: 0.1 }, { answer: 'y', confidence: 0.9 }]).answer, 'y');
  assert.equal(majorityVote([{ answer: 'x', confidence: 0.5 }, { answer: 'y', confidence: 0.5 }]).answer, 'x');
  assert.equal(confidenceWeightedVote([{ answer: 'x', confidence: 0.6 }, { answer: 'y', confidence: 0.3 }, { answer: 'y', confidence: 0.3 }]).answer, 'y');
});

test('accuracy vs N: seeded, deterministic, and weighted voting beats majority on a calibrated pool', () => {
  // Each problem: the right answer appears in 40% of samples with q=0.8; wrong answers split 3 ways at 20% each, q=0.2.
  const rng = makeRng(3);
  const pools: CheckedSample[][] = Array.from({ length: 40 }, () =>
    Array.from({ length: 16 }, () => {
      const u = rng();
      if (u < 0.4) return { answer: '7', confidence: 0.8, correct: true };
      const w = u < 0.6 ? '1' : u < 0.8 ? '2' : '3';
      return { answer: w, confidence: 0.2, correct: false };
    }),
  );
  const a = accuracyVsN(pools, [1, 4, 8], { trials: 10, seed: 1 });
  const b = accuracyVsN(pools, [1, 4, 8], { trials: 10, seed: 1 });
  assert.deepEqual(a, b);
  assert.equal(a[0]!.n, 1);
  // N=1: every method picks the only sample
  assert.equal(a[0]!.accuracy.majority, a[0]!.accuracy.weighted);
  assert.ok(a[2]!.accuracy.weighted >= a[2]!.accuracy.majority);
  assert.ok(a[2]!.accuracy.weighted > a[0]!.accuracy.weighted);
  assert.throws(() => accuracyVsN(pools, [17]), /N=17 must be an integer in \[1, 16\]/);
});

test('confidence ensembling: mean, and Brier falls with K for noisy confidences', () => {
  assert.equal(ensembleConfidence([0.2, 0.4, 0.9]), 0.5);
  assert.throws(() => ensembleConfidence([]), /no confidences/);
  const rng = makeRng(9);
  const problems = Array.from({ length: 60 }, (_, i) => {
    const correct = i % 2 === 0;
    const base = correct ? 0.7 : 0.3;
    return { correct, confidences: Array.from({ length: 8 }, () => Math.min(1, Math.max(0, base + (rng() - 0.5) * 0.8))) };
  });
  const curve = ensembleBrierVsK(problems, [1, 2, 4, 8], { trials: 10, seed: 2 });
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i]!.brier < curve[i - 1]!.brier, JSON.stringify(curve));
});

test('within-problem discrimination: counted over (right, wrong) pairs of one problem only, ties ½', () => {
  const s = (confidence: number, correct: boolean): CheckedSample => ({ answer: correct ? '1' : '2', confidence, correct });
  // problem A: right 0.9 vs wrong 0.2 and 0.9 → one win, one tie; problem B: all right (not mixed); problem C: right 0.1 vs wrong 0.5 → loss
  const pools = [[s(0.9, true), s(0.2, false), s(0.9, false)], [s(0.3, true), s(0.1, true)], [s(0.1, true), s(0.5, false)]];
  const d = withinProblemDiscrimination(pools);
  assert.equal(d.mixedProblems, 2);
  assert.equal(d.pairs, 3);
  assert.equal(d.auroc, (1 + 0.5 + 0) / 3);
  // a q that is the same for every sample of a problem (it tracks difficulty only) scores exactly ½, however it varies across problems
  const byDifficulty = [[s(0.9, true), s(0.9, false)], [s(0.2, true), s(0.2, false), s(0.2, false)]];
  assert.equal(withinProblemDiscrimination(byDifficulty).auroc, 0.5);
  assert.equal(withinProblemDiscrimination([[s(0.5, true)]]).auroc, null, 'no mixed problem: undefined, not ½');
  assert.throws(() => withinProblemDiscrimination([[s(NaN, true), s(0.2, false)]]), /problem 0 has a non-finite confidence/);
});
