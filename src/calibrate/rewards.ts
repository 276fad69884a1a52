// Rewards for RL on verbalized confidence: RLVR (c), RLCR (c − (q − c)², the default), the published code's
// weighting, and a log-score variant that exists only as a labelled ablation (it is not a sound reward).
// Every function returns finite numbers; malformed outputs get a configurable penalty below any valid reward.

import { exactMatchChecker, type CheckContext, type Checker, type Verdict } from './check.js';
import { formatHasConfidence, parseStrict, type OutputFormat } from './parse.js';

export type RewardKind = 'rlcr' | 'rlvr' | 'published' | 'log-ablation';
export const REWARD_KINDS: readonly RewardKind[] = ['rlcr', 'rlvr', 'published', 'log-ablation'];

/** What a reward needs from a parsed, checked completion. */
export interface RewardParts {
  formatOk: boolean;
  correct: boolean;
  /** q ∈ [0, 1]; required when formatOk for every kind except rlvr. */
  confidence: number | null;
}

export interface RewardOptions {
  /** Reward for a malformed output. Defaults: rlvr −1, rlcr −2, published 0, log-ablation ln(ε) − 1. */
  malformedPenalty?: number;
  /** log-ablation only: q is clamped to [ε, 1 − ε] so ln never reaches −∞ (default 1e-4). */
  logEpsilon?: number;
}

export interface RewardResult {
  kind: RewardKind;
  reward: number;
  /** 1 when the output is well-formed. */
  format: 0 | 1;
  /** 1 when well-formed and correct (malformed outputs get no accuracy credit). */
  correct: 0 | 1;
  /** (q − c)² when a confidence was scored, else null. */
  brier: number | null;
  confidence: number | null;
}

export const DEFAULT_LOG_EPSILON = 1e-4;

export function defaultMalformedPenalty(kind: RewardKind, opts: RewardOptions = {}): number {
  switch (kind) {
    case 'rlvr':
      return -1;
    case 'rlcr':
      return -2;
    case 'published':
      return 0;
    case 'log-ablation':
      return Math.log(opts.logEpsilon ?? DEFAULT_LOG_EPSILON) - 1;
    default:
      throw new Error(`unknown reward kind '${String(kind)}' (expected ${REWARD_KINDS.join(', ')})`);
  }
}

/** [min, max] over well-formed outputs, and the malformed value, for range checks and plots. */
export function rewardRange(kind: RewardKind, opts: RewardOptions = {}): { min: number; max: number; malformed: number } {
  const malformed = penalty(kind, opts);
  switch (kind) {
    case 'rlvr':
      return { min: 0, max: 1, malformed };
    case 'rlcr':
      return { min: -1, max: 1, malformed };
    case 'published':
      return { min: 0.5, max: 1.5, malformed };
    case 'log-ablation': {
      const eps = epsilon(opts);
      return { min: Math.log(eps), max: 1 + Math.log(1 - eps), malformed };
    }
    default:
      throw new Error(`unknown reward kind '${String(kind)}'`);
  }
}

function penalty(kind: RewardKind, opts: RewardOptions): number {
  const p = opts.malformedPenalty ?? defaultMalformedPenalty(kind, opts);
  if (!Number.isFinite(p)) throw new Error(`${kind} reward: malformedPenalty must be finite, got ${p}`);
  return p;
}

function epsilon(opts: RewardOptions): number {
  const eps = opts.logEpsilon ?? DEFAULT_LOG_EPSILON;
  if (!(eps > 0 && eps < 0.5)) throw new Error(`log-ablation reward: logEpsilon must be in (0, 0.5), got ${eps}`);
  return eps;
}

function checkedQ(kind: RewardKind, q: number | null): number {
  if (q === null || typeof q !== 'number' || !Number.isFinite(q) || q < 0 || q > 1) {
    throw new Error(`${kind} reward: a well-formed output needs confidence q in [0, 1], got ${String(q)}`);
  }
  return q;
}

function malformed(kind: RewardKind, opts: RewardOptions): RewardResult {
  return { kind, reward: penalty(kind, opts), format: 0, correct: 0, brier: null, confidence: null };
}

/** RLVR: reward = c; malformed −1. Ignores any confidence. */
export function rlvrReward(p: RewardParts, opts: RewardOptions = {}): RewardResult {
  if (!p.formatOk) return malformed('rlvr', opts);
  const c = p.correct ? 1 : 0;
  const q = p.confidence !== null && Number.isFinite(p.confidence) ? p.confidence : null;
  return { kind: 'rlvr', reward: c, format: 1, correct: c, brier: q === null ? null : (q - c) ** 2, confidence: q };
}

