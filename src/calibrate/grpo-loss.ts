// GRPO's maths, as TRL's GRPOTrainer defines it: group-centred advantages (optional std scaling), per-token
// log-probs of completions under a policy, the clipped surrogate (ε = 0.2) with the 'grpo' / 'bnpo' /
// 'dr_grpo' aggregations, the optional k3 KL penalty to a reference, and truncated-completion masking.
import { Tensor, empty, scope, slice, tokenLogProbs, exp, sub, mul, add, sum, addScalar, scale as scaleOp } from '../engine/index.js';
import type { Model } from '../models/index.js';

export type GrpoLossType = 'grpo' | 'bnpo' | 'dr_grpo';
export const GRPO_LOSS_TYPES: readonly GrpoLossType[] = ['grpo', 'bnpo', 'dr_grpo'];

/** TRL scale_rewards: 'none' (r − mean, the paper's choice), 'group' (÷ group std + 1e-4), 'batch' (÷ batch std + 1e-4). */
export type AdvantageScaling = 'none' | 'group' | 'batch';
export const ADVANTAGE_SCALINGS: readonly AdvantageScaling[] = ['none', 'group', 'batch'];

/** Bessel-corrected standard deviation (torch.std / TRL nanstd); 0 for fewer than 2 values. */
export function unbiasedStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) ** 2;
  return Math.sqrt(v / (xs.length - 1));
}

/**
 * Advantages for rewards laid out group after group (rows g·G … g·G + G − 1 share a prompt):
 * A = r − mean(group), divided by (std + 1e-4) when scaling is 'group' or 'batch'. Non-finite rewards are refused.
 */
export function groupAdvantages(rewards: readonly number[], groupSize: number, scaling: AdvantageScaling = 'none'): number[] {
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new Error(`groupAdvantages: groupSize must be a positive integer, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) throw new Error(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${groupSize}`);
  rewards.forEach((r, i) => { if (!Number.isFinite(r)) throw new Error(`groupAdvantages: reward ${i} is ${r}; rewards must be finite`); });
  const out = new Array<number>(rewards.length);
  const batchStd = unbiasedStd(rewards);
  for (let g = 0; g < rewards.length; g += groupSize) {
    const grp = rewards.slice(g, g + groupSize);
    // float32 like TRL, so values match its tensors to the last bit where it matters
    const mean = Math.fround(grp.reduce((a, b) => a + b, 0) / groupSize);
    const std = scaling === 'group' ? unbiasedStd(grp) : batchStd;
    for (let i = 0; i < groupSize; i++) {
      const a = Math.fround(grp[i] - mean);
      out[g + i] = scaling === 'none' ? a : a / (std + 1e-4);
    }
  }
  return out;
}

/** A batch of prompt + completion rows laid out as TRL does: prompts left-padded, completions right-padded. */
export interface CompletionBatch {
  /** [B, P + C] i32. */
  ids: Tensor;
  /** [B, P + C] 0/1 key mask. */
  attentionMask: number[][];
  /** [B, P + C] i32 positions (0 at the first real token of each row). */
  positions: Tensor;
  /** Padded prompt width P and completion width C. */
  promptWidth: number;
  completionWidth: number;
  /** [B][C] 1 at completion tokens that train, 0 at padding (and on truncated rows when masked). */
  completionMask: number[][];
  /** Real completion tokens per row (before truncation masking). */
  lengths: number[];
  /** Rows whose completion did not end in EOS. */
  truncated: boolean[];
  dispose(): void;
}

export interface CompletionBatchOptions {
  padId: number;
  /** Token ids that end a completion; a row without one at its end is truncated. */
  eosTokenIds?: readonly number[];
  /** TRL mask_truncated_completions: zero the loss mask of truncated rows. Default false. */
  maskTruncated?: boolean;
  /** Pad the completion width to at least this (e.g. max_completion_length). */
  minCompletionWidth?: number;
}

