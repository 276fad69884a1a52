/**
 * Batch collation for causal-LM training on mixed-length sequences: right padding, inputs = ids[:-1],
 * targets = ids[1:], with padded and prompt positions' targets set to -100 (never trained on).
 */
import { empty, type Tensor } from '../engine/index.js';
import { IGNORE_INDEX } from './loss.js';

export interface TrainSequence {
  ids: readonly number[];
  /** Leading prompt tokens whose prediction is not trained (targets -100). Default 0. */
  promptLen?: number;
}

export interface CollateOptions {
  padId: number;
  /** Truncate sequences to this many tokens (before shifting). */
  maxLen?: number;
}

export interface CausalBatch {
  /** [B, T] i32, right-padded with padId. */
  inputIds: Tensor;
  /** [B, T] i32: next token, or -100 at pad and prompt positions. */
  targets: Tensor;
  /** [B, T] i32: 1 at real input tokens, 0 at padding (the attention key mask). */
  attentionMask: Tensor;
  /** Number of trained target positions (tokens that count towards the loss). */
  tokens: number;
  /** Real input tokens (excluding padding). */
  inputTokens: number;
}

/** Collates sequences (arrays of ids, or {ids, promptLen}) into a right-padded, shifted batch. */
export function collateCausal(seqs: readonly (readonly number[] | TrainSequence)[], opts: CollateOptions): CausalBatch {
  if (seqs.length === 0) throw new Error('collateCausal: empty batch');
  if (!Number.isInteger(opts.padId)) throw new Error(`collateCausal: padId must be an integer, got ${opts.padId}`);
  const rows = seqs.map((s, i) => {
    const r: TrainSequence = Array.isArray(s) ? { ids: s as number[] } : (s as TrainSequence);
    let ids = r.ids;
    if (opts.maxLen !== undefined) ids = ids.slice(0, opts.maxLen);
    if (ids.length < 2) throw new Error(`collateCausal: sequence ${i} has ${ids.length} token(s); at least 2 are needed to form one (input, target) pair`);
    for (const t of ids) if (!Number.isInteger(t) || t < 0) throw new Error(`collateCausal: sequence ${i} holds an invalid token id ${t}`);
    const promptLen = r.promptLen ?? 0;
    if (!Number.isInteger(promptLen) || promptLen < 0) throw new Error(`collateCausal: sequence ${i} has invalid promptLen ${promptLen}`);
    return { ids, promptLen };
  });
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.ids.length)) - 1;
  const inputIds = empty([B, T], 'i32'), targets = empty([B, T], 'i32'), attentionMask = empty([B, T], 'i32');
  const x = inputIds.data, y = targets.data, m = attentionMask.data;
  let tokens = 0, inputTokens = 0;
  rows.forEach(({ ids, promptLen }, b) => {
    const n = ids.length - 1;
    for (let t = 0; t < T; t++) {
      const k = b * T + t;
      if (t < n) {
        x[k] = ids[t]; m[k] = 1; inputTokens++;
        // target ids[t+1] is a prompt token when t + 1 < promptLen
        if (t + 1 >= promptLen) { y[k] = ids[t + 1]; tokens++; } else y[k] = IGNORE_INDEX;
      } else { x[k] = opts.padId; m[k] = 0; y[k] = IGNORE_INDEX; }
    }
  });
  return { inputIds, targets, attentionMask, tokens, inputTokens };
}
