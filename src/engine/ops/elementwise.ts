/**
 * Elementwise ops: unary (exp, log, tanh, GELU exact/tanh, SiLU, ...), scalar (scale, add, pow, softcap)
 * and binary with numpy broadcasting (add, sub, mul, div, maximum, minimum), plus `where`.
 */
import { Tensor, empty, uninitialized } from '../tensor.js';
import { record } from '../autograd.js';
import { K } from '../backend.js';
import { BinaryOp, UnaryOp, type UnaryOpName } from '../kernels.js';
import { defineOp, type OpCase } from '../op.js';
import { randn, uniform, Rng } from '../random.js';
import { broadcastShapes, broadcastStrides, contig, contiguous, dataFrom, transpose } from './shape.js';
import { sumTo } from './reduce.js';

function f32(t: Tensor, op: string): void {
  if (t.dtype !== 'f32') throw new Error(`${op}: expected an f32 tensor, got ${t.dtype} [${t.shape}]`);
}

function unary(name: UnaryOpName, x: Tensor, alpha = 0): Tensor {
  f32(x, name);
  const xc = contig(x);
  const y = uninitialized(x.shape); // the kernel writes every element
  const op = UnaryOp[name];
  K().unary(op, xc.t.data as Float32Array, xc.t.offset, y.data as Float32Array, x.size, alpha);
  const out = record(y, name, [x], [xc.t, y], (g, [xs, ys]) => {
    const gc = contig(g);
    const gx = empty(xs.shape);
    K().unaryBackward(op, xs.data as Float32Array, xs.offset, dataFrom(ys), dataFrom(gc.t), gx.data as Float32Array, xs.size, alpha);
    if (gc.copied) gc.t.dispose();
    return [gx];
  });
  if (xc.copied) xc.t.dispose();
  return out;
}