/** Lays out prompts and completions for scoring (see CompletionBatch). */
export function buildCompletionBatch(prompts: readonly (readonly number[])[], completions: readonly (readonly number[])[], opts: CompletionBatchOptions): CompletionBatch {
  const B = prompts.length;
  if (B === 0) throw new Error('buildCompletionBatch: empty batch');
  if (completions.length !== B) throw new Error(`buildCompletionBatch: ${B} prompts but ${completions.length} completions`);
  prompts.forEach((p, i) => { if (p.length === 0) throw new Error(`buildCompletionBatch: prompt ${i} is empty (it needs at least one token, e.g. BOS)`); });
  const P = Math.max(...prompts.map((p) => p.length));
  const C = Math.max(1, opts.minCompletionWidth ?? 0, ...completions.map((c) => c.length));
  const T = P + C;
  const eos = new Set(opts.eosTokenIds ?? []);
  const ids = empty([B, T], 'i32'), positions = empty([B, T], 'i32');
  const attentionMask: number[][] = [], completionMask: number[][] = [];
  const lengths: number[] = [], truncated: boolean[] = [];
  for (let b = 0; b < B; b++) {
    const p = prompts[b], c = completions[b], off = P - p.length;
    const row = new Array<number>(T).fill(0), cm = new Array<number>(C).fill(0);
    const isTrunc = c.length === 0 || !eos.has(c[c.length - 1]);
    let pos = 0;
    for (let t = 0; t < T; t++) {
      let tok = opts.padId, real = false;
      if (t < P) { if (t >= off) { tok = p[t - off]; real = true; } } else if (t - P < c.length) { tok = c[t - P]; real = true; }
      if (!Number.isInteger(tok) || tok < 0) throw new Error(`buildCompletionBatch: row ${b} position ${t} holds invalid token id ${tok}`);
      ids.data[b * T + t] = tok;
      row[t] = real ? 1 : 0;
      positions.data[b * T + t] = real ? pos++ : 0;
    }
    for (let t = 0; t < c.length; t++) cm[t] = opts.maskTruncated && isTrunc ? 0 : 1;
    attentionMask.push(row); completionMask.push(cm); lengths.push(c.length); truncated.push(isTrunc);
  }
  return {
    ids: ids.keep(), positions: positions.keep(), attentionMask, promptWidth: P, completionWidth: C, completionMask, lengths, truncated,
    dispose() { ids.dispose(); positions.dispose(); },
  };
}

/**
 * Per-token log-probs [B, C] of the completion tokens: logp[b, t] = log softmax(logits[b, P − 1 + t] / T)[o_{b,t}]
 * (0 at padding). Differentiable unless called under noGrad.
 */
export function completionLogProbs(model: Model, batch: CompletionBatch, opts: { temperature?: number } = {}): Tensor {
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`completionLogProbs: temperature must be > 0, got ${temperature}`);
  const { promptWidth: P, completionWidth: C } = batch;
  const B = batch.ids.shape[0];
  return scope(() => {
    // logits of the completion positions only, [B, C, V]; the temperature is applied inside the fused log-prob
    const logits = model.forward(slice(batch.ids, 1, 0, P + C - 1), {
      attentionMask: batch.attentionMask.map((r) => r.slice(0, P + C - 1)),
      positions: slice(batch.positions, 1, 0, P + C - 1),
      logitsFrom: P - 1,
    });
    const targets = empty([B, C], 'i32');
    for (let b = 0; b < B; b++) for (let t = 0; t < C; t++) {
      targets.data[b * C + t] = t < batch.lengths[b] ? batch.ids.data[b * (P + C) + P + t] : -100;
    }
    return tokenLogProbs(logits, targets, { temperature, ignoreIndex: -100 });
  });
}

export interface GrpoLossOptions {
  /** Per-sequence advantages [B]. */
  advantages: readonly number[];
  /** [B][C] 0/1: which completion tokens count. */
  completionMask: readonly (readonly number[])[];
  lossType?: GrpoLossType;
  /** Clip range: ratios outside [1 − εlow, 1 + εhigh] stop contributing gradient. Default 0.2 both. */
  epsilon?: number;
  epsilonHigh?: number;
  /** Log-probs the samples were drawn under ([B, C] numbers); null/absent = on-policy (detached current). */
  oldLogProbs?: ArrayLike<number> | null;
  /** KL weight β (k3 estimator against refLogProbs). Default 0. */
  beta?: number;
  refLogProbs?: ArrayLike<number> | null;
  /** dr_grpo's denominator: the configured max completion length (TRL uses the config value). Default: the padded width. */
  maxCompletionLength?: number;
  /** For micro-batches of a larger batch: the whole batch's rows and active tokens, so the micro losses sum to
   * the full-batch loss (grpo and dr_grpo divide by rows, bnpo by active tokens). Default: this batch's. */
  totalRows?: number;
  totalActiveTokens?: number;
}

export interface GrpoLossResult {
  loss: Tensor;
  /** Tokens in the clipped regions (low: ratio < 1 − ε with A < 0; high: ratio > 1 + ε with A > 0). */
  clippedLow: number;
  clippedHigh: number;
  activeTokens: number;
  /** Mean k3 KL over active tokens when refLogProbs were given, else null. */
  meanKl: number | null;
}

