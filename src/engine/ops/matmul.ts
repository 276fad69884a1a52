/**
 * Matrix products on sgemm: `matmul` (batched, broadcasting batch dims, transposed views passed to BLAS
 * as transpose flags, never materialised) and `linear` (x W^T + b, the layer every model is made of).
 */
import { Tensor, empty, numel, uninitialized } from '../tensor.js';
import { record } from '../autograd.js';
import { K } from '../backend.js';
import { defineOp } from '../op.js';
import { randn, Rng } from '../random.js';
import { broadcastShapes, contig, expand, reshape, transpose, clone } from './shape.js';
import { sumTo, sum } from './reduce.js';
import { noGrad } from '../autograd.js';

interface GemmOperand { t: Tensor; trans: boolean; ld: number; copied: boolean }

/** How to hand the last two dims of a [.., R, C] operand to BLAS without copying, if possible. */
function operand(t: Tensor): GemmOperand {
  const n = t.ndim;
  const sr = t.strides[n - 2], sc = t.strides[n - 1];
  const R = t.shape[n - 2], C = t.shape[n - 1];
  if ((sc === 1 || C === 1) && sr >= Math.max(C, 1)) return { t, trans: false, ld: Math.max(sr, 1), copied: false };
  if ((sr === 1 || R === 1) && sc >= Math.max(R, 1)) return { t, trans: true, ld: Math.max(sc, 1), copied: false };
  const c = noGrad(() => clone(t));
  return { t: c, trans: false, ld: Math.max(C, 1), copied: true };
}

/** Uniform batch stride of the (broadcast) batch dims of t over batchShape, or null when not uniform. */
function batchStride(t: Tensor, batchShape: number[]): number | null {
  const lead = batchShape.length - (t.ndim - 2);
  let stride: number | null = null;
  let expect = 0;
  for (let i = batchShape.length - 1; i >= 0; i--) {
    const ti = i - lead;
    const size = ti >= 0 ? t.shape[ti] : 1;
    const st = ti >= 0 ? t.strides[ti] : 0;
    if (batchShape[i] === 1) continue;
    if (size === 1) { if (stride === null || stride === 0) { stride = 0; continue; } return null; }
    if (stride === null) { stride = st; expect = st * size; continue; }
    if (stride === 0) return null;
    if (st !== expect) return null;
    expect = st * size;
  }
  return stride ?? 0;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new Error('matmul: f32 tensors required');
  if (a.ndim < 2 || b.ndim < 2) throw new Error(`matmul: both operands need rank >= 2, got [${a.shape}] and [${b.shape}]`);
  const M = a.shape[a.ndim - 2], Ka = a.shape[a.ndim - 1], Kb = b.shape[b.ndim - 2], N = b.shape[b.ndim - 1];
  if (Ka !== Kb) throw new Error(`matmul: inner dimensions differ: [${a.shape}] @ [${b.shape}]`);
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch dims)');
  const batch = numel(batchShape);
  let A = operand(a), B = operand(b);
  let sA = batchStride(A.t, batchShape), sB = batchStride(B.t, batchShape);
  const fix = (op: GemmOperand, t: Tensor, rows: number, cols: number): GemmOperand => {
    const e = noGrad(() => { const x = expand(op.t, [...batchShape, rows, cols]); const c = clone(x); x.dispose(); return c; });
    if (op.copied) op.t.dispose();
    return { t: e, trans: false, ld: cols, copied: true };
  };
  if (sA === null) { A = fix(A, a, M, Ka); sA = M * Ka; }
  if (sB === null) { B = fix(B, b, Kb, N); sB = Kb * N; }
  // gemm with beta = 0 writes every element (K = 0 included): no need to clear the output first
  const out = batch > 0 && M > 0 && N > 0 ? uninitialized([...batchShape, M, N]) : empty([...batchShape, M, N]);
  if (batch > 0 && M > 0 && N > 0) {
    K().gemm(A.trans, B.trans, M, N, Ka, 1, A.t.data as Float32Array, A.t.offset, A.ld, sA,
      B.t.data as Float32Array, B.t.offset, B.ld, sB, 0, out.data as Float32Array, 0, N, M * N, batch);
  }
  if (A.copied) A.t.dispose();
  if (B.copied) B.t.dispose();
  const aShape = a.shape.slice(), bShape = b.shape.slice();
  return record(out, 'matmul', [a, b], [a, b], (g, [sa, sb]) => {
    let ga: Tensor | null = null, gb: Tensor | null = null;
    if (a.requiresGrad) {
      const bt = transpose(sb, -1, -2);
      const full = matmul(g, bt);
      ga = sumTo(full, aShape);
      bt.dispose(); full.dispose();
    }
    if (b.requiresGrad) {
      const at = transpose(sa, -1, -2);
      const full = matmul(at, g);
      gb = sumTo(full, bShape);
      at.dispose(); full.dispose();
    }
    return [ga, gb];
  });
}

/**
 * y = x W^T + b for x [..., in], W [out, in], b [out] or null. With layout 'in_out' the weight is stored
 * [in, out] and y = x W + b (GPT-2's Conv1D), still one sgemm without a transposed copy.
 */