export const neg = (x: Tensor) => unary('neg', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const tanh = (x: Tensor) => unary('tanh', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const relu = (x: Tensor) => unary('relu', x);
export const gelu = (x: Tensor) => unary('gelu', x);
export const geluTanh = (x: Tensor) => unary('gelu_tanh', x);
export const silu = (x: Tensor) => unary('silu', x);
export const abs = (x: Tensor) => unary('abs', x);
export const sin = (x: Tensor) => unary('sin', x);
export const cos = (x: Tensor) => unary('cos', x);
export const square = (x: Tensor) => unary('square', x);
export const recip = (x: Tensor) => unary('recip', x);
export const scale = (x: Tensor, a: number) => unary('scale', x, a);
export const addScalar = (x: Tensor, a: number) => unary('add_scalar', x, a);
export const pow = (x: Tensor, a: number) => unary('pow', x, a);
/** c * tanh(x / c): Gemma 2's logit soft-capping. */
export const softcap = (x: Tensor, c: number) => unary('softcap', x, c);

function binary(name: keyof typeof BinaryOp, a: Tensor, b: Tensor): Tensor {
  f32(a, name); f32(b, name);
  const shape = broadcastShapes(a.shape, b.shape, name);
  const out = uninitialized(shape); // the kernel writes every element
  K().binary(BinaryOp[name], a.data as Float32Array, a.offset, broadcastStrides(a, shape), b.data as Float32Array, b.offset, broadcastStrides(b, shape), out.data as Float32Array, shape);
  const aShape = a.shape.slice(), bShape = b.shape.slice();
  switch (name) {
    case 'add': return record(out, name, [a, b], [], (g) => [sumTo(g, aShape), sumTo(g, bShape)]);
    case 'sub': return record(out, name, [a, b], [], (g) => [sumTo(g, aShape), reduceNeg(g, bShape)]);
    case 'mul': return record(out, name, [a, b], [a, b], (g, [sa, sb]) => [
      a.requiresGrad ? mulSum(g, sb, aShape) : null, b.requiresGrad ? mulSum(g, sa, bShape) : null]);
    case 'div': return record(out, name, [a, b], [a, b], (g, [sa, sb]) => {
      const ga = a.requiresGrad ? (() => { const t = div(g, sb); const r = sumTo(t, aShape); if (r !== t) t.dispose(); return r; })() : null;
      let gb: Tensor | null = null;
      if (b.requiresGrad) { // -g * a / b^2
        const t1 = mul(g, sa), b2 = mul(sb, sb), t2 = div(t1, b2), t3 = neg(t2);
        gb = sumTo(t3, bShape);
        for (const t of [t1, b2, t2]) t.dispose();
        if (gb !== t3) t3.dispose();
      }
      return [ga, gb];
    });
    case 'maximum':
    case 'minimum': return record(out, name, [a, b], [a, b, out], (g, [sa, sb, so]) => {
      // gradient to the input equal to the output (ties go to a)
      const pickA = empty(so.shape), pickB = empty(so.shape);
      const ad = broadcastRead(sa, so.shape), bd = broadcastRead(sb, so.shape), od = contiguous(so);
      for (let i = 0; i < so.size; i++) { const isA = ad[i] === od.data[od.offset + i]; pickA.data[i] = isA ? 1 : 0; pickB.data[i] = isA ? 0 : 1; }
      od.dispose();
      const r = [mulSum(g, pickA, aShape), mulSum(g, pickB, bShape)];
      pickA.dispose(); pickB.dispose();
      return r;
    });
  }
}

function broadcastRead(t: Tensor, shape: number[]): Float32Array {
  const out = empty(shape);
  K().copyStrided(t.data, t.offset, broadcastStrides(t, shape), out.data, 0, out.strides, shape);
  const d = Float32Array.from(out.data as Float32Array);
  out.dispose();
  return d;
}

function reduceNeg(g: Tensor, shape: number[]): Tensor {
  const n = neg(g);
  const r = sumTo(n, shape);
  if (r !== n) n.dispose();
  return r;
}

function mulSum(g: Tensor, other: Tensor, shape: number[]): Tensor {
  const t = mul(g, other);
  const r = sumTo(t, shape);
  if (r !== t) t.dispose();
  return r;
}

export const add = (a: Tensor, b: Tensor) => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor) => binary('div', a, b);
export const maximum = (a: Tensor, b: Tensor) => binary('maximum', a, b);
export const minimum = (a: Tensor, b: Tensor) => binary('minimum', a, b);

/** where(cond != 0, a, b), cond broadcast like a binary op; gradients flow to a and b. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const c = cond.dtype === 'f32' ? cond : castMask(cond);
  const one = empty([1]); one.data[0] = 1;
  const notC = sub(one, c);
  const t1 = mul(c, a), t2 = mul(notC, b);
  const out = add(t1, t2);
  for (const t of [one, notC, t1, t2]) t.dispose();
  if (c !== cond) c.dispose();
  return out;
}

function castMask(t: Tensor): Tensor {
  const c = contiguous(t);
  const out = empty(t.shape);
  for (let i = 0; i < t.size; i++) out.data[i] = c.data[c.offset + i] !== 0 ? 1 : 0;
  c.dispose();
  return out;
}

// ---- op table entries ----
const rn = (shape: number[], std = 1) => (g: () => number) => randn(shape, new Rng(Math.floor(g() * 1e9)), std);
const pos = (shape: number[]) => (g: () => number) => uniform(shape, new Rng(Math.floor(g() * 1e9)), 0.5, 2);
function unaryCases(fn: (x: Tensor) => Tensor, positive = false, opts: Partial<OpCase> = {}): OpCase[] {
  const mk = positive ? pos : rn;
  return [
    { label: '[3,5]', make: (g) => [mk([3, 5])(g)], run: ([x]) => fn(x), ...opts },
    { label: 'strided [4,6]^T', make: (g) => [mk([4, 6])(g)], run: ([x]) => { const t = transpose(x, 0, 1); const o = fn(t); t.dispose(); return o; }, ...opts },
    { label: '[37] odd length', make: (g) => [mk([37])(g)], run: ([x]) => fn(x), ...opts },
  ];
}
for (const [name, fn, positive, extra] of [
  ['neg', neg, false], ['exp', exp, false], ['log', log, true], ['sqrt', sqrt, true], ['rsqrt', rsqrt, true],
  ['tanh', tanh, false], ['sigmoid', sigmoid, false], ['relu', relu, false, { noFiniteDiff: true }], ['gelu', gelu, false],
  ['gelu_tanh', geluTanh, false], ['silu', silu, false], ['abs', abs, false, { noFiniteDiff: true }], ['sin', sin, false], ['cos', cos, false],
  ['square', square, false], ['recip', recip, true],
  ['scale', (x: Tensor) => scale(x, -1.7), false], ['add_scalar', (x: Tensor) => addScalar(x, 0.3), false],
  ['pow', (x: Tensor) => pow(x, 1.5), true], ['softcap', (x: Tensor) => softcap(x, 2.5), false],
] as [string, (x: Tensor) => Tensor, boolean, Partial<OpCase>?][]) {
  defineOp({ name, differentiable: true, cases: unaryCases(fn, positive, extra ?? {}) });
}
function binaryCases(fn: (a: Tensor, b: Tensor) => Tensor, bPositive = false, opts: Partial<OpCase> = {}): OpCase[] {
  const mb = bPositive ? pos : rn;
  return [
    { label: '[3,4] & [3,4]', make: (g) => [rn([3, 4])(g), mb([3, 4])(g)], run: ([a, b]) => fn(a, b), ...opts },
    { label: 'broadcast [2,3,4] & [3,1]', make: (g) => [rn([2, 3, 4])(g), mb([3, 1])(g)], run: ([a, b]) => fn(a, b), ...opts },
    { label: 'broadcast [4] & [2,1,4]', make: (g) => [rn([4])(g), mb([2, 1, 4])(g)], run: ([a, b]) => fn(a, b), ...opts },
    { label: 'strided [5,3]^T & [3,5]', make: (g) => [rn([5, 3])(g), mb([3, 5])(g)], run: ([a, b]) => { const t = transpose(a, 0, 1); const o = fn(t, b); t.dispose(); return o; }, ...opts },
  ];
}
defineOp({ name: 'add', differentiable: true, cases: binaryCases(add) });
defineOp({ name: 'sub', differentiable: true, cases: binaryCases(sub) });
defineOp({ name: 'mul', differentiable: true, cases: binaryCases(mul) });
defineOp({ name: 'div', differentiable: true, cases: binaryCases(div, true) });
defineOp({ name: 'maximum', differentiable: true, cases: binaryCases(maximum, false, { noFiniteDiff: true }) });
defineOp({ name: 'minimum', differentiable: true, cases: binaryCases(minimum, false, { noFiniteDiff: true }) });
defineOp({ name: 'where', differentiable: true, cases: [
  { label: 'mask [3,4] a [3,4] b [4]', make: (g) => { const m = empty([3, 4]); for (let i = 0; i < 12; i++) m.data[i] = g() < 0.5 ? 1 : 0; return [m, rn([3, 4])(g), rn([4])(g)]; }, run: ([m, a, b]) => where(m, a, b), diff: [1, 2] },
] });
