/**
 * The kernel interface every backend implements (reference TypeScript, native C++/OpenBLAS, CUDA later).
 * Kernels are dumb loops over flat typed arrays: they take element offsets into a storage's whole array,
 * always write (overwrite, never accumulate unless the name says so) into fresh contiguous outputs, and
 * know nothing of tensors, autograd or shapes beyond the integers passed. Ops (ops/*.ts) do the rest.
 */

export type F32 = Float32Array;
export type I32 = Int32Array;

/** Unary elementwise ops. `alpha` is the op's scalar parameter where it has one. */
export const UnaryOp = {
  neg: 0, // -x
  exp: 1,
  log: 2,
  sqrt: 3,
  rsqrt: 4, // 1/sqrt(x)
  tanh: 5,
  sigmoid: 6,
  relu: 7,
  gelu: 8, // exact: x * 0.5 * (1 + erf(x / sqrt 2))
  gelu_tanh: 9, // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  silu: 10, // x * sigmoid(x)
  abs: 11,
  sin: 12,
  cos: 13,
  square: 14,
  recip: 15, // 1/x
  scale: 16, // alpha * x
  add_scalar: 17, // x + alpha
  pow: 18, // x ^ alpha
  softcap: 19, // alpha * tanh(x / alpha)
} as const;
export type UnaryOpName = keyof typeof UnaryOp;

/** Binary elementwise ops with broadcasting (via stride-0 dims). */
export const BinaryOp = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
} as const;
export type BinaryOpName = keyof typeof BinaryOp;

export const ReduceOp = { sum: 0, max: 1 } as const;
export type ReduceOpName = keyof typeof ReduceOp;

/** Attention geometry. Layout of q: [B, T, Hq, D]; k, v: [B, S, Hkv, D]; out: [B, T, Hq, D] contiguous.
 * q/k/v may be strided on the batch and sequence axes (e.g. a KV cache with room for more tokens):
 * element (b, t, h, d) of q is q[qOff + b*qsB + t*qsT + h*D + d]. */
export interface AttentionGeom {
  B: number;
  T: number; // queries
  S: number; // keys
  Hq: number;
  Hkv: number; // Hq % Hkv == 0; query head h reads kv head floor(h / (Hq/Hkv))
  D: number;
  qOff: number; qsB: number; qsT: number;
  kOff: number; ksB: number; ksS: number;
  vOff: number; vsB: number; vsS: number;
  scale: number; // multiplies q.k
  softcap: number; // 0 = none; else scores = softcap * tanh(scores / softcap) after scaling
  causal: boolean;
  window: number; // 0 = none; else key j visible only if (i + qPos0) - j < window
  qPos0: number; // key index of query 0 (S - T when decoding with a cache)
}
// Visibility of key j to query i in batch b: (!causal || j <= i + qPos0) && (window == 0 || i + qPos0 - j < window)
// && (keyMask == null || keyMask[b*S + j] != 0). A query row with no visible key gets output 0 and probs 0.

export interface Kernels {
  readonly name: 'reference' | 'native';

  /** dst[...] = src[...] over `shape`, both strided (element strides). Used for contiguous(), cat, slice writes. */
  copyStrided(src: F32 | I32, srcOff: number, srcStrides: number[], dst: F32 | I32, dstOff: number, dstStrides: number[], shape: number[]): void;
  fill(dst: F32 | I32, off: number, n: number, value: number): void;
  /** y[i] += alpha * x[i] for i < n (gradient accumulation). */
  axpy(n: number, alpha: number, x: F32, xOff: number, y: F32, yOff: number): void;

