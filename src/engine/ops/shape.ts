/**
 * Shape ops: views without copies (reshape of contiguous data, permute, transpose, slice, expand,
 * (un)squeeze) and the copying ones (contiguous, clone, cat, copyInto). All differentiable.
 */
import { Tensor, empty, emptyUninit, contiguousStrides, numel, zeros } from '../tensor.js';
import { record, noGrad } from '../autograd.js';
import { K } from '../backend.js';
import { defineOp } from '../op.js';
import { randn, Rng } from '../random.js';
import { sumTo } from './reduce.js';

function normDim(d: number, ndim: number, op: string): number {
  const r = d < 0 ? d + ndim : d;
  if (!Number.isInteger(r) || r < 0 || r >= ndim) throw new Error(`${op}: dim ${d} out of range for a tensor of rank ${ndim}`);
  return r;
}

function view(t: Tensor, shape: number[], strides: number[], offset: number): Tensor {
  t.storage.retain();
  void t.data; // throws if disposed
  return new Tensor(t.storage, shape, strides, offset);
}

/** Broadcast shapes numpy-style; throws naming the op and both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${op}: shapes [${a}] and [${b}] cannot be broadcast together`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides for reading `t` as if broadcast to `shape` (0 on broadcast dims). */
export function broadcastStrides(t: Tensor, shape: readonly number[]): number[] {
  const n = shape.length, k = t.ndim;
  const s = new Array<number>(n).fill(0);
  for (let i = 0; i < k; i++) s[n - k + i] = t.shape[i] === 1 && shape[n - k + i] !== 1 ? 0 : t.strides[i];
  return s;
}

export function contiguous(t: Tensor): Tensor {
  if (t.isContiguous) return reshapeView(t, t.shape.slice());
  return clone(t);
}

/** Always a fresh contiguous copy. */
export function clone(t: Tensor): Tensor {
  const out = emptyUninit(t.shape, t.dtype);
  K().copyStrided(t.data, t.offset, t.strides, out.data, 0, out.strides, t.shape);
  return record(out, 'clone', [t], [], (g) => [clone(g)]);
}

function reshapeView(t: Tensor, shape: number[]): Tensor {
  const out = view(t, shape, contiguousStrides(shape), t.offset);
  const inShape = t.shape.slice();
  return record(out, 'reshape', [t], [], (g) => [reshape(g, inShape)]);
}

export function reshape(t: Tensor, shape: number[]): Tensor {
  const s = shape.map((d) => (d === 0 ? 0 : d)); // -0 -> 0
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = numel(s.filter((_, i) => i !== neg));
    if (rest === 0 || t.size % rest !== 0) throw new Error(`reshape: cannot infer -1 reshaping [${t.shape}] to [${shape}]`);
    s[neg] = t.size / rest;
  }
  if (numel(s) !== t.size || s.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`reshape: cannot reshape [${t.shape}] (${t.size} elements) to [${shape}]`);
  if (t.isContiguous) return reshapeView(t, s);
  const c = clone(t);
  const r = reshapeView(c, s);
  c.dispose();
  return r;
}

export function permute(t: Tensor, dims: number[]): Tensor {
  if (dims.length !== t.ndim) throw new Error(`permute: got ${dims.length} dims for a tensor of rank ${t.ndim}`);
  const d = dims.map((x) => normDim(x, t.ndim, 'permute'));
  if (new Set(d).size !== d.length) throw new Error(`permute: repeated dims in [${dims}]`);
  const out = view(t, d.map((i) => t.shape[i]), d.map((i) => t.strides[i]), t.offset);
  const inv = new Array<number>(d.length);
  d.forEach((x, i) => { inv[x] = i; });
  return record(out, 'permute', [t], [], (g) => [permute(g, inv)]);
}

export function transpose(t: Tensor, a: number, b: number): Tensor {
  const dims = [...Array(t.ndim).keys()];
  const da = normDim(a, t.ndim, 'transpose'), db = normDim(b, t.ndim, 'transpose');
  [dims[da], dims[db]] = [dims[db], dims[da]];
  return permute(t, dims);
}

