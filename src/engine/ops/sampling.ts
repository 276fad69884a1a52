/**
 * Non-differentiable selection ops: top-k along the last dim and sampling one token per row from logits
 * (temperature, top-k, top-p) with uniforms drawn from a seeded Rng.
 */
import { Tensor, empty } from '../tensor.js';
import { K } from '../backend.js';
import type { F32, I32 } from '../kernels.js';
import { contig } from './shape.js';
import type { Rng } from '../random.js';

/** Top-k values and indices along the last dim (descending; ties keep the lower index first). */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  if (x.dtype !== 'f32' || x.ndim < 1) throw new Error(`topk: expected an f32 tensor with at least one dim, got ${x.dtype} [${x.shape}]`);
  const cols = x.shape[x.ndim - 1];
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new Error(`topk: k=${k} must be in [1, ${cols}]`);
  const rows = x.size / cols;
  const xc = contig(x);
  const shape = [...x.shape.slice(0, -1), k];
  const values = empty(shape), indices = empty(shape, 'i32');
  K().topk(xc.t.data as F32, xc.t.offset, rows, cols, k, values.data as F32, indices.data as I32);
  if (xc.copied) xc.t.dispose();
  return { values, indices };
}

export interface SamplingOptions {
  temperature?: number; // 0 = greedy
  topK?: number; // 0 = off
  topP?: number; // 1 = off
}

/** One sampled index per row of logits [..., V] -> i32 [...]. */
export function sampleLogits(logits: Tensor, rng: Rng, opts: SamplingOptions = {}): Tensor {
  if (logits.dtype !== 'f32' || logits.ndim < 1 || logits.shape[logits.ndim - 1] < 1) throw new Error(`sampleLogits: logits must be f32 [..., V] with V >= 1, got ${logits.dtype} [${logits.shape}]`);
  const V = logits.shape[logits.ndim - 1];
  const rows = logits.size / V;
  const temperature = opts.temperature ?? 1, topK = opts.topK ?? 0, topP = opts.topP ?? 1;
  if (!(temperature >= 0) || !(topP > 0 && topP <= 1) || !(topK >= 0)) throw new Error(`sampleLogits: invalid temperature ${temperature} / topK ${topK} / topP ${topP}`);
  const lc = contig(logits);
  const u = empty([rows]);
  for (let r = 0; r < rows; r++) (u.data as F32)[r] = rng.next();
  const out = empty(logits.shape.slice(0, -1), 'i32');
  K().sampleLogits(lc.t.data as F32, lc.t.offset, rows, V, temperature, topK, topP, u.data as F32, out.data as I32);
  if (lc.copied) lc.t.dispose();
  u.dispose();
  return out;
}
