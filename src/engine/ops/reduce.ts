/**
 * Reductions: sum, mean and max over dims (keepdim optional), and sumTo (the adjoint of broadcasting,
 * used by every broadcasting op's backward).
 */
import { Tensor, empty, emptyUninit, numel } from '../tensor.js';
import { record, noGrad } from '../autograd.js';
import { K } from '../backend.js';
import { ReduceOp } from '../kernels.js';
import { defineOp } from '../op.js';
import { randn, Rng } from '../random.js';
import { contig, expand, reshape, transpose } from './shape.js';

function normDims(dims: number | number[] | undefined, ndim: number, op: string): number[] {
  const list = dims === undefined ? [...Array(ndim).keys()] : Array.isArray(dims) ? dims : [dims];
  const out = list.map((d) => {
    const r = d < 0 ? d + ndim : d;
    if (!Number.isInteger(r) || r < 0 || r >= ndim) throw new Error(`${op}: dim ${d} out of range for rank ${ndim}`);
    return r;
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Sum over one dim of a contiguous tensor (no autograd). Keeps the dim (size 1). */
function reduceOne(x: Tensor, d: number, op: number, argmax: Tensor | null = null): Tensor {
  const outer = numel(x.shape.slice(0, d)), red = x.shape[d], inner = numel(x.shape.slice(d + 1));
  const shape = x.shape.slice();
  shape[d] = 1;
  const out = emptyUninit(shape);
  K().reduce(op, x.data as Float32Array, x.offset, outer, red, inner, out.data as Float32Array, argmax ? (argmax.data as Int32Array) : null);
  return out;
}

function sumRaw(x: Tensor, dims: number[], keepdim: boolean): Tensor {
  const cur = contig(x);
  let t = cur.t;
  let owned = cur.copied;
  for (let i = dims.length - 1; i >= 0; i--) {
    const r = reduceOne(t, dims[i], ReduceOp.sum);
    if (owned) t.dispose();
    t = r; owned = true;
  }
  const outShape = keepdim ? t.shape.slice() : x.shape.filter((_, i) => !dims.includes(i));
  if (!owned) t = clonePlain(t); // no dims reduced: copy so the result is a fresh tensor
  const res = noGrad(() => reshape(t, outShape));
  t.dispose();
  return res;
}

export function sum(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  if (x.dtype !== 'f32') throw new Error(`sum: expected f32, got ${x.dtype}`);
  const ds = normDims(dims, x.ndim, 'sum');
  const out = sumRaw(x, ds, keepdim);
  const inShape = x.shape.slice();
  return record(out, 'sum', [x], [], (g) => {
    const kshape = inShape.map((s, i) => (ds.includes(i) ? 1 : s));
    const gk = reshape(g, kshape);
    const ge = expand(gk, inShape);
    const r = noGrad(() => { const c = contig(ge); return c.copied ? c.t : clonePlain(ge); });
    gk.dispose(); ge.dispose();
    return [r];
  });
}

function clonePlain(t: Tensor): Tensor {
  const c = emptyUninit(t.shape);
  K().copyStrided(t.data, t.offset, t.strides, c.data, 0, c.strides, t.shape);
  return c;
}

export function mean(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const ds = normDims(dims, x.ndim, 'mean');
  const n = ds.reduce((a, d) => a * x.shape[d], 1);
  const s = sum(x, ds, keepdim);
  const out = scaleBy(s, 1 / n);
  s.dispose();
  return out;
}

// local import to avoid a cycle at module evaluation
import { scale as scaleBy } from './elementwise.js';

/** Max over one dim; gradient goes to the (first) maximal element. */
export function max(x: Tensor, dim: number, keepdim = false): Tensor {
  if (x.dtype !== 'f32') throw new Error(`max: expected f32, got ${x.dtype}`);
  const [d] = normDims(dim, x.ndim, 'max');
  if (x.shape[d] === 0) throw new Error(`max: cannot reduce over dim ${dim} of size 0 (shape [${x.shape}])`);
  const c = contig(x);
  const shape = x.shape.slice();
  shape[d] = 1;
  const am = empty(shape, 'i32');
  const out0 = reduceOne(c.t, d, ReduceOp.max, am);
  if (c.copied) c.t.dispose();
  const out = keepdim ? out0 : noGrad(() => reshape(out0, x.shape.filter((_, i) => i !== d)));
  if (!keepdim) out0.dispose();
  const inShape = x.shape.slice();
  const res = record(out, 'max', [x], [am], (g, [amS]) => {
    const gx = empty(inShape);
    const gc = contig(g);
    const outer = numel(inShape.slice(0, d)), red = inShape[d], inner = numel(inShape.slice(d + 1));
    const gd = gx.data, src = gc.t.data, idx = amS.data;
    for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) {
      gd[(o * red + idx[o * inner + j]) * inner + j] = src[gc.t.offset + o * inner + j];
    }
    if (gc.copied) gc.t.dispose();
    return [gx];
  });
  am.dispose();
  return res;
}

/** Argmax over the last dim (i32, no gradient). */
export function argmax(x: Tensor): Tensor {
  if (x.dtype !== 'f32' || x.ndim < 1 || x.shape[x.ndim - 1] === 0) throw new Error(`argmax: expected an f32 tensor whose last dim is non-empty, got ${x.dtype} [${x.shape}]`);
  const c = contig(x);
  const shape = x.shape.slice();
  shape[shape.length - 1] = 1;
  const am = empty(shape, 'i32');
  const v = reduceOne(c.t, x.ndim - 1, ReduceOp.max, am);
  v.dispose();
  if (c.copied) c.t.dispose();
  const r = noGrad(() => reshape(am, x.shape.slice(0, -1)));
  am.dispose();
  return r;
}

/** Sums g down to `shape` (the adjoint of broadcasting `shape` to g.shape). Always returns a new tensor. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot reduce [${g.shape}] to larger rank [${shape}]`);
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead) dims.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) dims.push(i);
    else if (shape[i - lead] !== g.shape[i]) throw new Error(`sumTo: [${g.shape}] is not a broadcast of [${shape}]`);
  }
  const s = dims.length ? sum(g, dims, true) : noGrad(() => reshape(g, g.shape.slice()));
  const r = reshape(s, shape.slice());
  s.dispose();
  return r;
}

// ---- op table entries ----
const rn = (shape: number[]) => (g: () => number) => randn(shape, new Rng(Math.floor(g() * 1e9)));
defineOp({ name: 'sum', differentiable: true, cases: [
  { label: '[3,4,5] dim 1', make: (g) => [rn([3, 4, 5])(g)], run: ([x]) => sum(x, 1) },
  { label: '[3,4,5] dims 0,2 keepdim', make: (g) => [rn([3, 4, 5])(g)], run: ([x]) => sum(x, [0, 2], true) },
  { label: '[6,7] all', make: (g) => [rn([6, 7])(g)], run: ([x]) => sum(x) },
  { label: 'strided [4,5]^T dim 0', make: (g) => [rn([4, 5])(g)], run: ([x]) => { const t = transpose(x, 0, 1); const o = sum(t, 0); t.dispose(); return o; } },
] });
defineOp({ name: 'mean', differentiable: true, cases: [
  { label: '[3,4] dim -1', make: (g) => [rn([3, 4])(g)], run: ([x]) => mean(x, -1) },
] });
defineOp({ name: 'max', differentiable: true, cases: [
  { label: '[3,7] dim 1', make: (g) => [rn([3, 7])(g)], run: ([x]) => max(x, 1), noFiniteDiff: true },
  { label: '[4,3,2] dim 0 keepdim', make: (g) => [rn([4, 3, 2])(g)], run: ([x]) => max(x, 0, true), noFiniteDiff: true },
] });