/** Elements [start, end) along dim (negative indices count from the end). */
export function slice(t: Tensor, dim: number, start: number, end: number): Tensor {
  const d = normDim(dim, t.ndim, 'slice');
  const n = t.shape[d];
  const s = (start < 0 ? start + n : start) + 0, e = (end < 0 ? end + n : Math.min(end, n)) + 0; // + 0: -0 -> 0
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || s > e || e > n) throw new Error(`slice: range [${start}, ${end}) invalid for dim ${dim} of size ${n}`);
  const shape = t.shape.slice();
  shape[d] = e - s;
  const out = view(t, shape, t.strides.slice(), t.offset + s * t.strides[d]);
  const inShape = t.shape.slice();
  return record(out, 'slice', [t], [], (g) => {
    const gx = zeros(inShape);
    copyInto(slice(gx, d, s, e), g);
    return [gx];
  });
}

export function expand(t: Tensor, shape: number[]): Tensor {
  if (shape.length < t.ndim) throw new Error(`expand: cannot expand [${t.shape}] to fewer dims [${shape}]`);
  const target = shape.map((x, i) => (x === -1 ? t.shape[i - (shape.length - t.ndim)] : x === 0 ? 0 : x)); // -0 -> 0
  if (target.some((x) => !Number.isSafeInteger(x) || x < 0)) throw new Error(`expand: invalid target shape [${shape}] for [${t.shape}] (dims must be non-negative integers; -1 only for existing dims)`);
  if (broadcastShapes(t.shape, target, 'expand').some((x, i) => x !== target[i])) throw new Error(`expand: [${t.shape}] cannot expand to [${shape}]`);
  const out = view(t, target, broadcastStrides(t, target), t.offset);
  const inShape = t.shape.slice();
  return record(out, 'expand', [t], [], (g) => [sumTo(g, inShape)]);
}

export function unsqueeze(t: Tensor, dim: number): Tensor {
  const d = normDim(dim, t.ndim + 1, 'unsqueeze');
  const shape = t.shape.slice(), strides = t.strides.slice();
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < t.ndim ? t.strides[d] * t.shape[d] : 1);
  const out = view(t, shape, strides, t.offset);
  const inShape = t.shape.slice();
  return record(out, 'unsqueeze', [t], [], (g) => [reshape(g, inShape)]);
}

export function squeeze(t: Tensor, dim: number): Tensor {
  const d = normDim(dim, t.ndim, 'squeeze');
  if (t.shape[d] !== 1) throw new Error(`squeeze: dim ${dim} has size ${t.shape[d]}, not 1`);
  const shape = t.shape.slice(), strides = t.strides.slice();
  shape.splice(d, 1); strides.splice(d, 1);
  const out = view(t, shape, strides, t.offset);
  const inShape = t.shape.slice();
  return record(out, 'squeeze', [t], [], (g) => [reshape(g, inShape)]);
}

/** Copies src into the (possibly strided) view dst, in place, without autograd. Shapes must match. */
export function copyInto(dst: Tensor, src: Tensor): void {
  if (dst.ndim !== src.ndim || dst.shape.some((x, i) => x !== src.shape[i])) throw new Error(`copyInto: shape [${src.shape}] does not match destination [${dst.shape}]`);
  if (dst.dtype !== src.dtype) throw new Error(`copyInto: dtype ${src.dtype} into ${dst.dtype}`);
  K().copyStrided(src.data, src.offset, src.strides, dst.data, dst.offset, dst.strides, src.shape);
}

