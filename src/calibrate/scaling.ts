// Test-time scaling with verbalized confidence: majority vote, confidence-weighted vote argmax_y Σ q_i·1[y_i = y],
// max-confidence, answer keys for voting (numbers in one canonical form), accuracy-vs-N curves from a sample
// pool (seeded subsets, averaged) and confidence ensembling over K analyses (mean q; Brier-vs-K curves).

import { normalizeAnswer, normalizeLatex, parseNumber } from './check.js';
import { makeRng } from './metrics.js';

export interface Sample {
  answer: string;
  confidence: number;
}

export interface VoteResult {
  /** The first sample's answer text among those with the winning key. */
  answer: string;
  key: string;
  /** Votes (majority) or summed confidence (weighted) or max q (max-confidence) of the winner. */
  score: number;
  /** How many samples share the winning key. */
  support: number;
  /** Index in the input of the representative sample. */
  index: number;
}

/**
 * Voting key: numbers (1/2, 0.5, \frac{1}{2}, 1,000, $5$) map to one canonical decimal; other answers to
 * their LaTeX-cleaned SQuAD normal form. Two answers with the same key count as the same vote.
 */
export function voteKey(answer: string): string {
  const v = parseNumber(answer);
  if (v !== null) return `#${Number(v.toPrecision(12))}`;
  const latex = normalizeLatex(answer);
  const norm = normalizeAnswer(latex).replace(/ /g, '');
  return norm !== '' ? norm : latex.replace(/\s+/g, '');
}

export type KeyFn = (answer: string) => string;

interface Tally {
  key: string;
  index: number;
  votes: number;
  qsum: number;
  qmax: number;
}

function tally(samples: readonly Sample[], key: KeyFn): Tally[] {
  if (samples.length === 0) throw new Error('vote: no samples');
  const m = new Map<string, Tally>();
  samples.forEach((s, i) => {
    if (!Number.isFinite(s.confidence)) throw new Error(`vote: sample ${i} has non-finite confidence ${s.confidence}`);
    const k = key(s.answer);
    const t = m.get(k);
    if (t) {
      t.votes++;
      t.qsum += s.confidence;
      t.qmax = Math.max(t.qmax, s.confidence);
    } else m.set(k, { key: k, index: i, votes: 1, qsum: s.confidence, qmax: s.confidence });
  });
  return [...m.values()]; // insertion order = first appearance
}

function pick(samples: readonly Sample[], ts: Tally[], score: (t: Tally) => number, tie: (t: Tally) => number): VoteResult {
  let best = ts[0]!;
  for (const t of ts.slice(1)) {
    const d = score(t) - score(best);
    if (d > 0 || (d === 0 && tie(t) > tie(best))) best = t; // remaining ties: first appearance wins
  }
  return { answer: samples[best.index]!.answer, key: best.key, score: score(best), support: best.votes, index: best.index };
}

/** Plain majority vote; ties broken by summed confidence, then first appearance. */
export function majorityVote(samples: readonly Sample[], key: KeyFn = voteKey): VoteResult {
  return pick(samples, tally(samples, key), (t) => t.votes, (t) => t.qsum);
}

/** Confidence-weighted vote argmax_y Σ q_i·1[y_i = y]; ties broken by vote count, then first appearance. */
export function confidenceWeightedVote(samples: readonly Sample[], key: KeyFn = voteKey): VoteResult {
  return pick(samples, tally(samples, key), (t) => t.qsum, (t) => t.votes);
}

/** The single most confident sample's answer; ties broken by vote count, then first appearance. */
export function maxConfidenceVote(samples: readonly Sample[], key: KeyFn = voteKey): VoteResult {
  return pick(samples, tally(samples, key), (t) => t.qmax, (t) => t.votes);
}

export type VoteMethod = 'majority' | 'weighted' | 'max-confidence';
export const VOTE_METHODS: readonly VoteMethod[] = ['majority', 'weighted', 'max-confidence'];

export function vote(method: VoteMethod, samples: readonly Sample[], key: KeyFn = voteKey): VoteResult {
  if (method === 'majority') return majorityVote(samples, key);
  if (method === 'weighted') return confidenceWeightedVote(samples, key);
  if (method === 'max-confidence') return maxConfidenceVote(samples, key);
  throw new Error(`unknown vote method '${String(method)}' (expected ${VOTE_METHODS.join(', ')})`);
}

/** A sample whose correctness is already known (checked once, reused by every subset). */
export interface CheckedSample extends Sample {
  correct: boolean;
}

export interface ScalingPoint {
  n: number;
  /** Mean accuracy over problems and trials, per method. */
  accuracy: Record<VoteMethod, number>;
  trials: number;
}

/** k distinct indices from 0..n−1 (partial Fisher–Yates). */
function sampleIndices(n: number, k: number, rng: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k);
}

