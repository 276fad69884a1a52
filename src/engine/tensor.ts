/**
 * Tensor: a strided view (shape, strides, offset, dtype) over a reference-counted Storage, plus the
 * autograd fields. f32 for compute, i32 for indices. Views (reshape, permute, slice, expand) share
 * storage; everything else allocates. Methods are thin sugar over the functions in ops/.
 */
import { Storage, type DType, type TypedData } from './storage.js';
import { track, untrack, installScopeHooks, type ScopeFrame } from './scope.js';
import { backward as runBackward, reachableNodes, type GradNode, type BackwardOptions } from './autograd.js';
import * as shapeOps from './ops/shape.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import { matmul } from './ops/matmul.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

export function checkShape(shape: Shape, what: string): void {
  for (const d of shape) if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${what}: invalid shape [${shape}] (dims must be non-negative integers)`);
}

export class Tensor {
  requiresGrad = false;
  grad: Tensor | null = null;
  _node: GradNode | null = null;
  _retainGrad = false;
  _scope: ScopeFrame | null = null;
  disposed = false;
  /** Optional label (parameter name, hook name) shown in errors and toString. */
  name?: string;

  constructor(
    readonly storage: Storage,
    readonly shape: number[],
    readonly strides: number[],
    readonly offset: number,
  ) {
    track(this);
  }

  get dtype(): DType { return this.storage.dtype; }
  get ndim(): number { return this.shape.length; }
  get size(): number { return numel(this.shape); }

  /** The storage's whole typed array (index with offset/strides). Throws on a disposed tensor. */
  get data(): TypedData {
    if (this.disposed || this.storage.isFreed) throw new Error(`tensor${this.name ? ` '${this.name}'` : ''} [${this.shape}] was disposed and cannot be used`);
    return this.storage.data;
  }

  get isContiguous(): boolean {
    let acc = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== acc) return false;
      acc *= this.shape[i];
    }
    return true;
  }

  /** Frees this view's hold on the storage. Idempotent. Parameters and caches are disposed by their owners. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    untrack(this);
    this.storage.release();
    if (this.grad) { this.grad.dispose(); this.grad = null; }
  }

  /** Removes the tensor from its scope: it survives scope exit and must be disposed by its owner. */
  keep(): this {
    untrack(this);
    return this;
  }

  /** A new Tensor object over the same storage (retained), untracked by scopes, without history. Internal. */
  _retainedView(): Tensor {
    void this.data; // throws if disposed
    this.storage.retain();
    const t = new Tensor(this.storage, this.shape.slice(), this.strides.slice(), this.offset);
    untrack(t);
    return t;
  }

  /** Marks this tensor as a leaf that needs gradients. Returns this. */
  requireGrad(on = true): this {
    if (on && this.dtype !== 'f32') throw new Error('requireGrad: only f32 tensors can require grad');
    if (this._node) { this._retainGrad = on; return this; }
    this.requiresGrad = on;
    return this;
  }

  /** Asks backward to store the gradient of this non-leaf tensor in `.grad`. */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error('retainGrad: tensor does not require grad (is it computed from anything that requires grad?)');
    this._retainGrad = true;
    return this;
  }

  /** Backpropagates from this tensor (a scalar unless gradOut is given). */
  backward(gradOut: Tensor | null = null, opts: BackwardOptions = {}): void {
    runBackward(this, gradOut, opts, {
      onesLike: (t) => full(t.shape, 1),
      add: (a, b) => ew.add(a, b),
      accumulate: (dst, g) => {
        if (dst.grad && !dst.grad.disposed) {
          const sum = ew.add(dst.grad, g);
          dst.grad.dispose();
          dst.grad = sum.keep();
        } else {
          dst.grad = shapeOps.clone(g).keep();
        }
      },
    });
  }

  /** A tensor sharing storage but cut from the graph. */
  detach(): Tensor {
    void this.data; // throws if disposed
    this.storage.retain();
    return new Tensor(this.storage, this.shape.slice(), this.strides.slice(), this.offset);
  }

  /** Flat copy of the elements in row-major order. */
  toFlat(): Float32Array | Int32Array {
    const c = shapeOps.contiguous(this);
    const out = c.dtype === 'f32' ? Float32Array.from(c.data.subarray(c.offset, c.offset + c.size)) : Int32Array.from(c.data.subarray(c.offset, c.offset + c.size));
    if (c !== this) c.dispose();
    return out;
  }

  /** Nested JS arrays (a number for a 0-d tensor). */
  toArray(): unknown {
    const flat = this.toFlat();
    if (this.ndim === 0) return flat[0];
    const build = (dim: number, off: number): unknown => {
      const n = this.shape[dim];
      const stride = numel(this.shape.slice(dim + 1));
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(dim === this.ndim - 1 ? flat[off + i] : build(dim + 1, off + i * stride));
      return out;
    };
    return build(0, 0);
  }

  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor has ${this.size} elements, shape [${this.shape}]`);
    return this.data[this.offset];
  }

  toString(): string {
    const flat = this.toFlat();
    const n = flat.length;
    const fmt = (v: number) => (this.dtype === 'i32' ? String(v) : Number.isInteger(v) ? v.toFixed(1) : v.toPrecision(5));
    const vals = n <= 8 ? Array.from(flat, fmt).join(', ') : `${Array.from(flat.subarray(0, 4), fmt).join(', ')}, …, ${Array.from(flat.subarray(n - 3), fmt).join(', ')}`;
    const tags = [this.dtype, this.requiresGrad ? 'requiresGrad' : '', this._node ? `grad_fn=${this._node.op}` : ''].filter(Boolean).join(', ');
    return `Tensor${this.name ? ` '${this.name}'` : ''}[${this.shape.join(', ')}] (${tags}) [${vals}]`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.toString(); }
  [Symbol.dispose](): void { this.dispose(); }

  // ---- sugar over ops ----
  reshape(...shape: number[]): Tensor { return shapeOps.reshape(this, shape); }
  view(...shape: number[]): Tensor { return shapeOps.reshape(this, shape); }
  permute(...dims: number[]): Tensor { return shapeOps.permute(this, dims); }
  transpose(a: number, b: number): Tensor { return shapeOps.transpose(this, a, b); }
  slice(dim: number, start: number, end: number): Tensor { return shapeOps.slice(this, dim, start, end); }
  expand(...shape: number[]): Tensor { return shapeOps.expand(this, shape); }
  unsqueeze(dim: number): Tensor { return shapeOps.unsqueeze(this, dim); }
  squeeze(dim: number): Tensor { return shapeOps.squeeze(this, dim); }
  contiguous(): Tensor { return shapeOps.contiguous(this); }
  add(b: Tensor | number): Tensor { return typeof b === 'number' ? ew.addScalar(this, b) : ew.add(this, b); }
  sub(b: Tensor | number): Tensor { return typeof b === 'number' ? ew.addScalar(this, -b) : ew.sub(this, b); }
  mul(b: Tensor | number): Tensor { return typeof b === 'number' ? ew.scale(this, b) : ew.mul(this, b); }
  div(b: Tensor | number): Tensor { return typeof b === 'number' ? ew.scale(this, 1 / b) : ew.div(this, b); }
  neg(): Tensor { return ew.neg(this); }
  matmul(b: Tensor): Tensor { return matmul(this, b); }
  sum(dims?: number | number[], keepdim = false): Tensor { return red.sum(this, dims, keepdim); }
  mean(dims?: number | number[], keepdim = false): Tensor { return red.mean(this, dims, keepdim); }
}