/** Concatenation along dim. */
export function cat(ts: Tensor[], dim: number): Tensor {
  if (ts.length === 0) throw new Error('cat: no tensors');
  const d = normDim(dim, ts[0].ndim, 'cat');
  const shape = ts[0].shape.slice();
  let total = 0;
  for (const t of ts) {
    if (t.ndim !== shape.length || t.shape.some((x, i) => i !== d && x !== shape[i])) throw new Error(`cat: shape [${t.shape}] does not match [${ts[0].shape}] outside dim ${d}`);
    if (t.dtype !== ts[0].dtype) throw new Error('cat: mixed dtypes');
    total += t.shape[d];
  }
  shape[d] = total;
  const out = empty(shape, ts[0].dtype);
  let at = 0;
  const ranges: [number, number][] = [];
  for (const t of ts) {
    const o = slice(out, d, at, at + t.shape[d]);
    copyInto(o, t);
    o.dispose();
    ranges.push([at, at + t.shape[d]]);
    at += t.shape[d];
  }
  return record(out, 'cat', ts, [], (g) => ranges.map(([s, e]) => contiguous(slice(g, d, s, e))));
}

/** Casts between f32 and i32 (truncating toward zero); no gradient. */
export function cast(t: Tensor, dtype: 'f32' | 'i32'): Tensor {
  const c = contiguous(t);
  const out = empty(t.shape, dtype);
  const src = c.data, dst = out.data;
  for (let i = 0; i < c.size; i++) dst[i] = dtype === 'i32' ? Math.trunc(src[c.offset + i]) : src[c.offset + i];
  c.dispose();
  return out;
}

// ---- op table entries ----
const r = (shape: number[]) => (rng: () => number) => { const g = new Rng(Math.floor(rng() * 1e9)); return randn(shape, g); };
defineOp({ name: 'reshape', differentiable: true, cases: [
  { label: '[2,3,4]->[6,4]', make: (g) => [r([2, 3, 4])(g)], run: ([x]) => reshape(x, [6, 4]) },
  { label: 'strided [3,4]^T->[12]', make: (g) => [r([3, 4])(g)], run: ([x]) => { const t = transpose(x, 0, 1); const o = reshape(t, [12]); t.dispose(); return o; } },
] });
defineOp({ name: 'permute', differentiable: true, cases: [
  { label: '[2,3,4] (2,0,1)', make: (g) => [r([2, 3, 4])(g)], run: ([x]) => contiguous(permute(x, [2, 0, 1])) },
] });
defineOp({ name: 'slice', differentiable: true, cases: [
  { label: '[4,5] dim1 1..4', make: (g) => [r([4, 5])(g)], run: ([x]) => contiguous(slice(x, 1, 1, 4)) },
  { label: '[3,4,2] dim0 -2..', make: (g) => [r([3, 4, 2])(g)], run: ([x]) => contiguous(slice(x, 0, -2, 3)) },
] });
defineOp({ name: 'expand', differentiable: true, cases: [
  { label: '[3,1]->[2,3,4]', make: (g) => [r([3, 1])(g)], run: ([x]) => contiguous(expand(x, [2, 3, 4])) },
] });
defineOp({ name: 'unsqueeze/squeeze', differentiable: true, cases: [
  { label: '[3,4] unsqueeze 1, squeeze', make: (g) => [r([3, 4])(g)], run: ([x]) => { const u = unsqueeze(x, 1); const s = squeeze(u, 1); return contiguous(s); } },
] });
defineOp({ name: 'clone', differentiable: true, cases: [
  { label: 'strided [4,3]^T', make: (g) => [r([4, 3])(g)], run: ([x]) => clone(transpose(x, 0, 1)) },
] });
defineOp({ name: 'cat', differentiable: true, cases: [
  { label: '[2,3]+[2,5] dim1', make: (g) => [r([2, 3])(g), r([2, 5])(g)], run: (xs) => cat(xs, 1) },
  { label: '[1,4]+[3,4] dim0', make: (g) => [r([1, 4])(g), r([3, 4])(g)], run: (xs) => cat(xs, 0) },
] });

/** The data of a contiguous tensor as an array starting at its first element (for kernels without an offset argument). */
export function dataFrom(t: Tensor): Float32Array {
  const d = t.data as Float32Array;
  return t.offset ? d.subarray(t.offset) : d;
}

/** `t` itself when contiguous, else a contiguous copy made outside autograd (dispose it when `copied`). For kernels. */
export function contig(t: Tensor): { t: Tensor; copied: boolean } {
  if (t.isContiguous) return { t, copied: false };
  return { t: noGrad(() => clone(t)), copied: true };
}