  unary(op: number, x: F32, xOff: number, y: F32, n: number, alpha: number): void;
  /** gx = gy * f'(x); y is f(x) (some derivatives use it). All contiguous, offsets on x and y only. */
  unaryBackward(op: number, x: F32, xOff: number, y: F32, gy: F32, gx: F32, n: number, alpha: number): void;
  /** out (contiguous, shape outShape) = a op b, where a and b are read with the given (possibly 0) strides over outShape. */
  binary(op: number, a: F32, aOff: number, aStrides: number[], b: F32, bOff: number, bStrides: number[], out: F32, outShape: number[]): void;
  /** x contiguous viewed as [outer, red, inner]; out[outer, inner] = reduce over red. argmax (for max) gets the index in red. */
  reduce(op: number, x: F32, xOff: number, outer: number, red: number, inner: number, out: F32, argmax: I32 | null): void;

  /** Row-major batched GEMM: for each batch i, C_i = alpha * op(A_i) op(B_i) + beta * C_i, where
   * op(A_i) is M x K (A_i stored K x M when transA), op(B_i) is K x N (stored N x K when transB).
   * A_i starts at aOff + i*strideA (strideA may be 0 to broadcast), likewise B, C. lda/ldb/ldc are row strides. */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: F32, aOff: number, lda: number, strideA: number,
    B: F32, bOff: number, ldb: number, strideB: number,
    beta: number, C: F32, cOff: number, ldc: number, strideC: number, batch: number): void;

  /** Row-wise (last dim) softmax or log-softmax of contiguous x [rows, cols]. */
  softmax(x: F32, xOff: number, y: F32, rows: number, cols: number, log: boolean): void;
  /** softmax: gx = y * (gy - sum(gy*y)); log-softmax: gx = gy - exp(y) * sum(gy). */
  softmaxBackward(y: F32, gy: F32, gx: F32, rows: number, cols: number, log: boolean): void;

  /** y = (x - mean) * rstd * w + b over rows of length cols; w/b may be null; writes mean and rstd [rows]. */
  layerNorm(x: F32, xOff: number, w: F32 | null, wOff: number, b: F32 | null, bOff: number, y: F32, mean: F32, rstd: F32, rows: number, cols: number, eps: number): void;
  /** Writes gx; if gw/gb given, writes (overwrites) their column sums. */
  layerNormBackward(x: F32, xOff: number, w: F32 | null, wOff: number, mean: F32, rstd: F32, gy: F32, gx: F32, gw: F32 | null, gb: F32 | null, rows: number, cols: number): void;
  /** y = x * rstd * (wOffset + w), rstd = 1/sqrt(mean(x^2) + eps); w may be null (then y = x * rstd). */
  rmsNorm(x: F32, xOff: number, w: F32 | null, wOff: number, y: F32, rstd: F32, rows: number, cols: number, eps: number, wOffset: number): void;
  rmsNormBackward(x: F32, xOff: number, w: F32 | null, wOff: number, rstd: F32, gy: F32, gx: F32, gw: F32 | null, rows: number, cols: number, wOffset: number): void;

  /** Rotary embedding, HF rotate-half layout, on x [B, T, H, D] contiguous (at xOff) -> y contiguous.
   * cos/sin: [Bc, T, rotDim/2] (Bc = 1 or B) at cOff. For d < rotDim/2 (h = rotDim/2):
   * y[d] = x[d] cos - x[d+h] sin, y[d+h] = x[d+h] cos + x[d] sin; dims >= rotDim copied.
   * inverse = true applies the transpose (sin negated): the backward pass. */
  rope(x: F32, xOff: number, y: F32, cos: F32, sin: F32, cOff: number, Bc: number, B: number, T: number, H: number, D: number, rotDim: number, inverse: boolean): void;

  /** out [B,T,Hq,D]; probs [B,Hq,T,S] (post-softmax, masked entries 0) if not null. keyMask [B,S] (nonzero = keep) or null. */
  attention(q: F32, k: F32, v: F32, g: AttentionGeom, keyMask: I32 | null, out: F32, probs: F32 | null): void;
  /** Given probs from forward and gOut [B,T,Hq,D] contiguous: writes gq [B,T,Hq,D], gk [B,S,Hkv,D], gv [B,S,Hkv,D] (contiguous, overwritten). */
  attentionBackward(q: F32, k: F32, v: F32, g: AttentionGeom, keyMask: I32 | null, probs: F32, gOut: F32, gq: F32, gk: F32, gv: F32): void;

  /** out[i, :] = w[ids[i], :] for i < n; throws if an id is outside [0, V). */
  embedding(w: F32, wOff: number, V: number, D: number, ids: I32, idsOff: number, n: number, out: F32): void;
  /** gw [V, D] (overwritten with zeros first) += scatter of gy rows by ids. */
  embeddingBackward(gy: F32, ids: I32, idsOff: number, n: number, V: number, D: number, gw: F32): void;

  /** losses[r] = logsumexp(logits[r]) - logits[r, t[r]]; lse[r] saved; rows with t == ignore get loss 0. Throws on t out of range. */
  crossEntropy(logits: F32, lOff: number, rows: number, V: number, targets: I32, tOff: number, ignoreIndex: number, losses: F32, lse: F32): void;
  /** glogits[r] = gLoss[r] * (softmax(logits[r]) - onehot(t[r])); zero for ignored rows. */
  crossEntropyBackward(logits: F32, lOff: number, lse: F32, targets: I32, tOff: number, rows: number, V: number, ignoreIndex: number, gLoss: F32, glogits: F32): void;

  /** out[r] = x[r, idx[r]] over contiguous x [rows, cols]; throws on idx out of range. */
  gatherRows(x: F32, xOff: number, rows: number, cols: number, idx: I32, idxOff: number, out: F32): void;
  /** gx [rows, cols] (zeroed) with gx[r, idx[r]] = g[r]. */
  gatherRowsBackward(g: F32, idx: I32, idxOff: number, rows: number, cols: number, gx: F32): void;

  /** Top-k along rows (descending, ties -> lower index first). */
  topk(x: F32, xOff: number, rows: number, cols: number, k: number, values: F32, indices: I32): void;
  /** Sample one index per row from logits: temperature (0 = argmax), topK (0 = off), topP (1 = off), using u[r] in [0,1). */
  sampleLogits(logits: F32, lOff: number, rows: number, V: number, temperature: number, topK: number, topP: number, u: F32, out: I32): void;

  /** SwiGLU gate: y[i] = silu(gate[i]) * up[i] over n contiguous elements (y from 0). */
  swiglu(gate: F32, gateOff: number, up: F32, upOff: number, y: F32, n: number): void;
  /** Its backward: gGate = gy * up * silu'(gate), gUp = gy * silu(gate) (both written from 0). */
  swigluBackward(gate: F32, gateOff: number, up: F32, upOff: number, gy: F32, gyOff: number, gGate: F32, gUp: F32, n: number): void;
  /** Sum of x[i]^2 over [off, off + n), accumulated in double (NaN/Inf propagate). */
  sumSquares(x: F32, off: number, n: number): number;

  /** out[r] = log softmax(a * logits[r])[t[r]] with a = 1/temperature (z = f32(a * x) as the scale kernel forms it);
   * lse[r] saved (of the scaled row); 0 where t == ignore. Throws on t out of range. */
  tokenLogProbs(logits: F32, lOff: number, rows: number, V: number, targets: I32, tOff: number, ignoreIndex: number, invTemperature: number, out: F32, lse: F32): void;
  /** glogits[r] = a * gOut[r] * (onehot(t[r]) - softmax(a * logits[r])); zero for ignored rows. */
  tokenLogProbsBackward(logits: F32, lOff: number, lse: F32, targets: I32, tOff: number, rows: number, V: number, ignoreIndex: number, invTemperature: number, gOut: F32, glogits: F32): void;

  /** Fused AdamW (PyTorch semantics): p -= lr*wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
   * p -= lr * (m / bc1) / (sqrt(v / bc2) + eps), where bc1 = 1 - b1^t, bc2 = 1 - b2^t. */
  adamw(n: number, p: F32, pOff: number, g: F32, gOff: number, m: F32, v: F32, lr: number, b1: number, b2: number, eps: number, wd: number, bc1: number, bc2: number): void;
}