/** RLCR: reward = c − (q − c)² ∈ [−1, 1]; malformed −2. */
export function rlcrReward(p: RewardParts, opts: RewardOptions = {}): RewardResult {
  if (!p.formatOk) return malformed('rlcr', opts);
  const q = checkedQ('rlcr', p.confidence);
  const c = p.correct ? 1 : 0;
  const brier = (q - c) ** 2;
  return { kind: 'rlcr', reward: c - brier, format: 1, correct: c, brier, confidence: q };
}

/** The published code's weighting 0.5·format + 0.5·c + 0.5·(1 − (q − c)²) = 1 + RLCR/2 when well-formed; malformed 0. */
export function publishedReward(p: RewardParts, opts: RewardOptions = {}): RewardResult {
  if (!p.formatOk) return malformed('published', opts);
  const q = checkedQ('published', p.confidence);
  const c = p.correct ? 1 : 0;
  const brier = (q - c) ** 2;
  return { kind: 'published', reward: 0.5 + 0.5 * c + 0.5 * (1 - brier), format: 1, correct: c, brier, confidence: q };
}

/**
 * ABLATION ONLY: c + log score, c·ln q + (1 − c)·ln(1 − q), with q clamped to [ε, 1 − ε]. The log score is
 * unbounded, so λ·c + log-score rewards answering wrongly with q ≈ 0 whenever the best answer is below ~0.65
 * likely (rlcr.md, Theorem). Use it to show that failure, not to train.
 */
export function logScoreAblationReward(p: RewardParts, opts: RewardOptions = {}): RewardResult {
  if (!p.formatOk) return malformed('log-ablation', opts);
  const q = checkedQ('log-ablation', p.confidence);
  const eps = epsilon(opts);
  const qc = Math.min(1 - eps, Math.max(eps, q));
  const c = p.correct ? 1 : 0;
  const log = c === 1 ? Math.log(qc) : Math.log(1 - qc);
  return { kind: 'log-ablation', reward: c + log, format: 1, correct: c, brier: (q - c) ** 2, confidence: q };
}

/** Dispatch by name. */
export function computeReward(kind: RewardKind, p: RewardParts, opts: RewardOptions = {}): RewardResult {
  switch (kind) {
    case 'rlvr':
      return rlvrReward(p, opts);
    case 'rlcr':
      return rlcrReward(p, opts);
    case 'published':
      return publishedReward(p, opts);
    case 'log-ablation':
      return logScoreAblationReward(p, opts);
    default:
      throw new Error(`unknown reward kind '${String(kind)}' (expected ${REWARD_KINDS.join(', ')})`);
  }
}

export interface ScoreOptions extends RewardOptions {
  /** Output format the strict parser enforces (default 'tabc'). */
  format?: OutputFormat;
  /** Reward kind (default 'rlcr'). */
  reward?: RewardKind;
  /** Correctness checker (default SQuAD exact match). Not called on malformed outputs. */
  checker?: Checker;
  ctx?: CheckContext;
}

export interface ScoredCompletion extends RewardResult {
  /** Last <answer> content, or null. */
  answer: string | null;
  /** The checker's verdict; null when the output was malformed (checker not run). */
  verdict: Verdict | null;
  /** Why the format failed: 'shape' or 'confidence'. */
  failure?: 'shape' | 'confidence';
}

/** Throws when a reward kind cannot be computed from a format (e.g. rlcr needs a confidence, 'ta' has none). */
export function assertRewardFormat(kind: RewardKind, format: OutputFormat): void {
  if (kind !== 'rlvr' && !formatHasConfidence(format)) {
    throw new Error(`reward '${kind}' needs a format with a confidence (tabc or tac), got '${format}'`);
  }
}

/** Parse strictly, check the answer, compute the reward: what the reward server and GRPO call per completion. */
export async function scoreCompletion(
  completion: string,
  label: string | string[],
  opts: ScoreOptions = {},
): Promise<ScoredCompletion> {
  const format = opts.format ?? 'tabc';
  const kind = opts.reward ?? 'rlcr';
  assertRewardFormat(kind, format);
  const parsed = parseStrict(completion, format);
  if (!parsed.formatOk) {
    return { ...computeReward(kind, { formatOk: false, correct: false, confidence: null }, opts), answer: parsed.answer, verdict: null, failure: parsed.failure };
  }
  const checker = opts.checker ?? exactMatchChecker;
  const verdict = await checker(parsed.answer ?? '', label, opts.ctx);
  const r = computeReward(kind, { formatOk: true, correct: verdict.correct, confidence: parsed.confidence }, opts);
  return { ...r, answer: parsed.answer, verdict };
}