// ---- creation ----

export function empty(shape: Shape, dtype: DType = 'f32'): Tensor {
  checkShape(shape, 'empty');
  const n = numel(shape);
  return new Tensor(Storage.alloc(dtype, n), shape.slice(), contiguousStrides(shape), 0);
}

/**
 * Like empty, but the contents are undefined (native memory is not cleared): for outputs that a kernel
 * overwrites in full before anything reads them (a GEMM with beta = 0). Engine-internal.
 */
export function uninitialized(shape: Shape, dtype: DType = 'f32'): Tensor {
  checkShape(shape, 'uninitialized');
  const n = numel(shape);
  return new Tensor(Storage.alloc(dtype, n, false), shape.slice(), contiguousStrides(shape), 0);
}

export function full(shape: Shape, value: number, dtype: DType = 'f32'): Tensor {
  const t = empty(shape, dtype);
  if (value !== 0) t.data.fill(value); // freshly allocated storage is zero-filled
  return t;
}

export function zeros(shape: Shape, dtype: DType = 'f32'): Tensor { return full(shape, 0, dtype); }
export function ones(shape: Shape, dtype: DType = 'f32'): Tensor { return full(shape, 1, dtype); }
export function scalar(v: number): Tensor { return full([], v); }

function inferShape(v: unknown): number[] {
  const shape: number[] = [];
  let x = v;
  while (Array.isArray(x)) { shape.push(x.length); x = x[0]; }
  return shape;
}

/** A tensor from a (nested) JS array or typed array. `shape` is required for flat input of rank != 1. */
export function tensor(values: ArrayLike<number> | unknown[] | number, shape?: Shape, dtype?: DType): Tensor {
  if (typeof values === 'number') { const t = empty(shape ?? [], dtype ?? 'f32'); t.data.fill(values); return t; }
  const dt: DType = dtype ?? (values instanceof Int32Array ? 'i32' : 'f32');
  let flat: ArrayLike<number>;
  let shp: number[];
  if (Array.isArray(values) && values.length > 0 && Array.isArray(values[0])) {
    shp = inferShape(values);
    flat = (values as unknown[]).flat(Infinity) as number[];
    if (flat.length !== numel(shp)) throw new Error(`tensor(): ragged nested array (expected ${numel(shp)} elements for shape [${shp}], got ${flat.length})`);
  } else {
    flat = values as ArrayLike<number>;
    shp = [flat.length];
  }
  if (shape) {
    if (numel(shape) !== flat.length) throw new Error(`tensor(): ${flat.length} values do not fill shape [${shape}]`);
    shp = shape.slice();
  }
  const t = empty(shp, dt);
  const d = t.data;
  for (let i = 0; i < flat.length; i++) {
    const x = flat[i];
    if (typeof x !== 'number') throw new Error(`tensor(): element ${i} is not a number`);
    d[i] = x;
  }
  return t;
}

export function arange(n: number, dtype: DType = 'i32'): Tensor {
  const t = empty([n], dtype);
  for (let i = 0; i < n; i++) t.data[i] = i;
  return t;
}

installScopeHooks({
  isScoped: (x: unknown): x is Tensor => x instanceof Tensor,
  liveNodes: (survivors) => reachableNodes(survivors as Iterable<Tensor>) as Set<unknown>,
});