/**
 * The GRPO loss from per-token log-probs [B, C]. Per token ℓ = −min(ρ·A, clip(ρ, 1−ε, 1+ε)·A) + β·k3,
 * ρ = exp(logp − old); aggregated as TRL: grpo = mean over rows of the row's token mean; bnpo = token sum /
 * active tokens; dr_grpo = token sum / (B · maxCompletionLength). Clipped tokens carry a constant (no gradient),
 * exactly what torch's min/clamp give.
 */
export function grpoLoss(logps: Tensor, opts: GrpoLossOptions): GrpoLossResult {
  if (logps.ndim !== 2) throw new Error(`grpoLoss: logps must be [B, C], got [${logps.shape}]`);
  const [B, C] = logps.shape;
  const type = opts.lossType ?? 'bnpo';
  if (!GRPO_LOSS_TYPES.includes(type)) throw new Error(`grpoLoss: unknown lossType '${String(type)}' (expected ${GRPO_LOSS_TYPES.join(', ')})`);
  const epsLow = opts.epsilon ?? 0.2, epsHigh = opts.epsilonHigh ?? epsLow;
  const beta = opts.beta ?? 0;
  if (opts.advantages.length !== B) throw new Error(`grpoLoss: ${opts.advantages.length} advantages for ${B} rows`);
  if (opts.completionMask.length !== B || opts.completionMask.some((r) => r.length < C)) throw new Error(`grpoLoss: completionMask must be [${B}][${C}]`);
  if (opts.oldLogProbs && opts.oldLogProbs.length !== B * C) throw new Error(`grpoLoss: oldLogProbs has ${opts.oldLogProbs.length} values, expected ${B * C}`);
  if (beta !== 0 && (!opts.refLogProbs || opts.refLogProbs.length !== B * C)) throw new Error(`grpoLoss: beta = ${beta} needs refLogProbs with ${B * C} values`);
  const lp = logps.toFlat();
  const m = new Float64Array(B * C);
  let active = 0;
  const rowTokens = new Array<number>(B).fill(0);
  for (let b = 0; b < B; b++) for (let t = 0; t < C; t++) { const v = opts.completionMask[b][t] ? 1 : 0; m[b * C + t] = v; rowTokens[b] += v; active += v; }
  const maxLen = opts.maxCompletionLength ?? C;
  const rowsAll = opts.totalRows ?? B, activeAll = opts.totalActiveTokens ?? active;
  const agg = (b: number): number => {
    if (type === 'grpo') return 1 / (rowsAll * Math.max(rowTokens[b], 1));
    if (type === 'bnpo') return 1 / Math.max(activeAll, 1);
    return 1 / (rowsAll * maxLen);
  };
  // weights on ρ for unclipped tokens, constants for clipped ones
  const old = empty([B, C]);
  const w = empty([B, C]);
  let constant = 0, clippedLow = 0, clippedHigh = 0;
  for (let b = 0; b < B; b++) {
    const A = opts.advantages[b];
    if (!Number.isFinite(A)) throw new Error(`grpoLoss: advantage ${b} is ${A}`);
    const s = agg(b);
    for (let t = 0; t < C; t++) {
      const k = b * C + t;
      const o = opts.oldLogProbs ? opts.oldLogProbs[k] : lp[k];
      old.data[k] = o;
      if (!m[k]) continue;
      const ratio = Math.exp(Math.fround(lp[k] - o));
      if (A < 0 && ratio < 1 - epsLow) { clippedLow++; constant += s * -(1 - epsLow) * A; continue; }
      if (A > 0 && ratio > 1 + epsHigh) { clippedHigh++; constant += s * -(1 + epsHigh) * A; continue; }
      w.data[k] = -A * s;
    }
  }
  let meanKl: number | null = null;
  const loss = scope(() => {
    const ratio = exp(sub(logps, old));
    let total = sum(mul(ratio, w));
    if (constant !== 0) total = addScalar(total, constant);
    if (beta !== 0 || opts.refLogProbs) {
      const ref = empty([B, C]);
      const wk = empty([B, C]);
      for (let k = 0; k < B * C; k++) { ref.data[k] = opts.refLogProbs![k]; wk.data[k] = m[k] * agg(Math.floor(k / C)); }
      const d = sub(ref, logps);
      const kl = addScalar(sub(exp(d), d), -1);
      const klFlat = kl.toFlat();
      let s = 0;
      for (let k = 0; k < B * C; k++) if (m[k]) s += klFlat[k];
      meanKl = active ? s / active : 0;
      if (beta !== 0) total = add(total, scaleOp(sum(mul(kl, wk)), beta));
    }
    return total;
  });
  old.dispose(); w.dispose();
  return { loss, clippedLow, clippedHigh, activeTokens: active, meanKl };
}
