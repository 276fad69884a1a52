/**
 * Log-likelihood scoring: per-token log-probabilities of continuations given contexts, batched with
 * right padding (what multiple-choice benchmarks need), and perplexity over a token sequence.
 */
import { noGrad, scope, empty, crossEntropy, reshape, contiguous } from '../engine/index.js';
import type { Model } from './model.js';

export interface ContinuationScore {
  /** Sum of log p(continuation token | prefix). */
  logprob: number;
  /** Per-token log-probabilities of the continuation. */
  tokenLogprobs: number[];
  /** Whether every continuation token was the argmax (lm-eval's is_greedy). */
  isGreedy: boolean;
}

/** Scores each (context, continuation) pair of token ids; batches of `batchSize` rows. */
export function scoreContinuations(model: Model, pairs: { context: number[]; continuation: number[] }[], opts: { batchSize?: number } = {}): ContinuationScore[] {
  const bs = opts.batchSize ?? 8;
  const out: ContinuationScore[] = [];
  for (let i = 0; i < pairs.length; i += bs) out.push(...scoreBatch(model, pairs.slice(i, i + bs)));
  return out;
}

function scoreBatch(model: Model, pairs: { context: number[]; continuation: number[] }[]): ContinuationScore[] {
  for (const p of pairs) {
    if (p.context.length === 0) throw new Error('scoreContinuations: a context needs at least one token (e.g. BOS)');
    if (p.continuation.length === 0) throw new Error('scoreContinuations: empty continuation');
  }
  const B = pairs.length;
  const seqs = pairs.map((p) => [...p.context, ...p.continuation]);
  const T = Math.max(...seqs.map((s) => s.length)) - 1; // inputs drop the last token
  return noGrad(() => scope(() => {
    const ids = empty([B, T], 'i32'), tgt = empty([B, T], 'i32');
    const mask: number[][] = [];
    for (let b = 0; b < B; b++) {
      const s = seqs[b], ctx = pairs[b].context.length;
      const row: number[] = [];
      for (let t = 0; t < T; t++) {
        const real = t < s.length - 1;
        ids.data[b * T + t] = real ? s[t] : 0;
        tgt.data[b * T + t] = real && t + 1 >= ctx ? s[t + 1] : -100;
        row.push(real ? 1 : 0);
      }
      mask.push(row);
    }
    const logits = model.forward(ids, { attentionMask: mask });
    const V = logits.shape[2];
    const nll = crossEntropy(reshape(logits, [B * T, V]), reshape(tgt, [B * T]), { reduction: 'none' }).toFlat();
    const L = contiguous(logits).data;
    return pairs.map((p, b) => {
      const tokenLogprobs: number[] = [];
      let greedy = true;
      for (let t = 0; t < T; t++) {
        const target = tgt.data[b * T + t];
        if (target === -100) continue;
        tokenLogprobs.push(-nll[b * T + t]);
        let best = 0;
        const o = (b * T + t) * V;
        for (let v = 1; v < V; v++) if (L[o + v] > L[o + best]) best = v;
        if (best !== target) greedy = false;
      }
      return { logprob: tokenLogprobs.reduce((a, x) => a + x, 0), tokenLogprobs, isGreedy: greedy };
    });
  }));
}

/** exp(mean negative log-likelihood) of ids[1:] given prefixes, over windows of at most `window` tokens. */
export function perplexity(model: Model, ids: number[], opts: { window?: number } = {}): { perplexity: number; nll: number; tokens: number } {
  const W = opts.window ?? 256;
  let total = 0, n = 0;
  for (let s = 0; s + 1 < ids.length; s += W) {
    const chunk = ids.slice(s, Math.min(ids.length, s + W + 1));
    const r = scoreContinuations(model, [{ context: chunk.slice(0, 1), continuation: chunk.slice(1) }])[0];
    total -= r.logprob; n += chunk.length - 1;
  }
  if (n === 0) throw new Error('perplexity: need at least two tokens');
  return { perplexity: Math.exp(total / n), nll: total / n, tokens: n };
}

