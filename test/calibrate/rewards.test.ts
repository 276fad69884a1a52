// Rewards: the golden reward vectors (1e-9), defaults and options, and fast-check range/finiteness properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  computeReward, logScoreAblationReward, rewardRange, rlcrReward, scoreCompletion, REWARD_KINDS, type RewardKind,
} from '../../src/calibrate/rewards.js';
import { numericChecker } from '../../src/calibrate/check.js';
import type { OutputFormat } from '../../src/calibrate/parse.js';

interface Vector {
  id: string; format: OutputFormat; gold: string; completion: string; format_ok: boolean;
  correct?: boolean; confidence?: number; rlcr?: number; repo?: number; rlvr?: number;
}
const vectors = (JSON.parse(readFileSync(new URL('../fixtures/calibration/reward_vectors.json', import.meta.url), 'utf8')) as { cases: Vector[] }).cases;
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9, `${what}: ${a} vs ${b}`);

for (const v of vectors) {
  test(`reward vector ${v.id}`, async () => {
    const kinds: [RewardKind, number | undefined][] = [['rlcr', v.rlcr], ['published', v.repo], ['rlvr', v.rlvr]];
    let checked = 0;
    for (const [kind, want] of kinds) {
      if (want === undefined) continue;
      const r = await scoreCompletion(v.completion, v.gold, { format: v.format, reward: kind });
      close(r.reward, want, `${v.id} ${kind}`);
      assert.equal(r.format, v.format_ok ? 1 : 0, `${v.id} format`);
      if (v.format_ok) {
        assert.equal(r.correct, v.correct ? 1 : 0, `${v.id} correct`);
        if (v.confidence !== undefined) assert.equal(r.confidence, v.confidence);
      } else {
        assert.equal(r.verdict, null);
      }
      checked++;
    }
    assert.ok(checked > 0, 'vector names no reward');
  });
}

test('published weighting equals 1 + RLCR/2 on well-formed outputs', () => {
  for (const q of [0, 0.3, 0.5, 0.99, 1]) for (const correct of [true, false]) {
    const p = { formatOk: true, correct, confidence: q };
    close(computeReward('published', p).reward, 1 + rlcrReward(p).reward / 2, 'published');
  }
});

test('malformed penalties are configurable and below every well-formed reward', () => {
  assert.equal(computeReward('rlcr', { formatOk: false, correct: true, confidence: 1 }).reward, -2);
  assert.equal(computeReward('rlvr', { formatOk: false, correct: true, confidence: null }).reward, -1);
  assert.equal(computeReward('rlcr', { formatOk: false, correct: true, confidence: 1 }, { malformedPenalty: -5 }).reward, -5);
  assert.throws(() => computeReward('rlcr', { formatOk: false, correct: true, confidence: 1 }, { malformedPenalty: NaN }), /must be finite/);
  for (const k of REWARD_KINDS) {
    const r = rewardRange(k);
    assert.ok(r.malformed < r.min, `${k}: malformed ${r.malformed} < min ${r.min}`);
  }
});

test('log-score ablation clamps q and stays finite', () => {
  const r = logScoreAblationReward({ formatOk: true, correct: true, confidence: 0 });
  close(r.reward, 1 + Math.log(1e-4), 'clamped');
  const w = logScoreAblationReward({ formatOk: true, correct: false, confidence: 1 }, { logEpsilon: 1e-3 });
  close(w.reward, Math.log(1e-3), 'clamped wrong');
  // the known failure: a wrong answer with q=0 beats a correct-but-unsure answer under the log score
  const wrongSure0 = logScoreAblationReward({ formatOk: true, correct: false, confidence: 0 }).reward;
  const rightUnsure = logScoreAblationReward({ formatOk: true, correct: true, confidence: 0.2 }).reward;
  assert.ok(wrongSure0 > rightUnsure);
});

test('a well-formed output without a valid q is a programming error, not NaN', () => {
  assert.throws(() => rlcrReward({ formatOk: true, correct: true, confidence: NaN }), /confidence q in \[0, 1\]/);
  assert.throws(() => rlcrReward({ formatOk: true, correct: true, confidence: null }), /confidence q in \[0, 1\]/);
});

test('rlcr with format ta is refused loudly', async () => {
  await assert.rejects(scoreCompletion('<think>x</think><answer>1</answer>', '1', { format: 'ta', reward: 'rlcr' }), /needs a format with a confidence/);
});

test('scoreCompletion uses the supplied checker', async () => {
  const c = '<think>x</think><answer>\\frac{1}{2}</answer><analysis>y</analysis><confidence>0.5</confidence>';
  const exact = await scoreCompletion(c, '0.5');
  const numeric = await scoreCompletion(c, '0.5', { checker: numericChecker() });
  assert.equal(exact.correct, 0);
  assert.equal(numeric.correct, 1);
  assert.equal(numeric.verdict?.method, 'numeric');
  assert.equal(numeric.reward, 0.75);
});

// Completions built from tag fragments, so that well-formed ones are common, plus arbitrary strings.
const fragment = fc.constantFrom('<think>', '</think>', '<answer>', '</answer>', '<analysis>', '</analysis>', '<confidence>', '</confidence>', ' ', '\n', '0.5', '1', '0', '90', 'nan', 'inf', '-0.1', '1e-1', 'Paris', '.', '%');
const completionArb = fc.oneof(fc.string({ maxLength: 80 }), fc.array(fragment, { maxLength: 14 }).map((a) => a.join('')),
  fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 }), fc.string({ maxLength: 8 }))
    .map(([t, a, an, q]) => `<think>${t}</think><answer>${a}</answer><analysis>${an}</analysis><confidence>${q}</confidence>`));

test('property: every reward kind is finite and within its range for arbitrary completions', async () => {
  await fc.assert(
    fc.asyncProperty(completionArb, fc.constantFrom(...REWARD_KINDS), fc.constantFrom<OutputFormat>('tabc', 'tac'), async (comp, kind, format) => {
      const r = await scoreCompletion(comp, ['Paris', '0.5'], { format, reward: kind });
      const range = rewardRange(kind);
      assert.ok(Number.isFinite(r.reward), `reward ${r.reward}`);
      if (r.format === 1) assert.ok(r.reward >= range.min - 1e-12 && r.reward <= range.max + 1e-12, `${kind} ${r.reward}`);
      else assert.equal(r.reward, range.malformed);
      for (const x of [r.brier, r.confidence]) assert.ok(x === null || (Number.isFinite(x) && x >= 0 && x <= 1));
    }),
    { numRuns: 1500 },
  );
});

test('property: rlvr on format ta is in {-1, 0, 1}', async () => {
  await fc.assert(
    fc.asyncProperty(completionArb, async (comp) => {
      const r = await scoreCompletion(comp, 'Paris', { format: 'ta', reward: 'rlvr' });
      assert.ok([-1, 0, 1].includes(r.reward));
    }),
    { numRuns: 500 },
  );
});