export function linear(x: Tensor, W: Tensor, bias: Tensor | null = null, layout: 'out_in' | 'in_out' = 'out_in'): Tensor {
  if (W.ndim !== 2) throw new Error(`linear: weight must be 2-D, got [${W.shape}]`);
  const tw = layout === 'out_in';
  const [O, I] = tw ? W.shape : [W.shape[1], W.shape[0]];
  if (x.shape[x.ndim - 1] !== I) throw new Error(`linear${W.name ? ` '${W.name}'` : ''}: input [${x.shape}] does not match weight [${W.shape}] (expected last dim ${I})`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) throw new Error(`linear: bias [${bias.shape}] does not match weight [${W.shape}]`);
  const rows = numel(x.shape.slice(0, -1)); // not x.size / I: I may be 0
  const xc = contig(x), Wc = contig(W);
  const outShape = [...x.shape.slice(0, -1), O];
  // every element is written (bias rows then beta = 1, or beta = 0): no need to clear the output first
  const out = rows > 0 && O > 0 ? uninitialized(outShape) : empty(outShape);
  if (rows > 0 && O > 0) {
    if (bias) {
      const bc = contig(bias);
      const od = out.data as Float32Array, brow = (bc.t.data as Float32Array).subarray(bc.t.offset, bc.t.offset + O);
      for (let r = 0; r < rows; r++) od.set(brow, r * O); // bias rows, then sgemm accumulates (beta = 1)
      if (bc.copied) bc.t.dispose();
    }
    K().gemm(false, tw, rows, O, I, 1, xc.t.data as Float32Array, xc.t.offset, I, 0, Wc.t.data as Float32Array, Wc.t.offset, tw ? I : O, 0,
      bias ? 1 : 0, out.data as Float32Array, 0, O, 0, 1);
  }
  const inputs = bias ? [x, W, bias] : [x, W];
  const res = record(out, 'linear', inputs, [xc.t, Wc.t], (g, [xs, Ws]) => {
    const gc = contig(g);
    const gd = gc.t.data as Float32Array;
    let gx: Tensor | null = null, gW: Tensor | null = null, gb: Tensor | null = null;
    if (x.requiresGrad) {
      gx = empty(xs.shape);
      K().gemm(false, !tw, rows, I, O, 1, gd, gc.t.offset, O, 0, Ws.data as Float32Array, Ws.offset, tw ? I : O, 0, 0, gx.data as Float32Array, 0, I, 0, 1);
    }
    if (W.requiresGrad) {
      if (tw) {
        gW = empty([O, I]); // g^T x
        K().gemm(true, false, O, I, rows, 1, gd, gc.t.offset, O, 0, xs.data as Float32Array, xs.offset, I, 0, 0, gW.data as Float32Array, 0, I, 0, 1);
      } else {
        gW = empty([I, O]); // x^T g
        K().gemm(true, false, I, O, rows, 1, xs.data as Float32Array, xs.offset, I, 0, gd, gc.t.offset, O, 0, 0, gW.data as Float32Array, 0, O, 0, 1);
      }
    }
    if (bias && bias.requiresGrad) {
      const g2 = reshape(gc.t, [rows, O]);
      gb = sum(g2, 0);
      g2.dispose();
    }
    if (gc.copied) gc.t.dispose();
    return bias ? [gx, gW, gb] : [gx, gW];
  });
  if (xc.copied) xc.t.dispose();
  if (Wc.copied) Wc.t.dispose();
  return res;
}

// ---- op table entries ----
const rn = (shape: number[]) => (g: () => number) => randn(shape, new Rng(Math.floor(g() * 1e9)), 0.5);
defineOp({ name: 'matmul', differentiable: true, cases: [
  { label: '[3,4]@[4,5]', make: (g) => [rn([3, 4])(g), rn([4, 5])(g)], run: ([a, b]) => matmul(a, b) },
  { label: 'batched [2,3,4]@[2,4,2]', make: (g) => [rn([2, 3, 4])(g), rn([2, 4, 2])(g)], run: ([a, b]) => matmul(a, b) },
  { label: 'broadcast [2,2,3,4]@[4,5]', make: (g) => [rn([2, 2, 3, 4])(g), rn([4, 5])(g)], run: ([a, b]) => matmul(a, b) },
  { label: 'transposed views a^T@b^T', make: (g) => [rn([4, 3])(g), rn([5, 4])(g)], run: ([a, b]) => { const at = transpose(a, 0, 1), bt = transpose(b, 0, 1); const o = matmul(at, bt); at.dispose(); bt.dispose(); return o; } },
  { label: 'broadcast batch [1,3,2,4]@[2,1,4,3]', make: (g) => [rn([1, 3, 2, 4])(g), rn([2, 1, 4, 3])(g)], run: ([a, b]) => matmul(a, b) },
] });
defineOp({ name: 'linear', differentiable: true, cases: [
  { label: 'x[2,3,4] W[5,4] b[5]', make: (g) => [rn([2, 3, 4])(g), rn([5, 4])(g), rn([5])(g)], run: ([x, W, b]) => linear(x, W, b) },
  { label: 'x[3,6] W[2,6] no bias', make: (g) => [rn([3, 6])(g), rn([2, 6])(g)], run: ([x, W]) => linear(x, W) },
  { label: "in_out layout (Conv1D) x[2,3] W[3,4] b[4]", make: (g) => [rn([2, 3])(g), rn([3, 4])(g), rn([4])(g)], run: ([x, W, b]) => linear(x, W, b, 'in_out') },
  { label: 'strided x^T', make: (g) => [rn([4, 3])(g), rn([2, 4])(g)], run: ([x, W]) => { const t = transpose(x, 0, 1); const o = linear(t, W); t.dispose(); return o; } },
] });