/**
 * Accuracy vs number of samples N: for each N, draw `trials` random subsets of size N (without replacement)
 * from each problem's pool, vote, and average correctness over problems and trials. A voted answer is
 * correct when the representative sample is (all samples with one key are assumed to agree).
 */
export function accuracyVsN(
  pools: readonly (readonly CheckedSample[])[],
  ns: readonly number[],
  opts: { trials?: number; seed?: number; methods?: readonly VoteMethod[]; key?: KeyFn } = {},
): ScalingPoint[] {
  if (pools.length === 0) throw new Error('accuracyVsN: no problems');
  const trials = opts.trials ?? 20;
  const methods = opts.methods ?? VOTE_METHODS;
  const key = opts.key ?? voteKey;
  const rng = makeRng(opts.seed ?? 0);
  const minPool = Math.min(...pools.map((p) => p.length));
  return ns.map((n) => {
    if (!Number.isInteger(n) || n < 1 || n > minPool) {
      throw new Error(`accuracyVsN: N=${n} must be an integer in [1, ${minPool}] (smallest pool size)`);
    }
    const sums = Object.fromEntries(VOTE_METHODS.map((m) => [m, 0])) as Record<VoteMethod, number>;
    for (const pool of pools) {
      for (let t = 0; t < trials; t++) {
        const subset = sampleIndices(pool.length, n, rng).map((i) => pool[i]!);
        for (const m of methods) sums[m] += subset[vote(m, subset, key).index]!.correct ? 1 : 0;
      }
    }
    const accuracy = Object.fromEntries(methods.map((m) => [m, sums[m] / (pools.length * trials)])) as Record<VoteMethod, number>;
    return { n, accuracy, trials };
  });
}

/** Confidence ensembling: the mean of K confidences for one fixed answer. */
export function ensembleConfidence(qs: readonly number[]): number {
  if (qs.length === 0) throw new Error('ensembleConfidence: no confidences');
  let s = 0;
  for (const q of qs) {
    if (!Number.isFinite(q)) throw new Error(`ensembleConfidence: non-finite confidence ${q}`);
    s += q;
  }
  return s / qs.length;
}

export interface EnsemblePoint {
  k: number;
  brier: number;
  trials: number;
}

/**
 * Brier score vs K for confidence ensembling: for each K, average over trials of the Brier score of the
 * mean of K analyses' confidences (drawn without replacement from each problem's pool).
 */
export function ensembleBrierVsK(
  problems: readonly { confidences: readonly number[]; correct: boolean }[],
  ks: readonly number[],
  opts: { trials?: number; seed?: number } = {},
): EnsemblePoint[] {
  if (problems.length === 0) throw new Error('ensembleBrierVsK: no problems');
  const trials = opts.trials ?? 20;
  const rng = makeRng(opts.seed ?? 0);
  const minPool = Math.min(...problems.map((p) => p.confidences.length));
  return ks.map((k) => {
    if (!Number.isInteger(k) || k < 1 || k > minPool) throw new Error(`ensembleBrierVsK: K=${k} must be an integer in [1, ${minPool}]`);
    let s = 0;
    for (const p of problems) {
      const c = p.correct ? 1 : 0;
      for (let t = 0; t < trials; t++) {
        const q = ensembleConfidence(sampleIndices(p.confidences.length, k, rng).map((i) => p.confidences[i]!));
        s += (q - c) ** 2;
      }
    }
    return { k, brier: s / (problems.length * trials), trials };
  });
}

export interface WithinProblemDiscrimination {
  /** P(q of a correct sample > q of a wrong sample of the same problem), ties counting ½; null with no mixed problem. */
  auroc: number | null;
  /** Problems whose pool holds both correct and wrong samples (the only ones where voting can matter). */
  mixedProblems: number;
  /** (correct, wrong) sample pairs compared. */
  pairs: number;
}

/**
 * Whether a model's confidence separates right from wrong samples of the same problem: the AUROC over all
 * (correct, wrong) pairs within each problem's pool. Confidence-weighted voting can beat majority voting only
 * when this is above ½; a confidence that tracks only how hard the problem is (the same q for every sample)
 * scores ½ and can only tie.
 */
export function withinProblemDiscrimination(pools: readonly (readonly CheckedSample[])[]): WithinProblemDiscrimination {
  let pairs = 0, wins = 0, mixedProblems = 0;
  pools.forEach((pool, p) => {
    const right: number[] = [], wrong: number[] = [];
    for (const s of pool) {
      if (!Number.isFinite(s.confidence)) throw new Error(`withinProblemDiscrimination: problem ${p} has a non-finite confidence ${s.confidence}`);
      (s.correct ? right : wrong).push(s.confidence);
    }
    if (right.length === 0 || wrong.length === 0) return;
    mixedProblems++;
    for (const a of right) for (const b of wrong) { pairs++; wins += a > b ? 1 : a === b ? 0.5 : 0; }
  });
  return { auroc: pairs ? wins / pairs : null, mixedProblems, pairs };
}
