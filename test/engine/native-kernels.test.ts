// Native kernels vs the reference oracle: every kernel of kernels.ts on random sizes and edge cases
// (0, 1, odd lengths, broadcast and permuted strides, strided attention inputs, GQA/MQA, windows, soft-caps,
// masks, fully-masked rows), plus argument validation that must throw instead of crashing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadNativeAddon, nativeLoadError } from '../../src/engine/native-addon.js';
import { createNativeKernels } from '../../src/engine/backends/native.js';
import { referenceKernels as R } from '../../src/engine/backends/reference.js';
import { BinaryOp, ReduceOp, UnaryOp, type AttentionGeom, type Kernels } from '../../src/engine/kernels.js';

const addon = loadNativeAddon();
const skip = addon ? false : `native addon unavailable: ${nativeLoadError()}`;
const N: Kernels = addon ? createNativeKernels(addon) : R;

// ---- helpers -------------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(12345);
const randInt = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
function randn(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}
function randPos(n: number, lo = 0.1, hi = 3): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + rand() * (hi - lo);
  return a;
}

function close(name: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(got.length, want.length, `${name}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w)) { assert.ok(Number.isNaN(g), `${name}[${i}]: got ${g}, want NaN`); continue; }
    if (!Number.isFinite(w)) { assert.equal(g, w, `${name}[${i}]: got ${g}, want ${w}`); continue; }
    const tol = atol + rtol * Math.abs(w);
    if (!(Math.abs(g - w) <= tol)) assert.fail(`${name}[${i}]: got ${g}, want ${w} (|diff| ${Math.abs(g - w)} > ${tol})`);
  }
}

function exact(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.deepEqual(Array.from(got), Array.from(want), name);
}

const contiguous = (shape: number[]) => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]; }
  return s;
};
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const SIZES = [0, 1, 3, 7, 16, 17, 33, 100, 1023, 40001];

// ---- elementwise -----------------------------------------------------------------------------------------

test('copyStrided: permuted, broadcast, offset, i32, 0-size and converting copies', { skip }, () => {
  for (let trial = 0; trial < 60; trial++) {
    const nd = randInt(0, 4);
    const shape = Array.from({ length: nd }, () => randInt(trial % 10 === 0 ? 0 : 1, 6));
    // source: a contiguous buffer of a permuted shape, read through permuted strides; some dims broadcast
    const perm = shape.map((_, i) => i).sort(() => rand() - 0.5);
    const srcShape = perm.map((p) => shape[p]);
    const srcContig = contiguous(srcShape);
    const srcStrides = new Array<number>(nd);
    perm.forEach((p, i) => { srcStrides[p] = srcContig[i]; });
    for (let d = 0; d < nd; d++) if (rand() < 0.2) srcStrides[d] = 0;
    const srcOff = randInt(0, 5), dstOff = randInt(0, 5);
    const isInt = rand() < 0.3;
    const n = numel(shape);
    const src = isInt ? Int32Array.from(randn(n + srcOff + 8, 1000)) : randn(n + srcOff + 8);
    const dstStrides = contiguous(shape);
    const mk = () => (isInt ? new Int32Array(n + dstOff + 3) : new Float32Array(n + dstOff + 3));
    const a = mk(), b = mk();
    R.copyStrided(src, srcOff, srcStrides, a, dstOff, dstStrides, shape);
    N.copyStrided(src, srcOff, srcStrides, b, dstOff, dstStrides, shape);
    exact(`copyStrided ${shape} ${srcStrides}`, b, a);
  }
  // large (threaded) transpose
  const [r, c] = [301, 257];
  const src = randn(r * c);
  const a = new Float32Array(r * c), b = new Float32Array(r * c);
  R.copyStrided(src, 0, [1, c], a, 0, [r, 1], [c, r]);
  N.copyStrided(src, 0, [1, c], b, 0, [r, 1], [c, r]);
  exact('copyStrided transpose', b, a);
  // batched transpose of the last two dims (tiled path), from an offset
  const bt = randn(3 * 40 * 33 + 5);
  const b1 = new Float32Array(3 * 40 * 33), b2 = new Float32Array(3 * 40 * 33);
  R.copyStrided(bt, 5, [1320, 1, 40], b1, 0, [1320, 33, 1], [3, 40, 33]);
  N.copyStrided(bt, 5, [1320, 1, 40], b2, 0, [1320, 33, 1], [3, 40, 33]);
  exact('copyStrided batched transpose', b2, b1);
  // strided destination (slice write)
  const d1 = new Float32Array(40), d2 = new Float32Array(40);
  const s = randn(12);
  R.copyStrided(s, 0, [4, 1], d1, 3, [10, 2], [3, 4]);
  N.copyStrided(s, 0, [4, 1], d2, 3, [10, 2], [3, 4]);
  exact('copyStrided strided dst', d2, d1);
  // converting copies follow typed-array assignment
  const f = new Float32Array([1.7, -2.7, 3e9, NaN]);
  const i1 = new Int32Array(4), i2 = new Int32Array(4);
  R.copyStrided(f, 0, [1], i1, 0, [1], [4]);
  N.copyStrided(f, 0, [1], i2, 0, [1], [4]);
  exact('copyStrided f32->i32', i2, i1);
  const f1 = new Float32Array(4), f2 = new Float32Array(4);
  R.copyStrided(i1, 0, [1], f1, 0, [1], [4]);
  N.copyStrided(i1, 0, [1], f2, 0, [1], [4]);
  exact('copyStrided i32->f32', f2, f1);
});

test('fill and axpy', { skip }, () => {
  for (const n of SIZES) {
    const a = new Float32Array(n + 4), b = new Float32Array(n + 4);
    R.fill(a, 2, n, 1.25); N.fill(b, 2, n, 1.25);
    exact(`fill f32 ${n}`, b, a);
    for (const v of [3.7, -2.5, 2 ** 32 + 5, -(2 ** 31) - 1, NaN, Infinity]) {
      const ia = new Int32Array(n + 2), ib = new Int32Array(n + 2);
      R.fill(ia, 1, n, v); N.fill(ib, 1, n, v);
      exact(`fill i32 ${n} ${v}`, ib, ia);
    }
    const x = randn(n + 3), y0 = randn(n + 5);
    const y1 = y0.slice(), y2 = y0.slice();
    R.axpy(n, -0.75, x, 3, y1, 2); N.axpy(n, -0.75, x, 3, y2, 2);
    close(`axpy ${n}`, y2, y1);
  }
});

test('unary and unaryBackward: every op, every size class', { skip }, () => {
  const positive = new Set<number>([UnaryOp.log, UnaryOp.sqrt, UnaryOp.rsqrt, UnaryOp.pow]);
  for (const [name, op] of Object.entries(UnaryOp)) {
    for (const n of SIZES) {
      const alpha = op === UnaryOp.pow ? 1.7 : op === UnaryOp.softcap ? 3 : -1.3;
      const x = positive.has(op) ? randPos(n + 2) : randn(n + 2, 4);
      const ya = new Float32Array(n), yb = new Float32Array(n);
      R.unary(op, x, 2, ya, n, alpha);
      N.unary(op, x, 2, yb, n, alpha);
      close(`unary ${name} n=${n}`, yb, ya, 3e-6, 2e-6);
      const gy = randn(n);
      const ga = new Float32Array(n), gb = new Float32Array(n);
      R.unaryBackward(op, x, 2, ya, gy, ga, n, alpha);
      N.unaryBackward(op, x, 2, ya, gy, gb, n, alpha);
      close(`unaryBackward ${name} n=${n}`, gb, ga, 3e-6, 2e-6);
    }
  }
  // edge values
  const x = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-30, -1e30]);
  for (const op of [UnaryOp.relu, UnaryOp.abs, UnaryOp.neg, UnaryOp.square, UnaryOp.exp, UnaryOp.tanh, UnaryOp.sigmoid]) {
    const ya = new Float32Array(x.length), yb = new Float32Array(x.length);
    R.unary(op, x, 0, ya, x.length, 0); N.unary(op, x, 0, yb, x.length, 0);
    close(`unary edge op ${op}`, yb, ya, 1e-6, 0);
  }
});

test('binary: broadcasting, permuted strides, every op', { skip }, () => {
  for (let trial = 0; trial < 80; trial++) {
    const nd = randInt(0, 4);
    const shape = Array.from({ length: nd }, () => randInt(trial % 13 === 0 ? 0 : 1, 7));
    const mkStrides = () => {
      const st = contiguous(shape.map((s) => s));
      if (rand() < 0.3 && nd >= 2) { // a transposed (permuted) view of a contiguous buffer
        const t = contiguous([...shape].reverse()).reverse();
        return t;
      }
      return st.map((s) => (rand() < 0.25 ? 0 : s));
    };
    const as = mkStrides(), bs = mkStrides();
    const n = numel(shape);
    const a = randn(n + 4, 3), b = randn(n + 4, 3);
    for (const [name, op] of Object.entries(BinaryOp)) {
      const oa = new Float32Array(n), ob = new Float32Array(n);
      R.binary(op, a, 1, as, b, 3, bs, oa, shape);
      N.binary(op, a, 1, as, b, 3, bs, ob, shape);
      close(`binary ${name} [${shape}] a[${as}] b[${bs}]`, ob, oa, 1e-6, 0);
    }
  }
  // large broadcast (threaded): [512, 300] + [300] (bias add)
  const [r, c] = [512, 300];
  const a = randn(r * c), b = randn(c);
  const oa = new Float32Array(r * c), ob = new Float32Array(r * c);
  R.binary(BinaryOp.add, a, 0, [c, 1], b, 0, [0, 1], oa, [r, c]);
  N.binary(BinaryOp.add, a, 0, [c, 1], b, 0, [0, 1], ob, [r, c]);
  exact('binary bias add', ob, oa);
  // maximum/minimum with NaN follow the reference's comparison order
  const x = new Float32Array([NaN, 1, NaN, 2]), y = new Float32Array([1, NaN, NaN, 3]);
  for (const op of [BinaryOp.maximum, BinaryOp.minimum]) {
    const o1 = new Float32Array(4), o2 = new Float32Array(4);
    R.binary(op, x, 0, [1], y, 0, [1], o1, [4]); N.binary(op, x, 0, [1], y, 0, [1], o2, [4]);
    close('binary NaN', o2, o1, 0, 0);
  }
});

test('reduce: sum and max with argmax over [outer, red, inner]', { skip }, () => {
  const cases = [[1, 1, 1], [3, 0, 2], [0, 4, 3], [5, 7, 1], [2, 33, 17], [4, 1000, 1], [3, 50, 300], [64, 700, 1], [1, 5, 4096]];
  for (const [outer, red, inner] of cases) {
    const x = randn(outer * red * inner + 3, 5);
    for (const op of [ReduceOp.sum, ReduceOp.max]) {
      const oa = new Float32Array(outer * inner), ob = new Float32Array(outer * inner);
      const aa = new Int32Array(outer * inner), ab = new Int32Array(outer * inner);
      R.reduce(op, x, 3, outer, red, inner, oa, op === ReduceOp.max ? aa : null);
      N.reduce(op, x, 3, outer, red, inner, ob, op === ReduceOp.max ? ab : null);
      close(`reduce ${op} [${outer},${red},${inner}]`, ob, oa, 1e-5, 1e-5);
      if (op === ReduceOp.max) exact(`argmax [${outer},${red},${inner}]`, ab, aa);
    }
  }
  // ties and NaN: first maximum wins; a NaN wins at once
  const x = new Float32Array([1, 3, 3, 2, 5, NaN, 7, NaN]);
  const oa = new Float32Array(2), ob = new Float32Array(2), aa = new Int32Array(2), ab = new Int32Array(2);
  R.reduce(ReduceOp.max, x, 0, 2, 4, 1, oa, aa); N.reduce(ReduceOp.max, x, 0, 2, 4, 1, ob, ab);
  close('max ties/NaN', ob, oa, 0, 0); exact('argmax ties/NaN', ab, aa);
});

test('gemm: transposes, leading dims, batch with broadcast A, K = 0, beta', { skip }, () => {
  const shapes = [[1, 1, 1], [3, 5, 7], [17, 9, 33], [64, 48, 80], [0, 3, 4], [3, 0, 4], [4, 3, 0], [65, 129, 31]];
  for (const [M, N_, K] of shapes) {
    for (const ta of [false, true]) for (const tb of [false, true]) {
      const batch = randInt(1, 3);
      const aRows = ta ? K : M, aCols = ta ? M : K, bRows = tb ? N_ : K, bCols = tb ? K : N_;
      const lda = aCols + randInt(0, 3), ldb = bCols + randInt(0, 3), ldc = N_ + randInt(0, 3);
      const broadcastA = rand() < 0.4;
      const sA = broadcastA ? 0 : aRows * lda + randInt(0, 5), sB = bRows * ldb + 2, sC = M * ldc + 1;
      const aOff = 2, bOff = 1, cOff = 3;
      const A = randn(aOff + batch * Math.max(sA, aRows * lda) + 4);
      const B = randn(bOff + batch * sB + 4);
      const C0 = randn(cOff + batch * sC + 4);
      const alpha = 0.5 + rand(), beta = rand() < 0.5 ? 0 : 0.7;
      const c1 = C0.slice(), c2 = C0.slice();
      R.gemm(ta, tb, M, N_, K, alpha, A, aOff, lda, sA, B, bOff, ldb, sB, beta, c1, cOff, ldc, sC, batch);
      N.gemm(ta, tb, M, N_, K, alpha, A, aOff, lda, sA, B, bOff, ldb, sB, beta, c2, cOff, ldc, sC, batch);
      close(`gemm ${M}x${N_}x${K} ta=${ta} tb=${tb} batch=${batch} sA=${sA}`, c2, c1, 1e-5, 1e-5 * Math.max(1, K));
    }
  }
});

test('gemm decode paths: one row and a few rows against a weight [N, K] (own kernels), tails, threads, beta', { skip }, () => {
  // M = 1 with B stored [N, K] and M <= 16 with B [N, K] run the addon's own streaming kernels (split over the
  // pool by weight rows, tiles of 4 x 4): odd N and K exercise every tail; beta = 0 must overwrite NaN in C
  const cases: [number, number, number][] = [[1, 5, 17], [1, 130, 896], [1, 1000, 100], [1, 3001, 64], [2, 17, 15], [3, 130, 100],
    [5, 16, 1], [8, 257, 896], [13, 33, 47], [16, 130, 64]];
  for (const [M, N_, K] of cases) for (const ta of M === 1 ? [false, true] : [false]) for (const beta of [0, 0.7]) {
    const lda = ta ? M + 2 : K + 3, ldb = K + 1, ldc = N_ + 2;
    const A = randn((ta ? K : M) * lda), B = randn(N_ * ldb);
    const C0 = beta === 0 ? new Float32Array(M * ldc).fill(NaN) : randn(M * ldc);
    for (let m = 0; m < M; m++) for (let n = N_; n < ldc; n++) C0[m * ldc + n] = 42; // padding: must stay as is
    const c1 = C0.slice(), c2 = C0.slice();
    if (beta === 0) c1.fill(0);
    for (let m = 0; m < M; m++) for (let n = N_; n < ldc; n++) c1[m * ldc + n] = 42;
    R.gemm(ta, true, M, N_, K, 1.25, A, 0, lda, 0, B, 0, ldb, 0, beta, c1, 0, ldc, 0, 1);
    N.gemm(ta, true, M, N_, K, 1.25, A, 0, lda, 0, B, 0, ldb, 0, beta, c2, 0, ldc, 0, 1);
    close(`gemm decode ${M}x${N_}x${K} ta=${ta} beta=${beta}`, c2, c1, 1e-5, 1e-5 * Math.max(1, K));
  }
});

// ---- rows ---------------------------------------------------------------------------------------------

test('softmax / log-softmax and backward', { skip }, () => {
  for (const [rows, cols] of [[1, 1], [3, 7], [5, 100], [0, 5], [2, 0], [300, 257], [4, 5000]]) {
    for (const log of [false, true]) {
      const x = randn(rows * cols + 2, 6);
      const ya = new Float32Array(rows * cols), yb = new Float32Array(rows * cols);
      R.softmax(x, 2, ya, rows, cols, log); N.softmax(x, 2, yb, rows, cols, log);
      close(`softmax log=${log} ${rows}x${cols}`, yb, ya, 2e-6, 1e-7);
      const gy = randn(rows * cols);
      const ga = new Float32Array(rows * cols), gb = new Float32Array(rows * cols);
      R.softmaxBackward(ya, gy, ga, rows, cols, log); N.softmaxBackward(ya, gy, gb, rows, cols, log);
      close(`softmaxBackward log=${log} ${rows}x${cols}`, gb, ga, 1e-5, 1e-6);
    }
  }
});

test('layerNorm and rmsNorm (with and without affine, Gemma 1 + w), forward and backward', { skip }, () => {
  for (const [rows, cols] of [[1, 1], [2, 7], [5, 64], [0, 8], [130, 513], [3, 2049]]) {
    const x = randn(rows * cols + 3, 2).map((v, i) => v + (i % 3)); // non-zero mean
    for (const affine of [0, 1, 2, 3]) {
      const w = affine & 1 ? randn(cols + 1) : null, b = affine & 2 ? randn(cols + 2) : null;
      const ya = new Float32Array(rows * cols), yb = new Float32Array(rows * cols);
      const ma = new Float32Array(rows), mb = new Float32Array(rows), ra = new Float32Array(rows), rb = new Float32Array(rows);
      R.layerNorm(x, 3, w, 1, b, 2, ya, ma, ra, rows, cols, 1e-5);
      N.layerNorm(x, 3, w, 1, b, 2, yb, mb, rb, rows, cols, 1e-5);
      close(`layerNorm y ${rows}x${cols} affine=${affine}`, yb, ya, 1e-5, 1e-5);
      close('layerNorm mean', mb, ma, 1e-6, 1e-6); close('layerNorm rstd', rb, ra, 1e-6, 1e-6);
      const gy = randn(rows * cols);
      const gxa = new Float32Array(rows * cols), gxb = new Float32Array(rows * cols);
      const gwa = w ? new Float32Array(cols) : null, gwb = w ? new Float32Array(cols) : null;
      const gba = b ? new Float32Array(cols) : null, gbb = b ? new Float32Array(cols) : null;
      R.layerNormBackward(x, 3, w, 1, ma, ra, gy, gxa, gwa, gba, rows, cols);
      N.layerNormBackward(x, 3, w, 1, ma, ra, gy, gxb, gwb, gbb, rows, cols);
      close(`layerNormBackward gx ${rows}x${cols}`, gxb, gxa, 2e-5, 2e-5);
      if (gwa && gwb) close('layerNormBackward gw', gwb, gwa, 1e-5, 1e-4);
      if (gba && gbb) close('layerNormBackward gb', gbb, gba, 1e-5, 1e-4);
    }
    for (const [hasW, wOffset] of [[false, 0], [true, 0], [true, 1]] as const) {
      const w = hasW ? randn(cols + 1) : null;
      const ya = new Float32Array(rows * cols), yb = new Float32Array(rows * cols);
      const ra = new Float32Array(rows), rb = new Float32Array(rows);
      R.rmsNorm(x, 3, w, 1, ya, ra, rows, cols, 1e-6, wOffset);
      N.rmsNorm(x, 3, w, 1, yb, rb, rows, cols, 1e-6, wOffset);
      close(`rmsNorm ${rows}x${cols} w=${hasW} off=${wOffset}`, yb, ya, 1e-5, 1e-6);
      close('rmsNorm rstd', rb, ra, 1e-6, 0);
      const gy = randn(rows * cols);
      const gxa = new Float32Array(rows * cols), gxb = new Float32Array(rows * cols);
      const gwa = hasW ? new Float32Array(cols) : null, gwb = hasW ? new Float32Array(cols) : null;
      R.rmsNormBackward(x, 3, w, 1, ra, gy, gxa, gwa, rows, cols, wOffset);
      N.rmsNormBackward(x, 3, w, 1, ra, gy, gxb, gwb, rows, cols, wOffset);
      close(`rmsNormBackward gx ${rows}x${cols}`, gxb, gxa, 2e-5, 2e-5);
      if (gwa && gwb) close('rmsNormBackward gw', gwb, gwa, 1e-5, 1e-4);
    }
  }
});

test('rope: shared and per-batch tables, partial rotary dims, inverse', { skip }, () => {
  for (const [B, T, H, D, rotDim, Bc] of [[1, 1, 1, 2, 2, 1], [2, 5, 3, 8, 8, 1], [2, 7, 2, 16, 8, 2], [1, 130, 4, 64, 64, 1], [3, 4, 2, 10, 6, 3], [0, 3, 2, 4, 4, 1]]) {
    const x = randn(B * T * H * D + 5);
    const cos = randn(Bc * T * (rotDim / 2) + 2), sin = randn(Bc * T * (rotDim / 2) + 2);
    for (const inverse of [false, true]) {
      const ya = new Float32Array(B * T * H * D), yb = new Float32Array(B * T * H * D);
      R.rope(x, 5, ya, cos, sin, 2, Bc, B, T, H, D, rotDim, inverse);
      N.rope(x, 5, yb, cos, sin, 2, Bc, B, T, H, D, rotDim, inverse);
      close(`rope ${[B, T, H, D, rotDim, Bc]} inv=${inverse}`, yb, ya, 1e-6, 1e-6);
    }
  }
});

// ---- attention ------------------------------------------------------------------------------------------

interface AttnCase { B: number; T: number; S: number; Hq: number; Hkv: number; D: number; causal: boolean; window: number; softcap: number; qPos0: number; mask: boolean; strided: boolean; probs: boolean; }

function attnCase(c: AttnCase): void {
  const { B, T, S, Hq, Hkv, D } = c;
  // strided layout: q, k and v interleaved in one fused buffer [B, max(T,S)+extra, (Hq + 2 Hkv) D]
  let q: Float32Array, k: Float32Array, v: Float32Array;
  let geom: AttentionGeom;
  const base = { B, T, S, Hq, Hkv, D, scale: 1 / Math.sqrt(D), softcap: c.softcap, causal: c.causal, window: c.window, qPos0: c.qPos0 };
  if (c.strided) {
    const L = Math.max(T, S) + 2, row = (Hq + 2 * Hkv) * D + 3;
    const buf = randn(7 + B * L * row + 5, 1.5);
    q = k = v = buf;
    geom = { ...base, qOff: 7, qsB: L * row, qsT: row, kOff: 7 + Hq * D, ksB: L * row, ksS: row, vOff: 7 + (Hq + Hkv) * D, vsB: L * row, vsS: row };
  } else {
    q = randn(B * T * Hq * D + 1, 1.5); k = randn(B * S * Hkv * D + 2, 1.5); v = randn(B * S * Hkv * D + 3);
    geom = { ...base, qOff: 1, qsB: T * Hq * D, qsT: Hq * D, kOff: 2, ksB: S * Hkv * D, ksS: Hkv * D, vOff: 3, vsB: S * Hkv * D, vsS: Hkv * D };
  }
  let mask: Int32Array | null = null;
  if (c.mask) {
    mask = new Int32Array(B * S);
    for (let i = 0; i < mask.length; i++) mask[i] = rand() < 0.7 ? 1 : 0;
    if (B > 1 && S > 0) for (let j = 0; j < S; j++) mask[j] = 0; // batch 0: every key masked -> fully masked rows
  }
  const nOut = B * T * Hq * D, nP = B * Hq * T * S;
  const oa = new Float32Array(nOut), ob = new Float32Array(nOut);
  const pa = new Float32Array(nP), pb = new Float32Array(nP);
  R.attention(q, k, v, geom, mask, oa, pa);
  N.attention(q, k, v, geom, mask, ob, c.probs ? pb : null);
  const tag = JSON.stringify(c);
  close(`attention out ${tag}`, ob, oa, 2e-5, 2e-6);
  if (c.probs) close(`attention probs ${tag}`, pb, pa, 2e-5, 1e-7);
  const gOut = randn(nOut);
  const nK = B * S * Hkv * D;
  const ga = [new Float32Array(nOut), new Float32Array(nK), new Float32Array(nK)];
  const gb = [new Float32Array(nOut).fill(9), new Float32Array(nK).fill(9), new Float32Array(nK).fill(9)];
  R.attentionBackward(q, k, v, geom, mask, pa, gOut, ga[0], ga[1], ga[2]);
  N.attentionBackward(q, k, v, geom, mask, pa, gOut, gb[0], gb[1], gb[2]);
  close(`attention gq ${tag}`, gb[0], ga[0], 5e-5, 5e-6);
  close(`attention gk ${tag}`, gb[1], ga[1], 5e-5, 5e-6);
  close(`attention gv ${tag}`, gb[2], ga[2], 5e-5, 5e-6);
}

test('attention forward/backward: GQA, MQA, causal, window, softcap, masks, strided, decoding', { skip }, () => {
  const d = { causal: false, window: 0, softcap: 0, qPos0: 0, mask: false, strided: false, probs: true };
  const cases: AttnCase[] = [
    { ...d, B: 1, T: 1, S: 1, Hq: 1, Hkv: 1, D: 1 },
    { ...d, B: 2, T: 5, S: 5, Hq: 2, Hkv: 2, D: 8, causal: true },
    { ...d, B: 2, T: 7, S: 7, Hq: 4, Hkv: 2, D: 16, causal: true, strided: true },
    { ...d, B: 1, T: 9, S: 9, Hq: 6, Hkv: 1, D: 12, causal: true, window: 3 },
    { ...d, B: 2, T: 6, S: 6, Hq: 4, Hkv: 4, D: 5, causal: true, softcap: 2.5 },
    { ...d, B: 3, T: 4, S: 6, Hq: 2, Hkv: 1, D: 7, mask: true },
    { ...d, B: 2, T: 5, S: 5, Hq: 4, Hkv: 2, D: 9, causal: true, mask: true, softcap: 5, window: 2, strided: true },
    { ...d, B: 2, T: 1, S: 10, Hq: 4, Hkv: 2, D: 8, causal: true, qPos0: 9, strided: true },
    { ...d, B: 1, T: 3, S: 10, Hq: 2, Hkv: 2, D: 4, causal: true, qPos0: 7, window: 4 },
    { ...d, B: 1, T: 4, S: 4, Hq: 2, Hkv: 1, D: 3, causal: true, qPos0: -2 }, // first rows see no key
    { ...d, B: 1, T: 64, S: 64, Hq: 8, Hkv: 8, D: 64, causal: true },
    { ...d, B: 1, T: 48, S: 48, Hq: 4, Hkv: 1, D: 32, causal: true, probs: false },
    // T >= 16 takes the sgemm path: the same features through it
    { ...d, B: 2, T: 20, S: 20, Hq: 6, Hkv: 2, D: 24, causal: true, strided: true, softcap: 3, mask: true },
    { ...d, B: 2, T: 17, S: 30, Hq: 4, Hkv: 1, D: 16, causal: true, qPos0: 13, window: 7, strided: true },
    { ...d, B: 1, T: 16, S: 16, Hq: 2, Hkv: 2, D: 8, causal: true, qPos0: -3, probs: false },
    { ...d, B: 3, T: 33, S: 19, Hq: 2, Hkv: 1, D: 5, mask: true, softcap: 1.5, probs: false },
    // T >= 64 with a causal mask or a window: 32-row blocks that skip the keys no row of the block sees
    { ...d, B: 2, T: 70, S: 70, Hq: 4, Hkv: 2, D: 16, causal: true, strided: true, softcap: 2, mask: true },
    { ...d, B: 1, T: 65, S: 90, Hq: 2, Hkv: 1, D: 8, causal: true, qPos0: 25, window: 20 },
    { ...d, B: 1, T: 64, S: 64, Hq: 2, Hkv: 2, D: 8, window: 10, probs: false },
    { ...d, B: 1, T: 96, S: 96, Hq: 3, Hkv: 1, D: 8, causal: true, qPos0: -40 }, // the first blocks see no key
    { ...d, B: 0, T: 3, S: 3, Hq: 2, Hkv: 1, D: 4 },
    { ...d, B: 1, T: 0, S: 3, Hq: 2, Hkv: 1, D: 4 },
    { ...d, B: 1, T: 3, S: 0, Hq: 2, Hkv: 1, D: 4 },
    { ...d, B: 1, T: 16, S: 4, Hq: 0, Hkv: 1, D: 4 }, // no query heads: gk, gv must still be zeroed
  ];
  for (const c of cases) attnCase(c);
  for (let i = 0; i < 40; i++) {
    const Hkv = randInt(1, 3), group = randInt(1, 3), S = randInt(1, i % 2 ? 12 : 40);
    attnCase({
      B: randInt(1, 3), T: randInt(1, S), S, Hq: Hkv * group, Hkv, D: randInt(1, 20),
      causal: rand() < 0.7, window: rand() < 0.3 ? randInt(1, 5) : 0, softcap: rand() < 0.3 ? 1 + rand() * 5 : 0,
      qPos0: 0, mask: rand() < 0.3, strided: rand() < 0.5, probs: rand() < 0.8,
    });
  }
});

// ---- indices ----------------------------------------------------------------------------------------------

test('embedding and its scatter-add backward (repeated ids)', { skip }, () => {
  for (const [V, D, n] of [[1, 1, 1], [10, 7, 25], [50, 64, 0], [1000, 130, 700]]) {
    const w = randn(V * D + 4);
    const ids = new Int32Array(n + 2);
    for (let i = 0; i < ids.length; i++) ids[i] = randInt(0, Math.min(V - 1, 5)); // many repeats
    const oa = new Float32Array(n * D), ob = new Float32Array(n * D);
    R.embedding(w, 4, V, D, ids, 2, n, oa); N.embedding(w, 4, V, D, ids, 2, n, ob);
    exact(`embedding ${V}x${D} n=${n}`, ob, oa);
    const gy = randn(n * D);
    const ga = new Float32Array(V * D), gb = new Float32Array(V * D).fill(3);
    R.embeddingBackward(gy, ids, 2, n, V, D, ga); N.embeddingBackward(gy, ids, 2, n, V, D, gb);
    close(`embeddingBackward ${V}x${D} n=${n}`, gb, ga, 1e-5, 1e-5);
  }
});

test('crossEntropy with ignore index, and backward', { skip }, () => {
  for (const [rows, V] of [[1, 1], [4, 7], [33, 1000], [0, 5], [70, 50257]]) {
    const logits = randn(rows * V + 3, 8);
    const t = new Int32Array(rows + 1);
    for (let r = 0; r < t.length; r++) t[r] = rand() < 0.2 ? -100 : randInt(0, V - 1);
    const la = new Float32Array(rows), lb = new Float32Array(rows), sa = new Float32Array(rows), sb = new Float32Array(rows);
    R.crossEntropy(logits, 3, rows, V, t, 1, -100, la, sa); N.crossEntropy(logits, 3, rows, V, t, 1, -100, lb, sb);
    close(`crossEntropy loss ${rows}x${V}`, lb, la, 1e-5, 1e-5);
    close(`crossEntropy lse ${rows}x${V}`, sb, sa, 1e-6, 1e-5);
    const gl = randn(rows);
    const ga = new Float32Array(rows * V), gb = new Float32Array(rows * V).fill(5);
    R.crossEntropyBackward(logits, 3, sa, t, 1, rows, V, -100, gl, ga);
    N.crossEntropyBackward(logits, 3, sa, t, 1, rows, V, -100, gl, gb);
    close(`crossEntropyBackward ${rows}x${V}`, gb, ga, 1e-5, 1e-7);
  }
});

test('gatherRows and backward', { skip }, () => {
  for (const [rows, cols] of [[1, 1], [5, 9], [0, 3], [400, 300]]) {
    const x = randn(rows * cols + 2);
    const idx = new Int32Array(rows + 1);
    for (let i = 0; i < idx.length; i++) idx[i] = randInt(0, cols - 1);
    const oa = new Float32Array(rows), ob = new Float32Array(rows);
    R.gatherRows(x, 2, rows, cols, idx, 1, oa); N.gatherRows(x, 2, rows, cols, idx, 1, ob);
    exact('gatherRows', ob, oa);
    const g = randn(rows);
    const ga = new Float32Array(rows * cols), gb = new Float32Array(rows * cols).fill(1);
    R.gatherRowsBackward(g, idx, 1, rows, cols, ga); N.gatherRowsBackward(g, idx, 1, rows, cols, gb);
    exact('gatherRowsBackward', gb, ga);
  }
});

test('topk: descending, ties to the lower index', { skip }, () => {
  for (const [rows, cols, k] of [[1, 1, 1], [3, 10, 3], [4, 17, 17], [2, 5, 0], [0, 4, 2], [20, 2000, 50]]) {
    const x = new Float32Array(rows * cols + 1);
    for (let i = 0; i < x.length; i++) x[i] = randInt(-5, 5); // many ties
    const va = new Float32Array(rows * k), vb = new Float32Array(rows * k), ia = new Int32Array(rows * k), ib = new Int32Array(rows * k);
    R.topk(x, 1, rows, cols, k, va, ia); N.topk(x, 1, rows, cols, k, vb, ib);
    exact(`topk values ${rows}x${cols} k=${k}`, vb, va);
    exact(`topk indices ${rows}x${cols} k=${k}`, ib, ia);
  }
});

test('sampleLogits: greedy, temperature, top-k, top-p', { skip }, () => {
  const rows = 64, V = 300;
  const logits = randn(rows * V + 2, 4);
  const u = new Float32Array(rows).map(() => rand());
  for (const [temp, topK, topP] of [[0, 0, 1], [1, 0, 1], [0.7, 0, 1], [1, 10, 1], [1, 0, 0.9], [0.8, 40, 0.95], [1.5, 1, 1], [1, 0, 0]]) {
    const oa = new Int32Array(rows), ob = new Int32Array(rows);
    R.sampleLogits(logits, 2, rows, V, temp, topK, topP, u, oa);
    N.sampleLogits(logits, 2, rows, V, temp, topK, topP, u, ob);
    exact(`sampleLogits T=${temp} k=${topK} p=${topP}`, ob, oa);
  }
  // ties (many equal values, -0 beside +0, -inf) keep the reference's order: equal values by lower index
  const V2 = 257, tied = new Float32Array(rows * V2);
  for (let i = 0; i < tied.length; i++) tied[i] = [0, -0, 1, 1, -Infinity, 2.5, -3][Math.floor(rand() * 7)];
  for (const [temp, topK, topP] of [[1, 0, 1], [0.5, 0, 1], [1, 5, 1], [1, 0, 0.5], [2, 20, 0.9]]) {
    const oa = new Int32Array(rows), ob = new Int32Array(rows);
    R.sampleLogits(tied, 0, rows, V2, temp, topK, topP, u, oa);
    N.sampleLogits(tied, 0, rows, V2, temp, topK, topP, u, ob);
    exact(`sampleLogits with ties T=${temp} k=${topK} p=${topP}`, ob, oa);
  }
});

test('adamw step', { skip }, () => {
  for (const n of SIZES) {
    const p0 = randn(n + 2), g = randn(n + 1), m0 = randn(n, 0.1), v0 = randPos(n, 0, 0.01);
    const [pa, pb, ma, mb, va, vb] = [p0.slice(), p0.slice(), m0.slice(), m0.slice(), v0.slice(), v0.slice()];
    const args = [1e-3, 0.9, 0.999, 1e-8, 0.01, 1 - 0.9 ** 3, 1 - 0.999 ** 3] as const;
    R.adamw(n, pa, 2, g, 1, ma, va, ...args); N.adamw(n, pb, 2, g, 1, mb, vb, ...args);
    close(`adamw p n=${n}`, pb, pa, 1e-6, 1e-7);
    close(`adamw m n=${n}`, mb, ma, 1e-6, 1e-8);
    close(`adamw v n=${n}`, vb, va, 1e-6, 1e-9);
  }
});

// ---- safety, memory, threads ------------------------------------------------------------------------------

test('swiglu and its backward: reference, and bitwise the unfused silu * up path', { skip }, () => {
  for (const n of [0, 1, 17, 1000, 70000]) {
    const gate = randn(n + 3, 6), up = randn(n + 2, 2), gy = randn(n + 1, 1);
    const yR = new Float32Array(n), yN = new Float32Array(n);
    R.swiglu(gate, 3, up, 2, yR, n); N.swiglu(gate, 3, up, 2, yN, n);
    close(`swiglu n=${n}`, yN, yR, 1e-5, 1e-6);
    // unfused native: s = silu(gate); y = s * up; gGate = silu'(gate) * (gy * up); gUp = gy * s
    const s = new Float32Array(n), y2 = new Float32Array(n), gs = new Float32Array(n), gg2 = new Float32Array(n), gu2 = new Float32Array(n);
    N.unary(UnaryOp.silu, gate, 3, s, n, 0);
    const sh = [n], one = [1];
    N.binary(BinaryOp.mul, s, 0, one, up, 2, one, y2, sh);
    exact(`swiglu n=${n} vs unfused`, yN, y2);
    const gGR = new Float32Array(n), gUR = new Float32Array(n), gGN = new Float32Array(n), gUN = new Float32Array(n);
    R.swigluBackward(gate, 3, up, 2, gy, 1, gGR, gUR, n); N.swigluBackward(gate, 3, up, 2, gy, 1, gGN, gUN, n);
    close(`swigluBackward gGate n=${n}`, gGN, gGR, 1e-5, 1e-6);
    close(`swigluBackward gUp n=${n}`, gUN, gUR, 1e-5, 1e-6);
    N.binary(BinaryOp.mul, gy, 1, one, up, 2, one, gs, sh);
    N.unaryBackward(UnaryOp.silu, gate, 3, s, gs, gg2, n, 0);
    N.binary(BinaryOp.mul, gy, 1, one, s, 0, one, gu2, sh);
    exact(`swigluBackward gGate n=${n} vs unfused`, gGN, gg2);
    exact(`swigluBackward gUp n=${n} vs unfused`, gUN, gu2);
  }
});

test('tokenLogProbs and backward: reference, and bitwise -crossEntropy(scale(logits, 1/T))', { skip }, () => {
  for (const [rows, V, T] of [[0, 5, 1], [1, 1, 1], [7, 33, 0.7], [40, 500, 1.3], [3, 4096, 1]]) {
    const a = Math.fround(1 / T);
    const logits = randn(rows * V + 3, 4);
    const t = new Int32Array(rows + 1).map((_, i) => (i % 5 === 3 ? -100 : randInt(0, V - 1)));
    const oR = new Float32Array(rows), lR = new Float32Array(rows), oN = new Float32Array(rows), lN = new Float32Array(rows);
    R.tokenLogProbs(logits, 3, rows, V, t, 1, -100, a, oR, lR);
    N.tokenLogProbs(logits, 3, rows, V, t, 1, -100, a, oN, lN);
    close(`tokenLogProbs ${rows}x${V}`, oN, oR, 1e-5, 1e-5);
    const gOut = randn(rows, 1), gR = new Float32Array(rows * V), gN = new Float32Array(rows * V);
    R.tokenLogProbsBackward(logits, 3, lR, t, 1, rows, V, -100, a, gOut, gR);
    N.tokenLogProbsBackward(logits, 3, lN, t, 1, rows, V, -100, a, gOut, gN);
    close(`tokenLogProbsBackward ${rows}x${V}`, gN, gR, 1e-5, 1e-6);
    // the unfused native path: z = scale(logits); loss = crossEntropy(z); logp = -loss; grads through both
    const z = new Float32Array(rows * V), loss = new Float32Array(rows), lse = new Float32Array(rows);
    N.unary(UnaryOp.scale, logits, 3, z, rows * V, a);
    N.crossEntropy(z, 0, rows, V, t, 1, -100, loss, lse);
    exact(`tokenLogProbs ${rows}x${V} vs unfused`, oN.map((x) => x + 0), loss.map((x) => -x + 0)); // (+0 and -0 alike)
    const gz = new Float32Array(rows * V), gx = new Float32Array(rows * V);
    N.crossEntropyBackward(z, 0, lse, t, 1, rows, V, -100, gOut.map((x) => -x), gz);
    N.unaryBackward(UnaryOp.scale, logits, 3, z, gz, gx, rows * V, a);
    exact(`tokenLogProbsBackward ${rows}x${V} vs unfused`, gN, gx);
  }
  const logits = randn(8, 1), bad = new Int32Array([0, 9]);
  assert.throws(() => N.tokenLogProbs(logits, 0, 2, 4, bad, 0, -100, 1, new Float32Array(2), new Float32Array(2)), /tokenLogProbs/);
});

test('sumSquares: double accumulation, offsets, NaN/Inf', { skip }, () => {
  for (const n of [0, 1, 33, 65536, 200001]) {
    const x = randn(n + 4, 3);
    let want = 0;
    for (let i = 0; i < n; i++) want += x[4 + i] * x[4 + i];
    assert.equal(R.sumSquares(x, 4, n), want);
    const got = N.sumSquares(x, 4, n);
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, want), `sumSquares n=${n}: ${got} vs ${want}`);
  }
  const bad = new Float32Array(100000);
  bad[77777] = NaN;
  assert.ok(Number.isNaN(N.sumSquares(bad, 0, bad.length)));
  bad[77777] = Infinity;
  assert.equal(N.sumSquares(bad, 0, bad.length), Infinity);
  assert.throws(() => N.sumSquares(bad, 5, bad.length), /sumSquares.*x/);
});

test('bad offsets, lengths, kinds and ids throw errors naming the op (and never crash)', { skip }, () => {
  const a = addon!;
  const x = new Float32Array(8), y = new Float32Array(8), i32 = new Int32Array(8);
  const throwsNamed = (fn: () => void, op: string, what: RegExp) =>
    assert.throws(fn, (e: Error) => e.message.includes(op) && what.test(e.message), `${op} should throw ${what}`);
  throwsNamed(() => N.unary(UnaryOp.exp, x, 1, y, 8, 0), 'unary', /x too small/);
  throwsNamed(() => N.unary(UnaryOp.exp, x, 0, y, 9, 0), 'unary', /too small/);
  throwsNamed(() => N.unary(UnaryOp.exp, x, -1, y, 2, 0), 'unary', />= 0/);
  throwsNamed(() => N.unary(UnaryOp.exp, x, 0.5, y, 2, 0), 'unary', /integer/);
  throwsNamed(() => N.unary(99, x, 0, y, 2, 0), 'unary', /unknown op 99/);
  throwsNamed(() => N.unary(0, i32 as unknown as Float32Array, 0, y, 2, 0), 'unary', /Float32Array/);
  throwsNamed(() => (a.unary as unknown as (...args: unknown[]) => void)(0, x, 0), 'unary', /expects 6 arguments/);
  throwsNamed(() => N.axpy(5, 1, x, 4, y, 0), 'axpy', /x too small/);
  throwsNamed(() => N.copyStrided(x, 0, [1, 4], y, 0, [4, 1], [4, 4]), 'copyStrided', /out of bounds/);
  throwsNamed(() => N.copyStrided(x, 0, [-1], y, 0, [1], [2]), 'copyStrided', /out of bounds/);
  throwsNamed(() => N.copyStrided(x, 0, [1], y, 0, [1], [-1]), 'copyStrided', /negative/);
  throwsNamed(() => N.binary(BinaryOp.add, x, 0, [0, 3], y, 0, [4, 1], new Float32Array(16), [4, 4]), 'binary', /a strided view out of bounds/);
  throwsNamed(() => N.binary(BinaryOp.add, x, 0, [1], y, 0, [1], new Float32Array(3), [4]), 'binary', /out too small/);
  throwsNamed(() => N.binary(BinaryOp.add, x, 0, new Array(17).fill(0), y, 0, new Array(17).fill(0), new Float32Array(3), new Array(17).fill(1)), 'binary', /exceed/);
  throwsNamed(() => N.reduce(ReduceOp.sum, x, 0, 3, 3, 1, y, null), 'reduce', /x too small/);
  throwsNamed(() => N.reduce(ReduceOp.sum, x, 0, 2 ** 30, 2 ** 30, 2 ** 10, y, null), 'reduce', /too large/);
  throwsNamed(() => N.gemm(false, false, 2, 2, 4, 1, x, 0, 4, 0, y, 0, 3, 0, 0, new Float32Array(4), 0, 2, 0, 1), 'gemm', /B strided view out of bounds/);
  throwsNamed(() => N.gemm(false, false, 2, 2, 5, 1, x, 0, 5, 0, y, 0, 2, 0, 0, new Float32Array(4), 0, 2, 0, 1), 'gemm', /A strided view out of bounds/);
  throwsNamed(() => N.gemm(false, false, 2, 2, 4, 1, x, 0, 3, 0, y, 0, 2, 0, 0, new Float32Array(4), 0, 2, 0, 1), 'gemm', /lda = 3 is smaller/);
  throwsNamed(() => N.gemm(false, false, 2, 2, 2, 1, x, 0, 2, 4, y, 0, 2, 0, 0, new Float32Array(4), 0, 2, 4, 2), 'gemm', /C strided view out of bounds/);
  throwsNamed(() => N.softmax(x, 0, y, 3, 3, false), 'softmax', /too small/);
  throwsNamed(() => N.layerNorm(x, 0, new Float32Array(2), 0, null, 0, y, x, x, 2, 4, 1e-5), 'layerNorm', /w too small/);
  throwsNamed(() => N.rmsNormBackward(x, 0, null, 0, new Float32Array(1), x, y, null, 2, 4, 0), 'rmsNormBackward', /rstd too small/);
  throwsNamed(() => N.rope(x, 0, y, x, x, 0, 1, 1, 1, 2, 4, 3, false), 'rope', /rotDim 3/);
  throwsNamed(() => N.rope(x, 0, y, x, x, 7, 1, 1, 1, 2, 4, 4, false), 'rope', /cos too small/);
  throwsNamed(() => N.embedding(x, 0, 4, 2, Int32Array.from([0, 4]), 0, 2, new Float32Array(4)), 'embedding', /token id 4 .*out of range \[0, 4\)/);
  throwsNamed(() => N.embedding(x, 0, 4, 2, Int32Array.from([-1]), 0, 1, new Float32Array(4)), 'embedding', /token id -1/);
  throwsNamed(() => N.embeddingBackward(x, Int32Array.from([9]), 0, 1, 4, 2, y), 'embeddingBackward', /token id 9/);
  throwsNamed(() => N.crossEntropy(x, 0, 2, 4, Int32Array.from([1, 4]), 0, -100, y, y), 'crossEntropy', /target 4/);
  throwsNamed(() => N.crossEntropyBackward(x, 0, y, Int32Array.from([1, -5]), 0, 2, 4, -100, y, y), 'crossEntropyBackward', /target -5/);
  throwsNamed(() => N.gatherRows(x, 0, 2, 4, Int32Array.from([0, 7]), 0, y), 'gatherRows', /index 7/);
  throwsNamed(() => N.gatherRowsBackward(x, Int32Array.from([5]), 0, 1, 4, y), 'gatherRowsBackward', /index 5/);
  throwsNamed(() => N.topk(x, 0, 2, 4, 5, y, i32), 'topk', /k=5 exceeds/);
  throwsNamed(() => N.sampleLogits(x, 0, 2, 4, 1, 0, 1, new Float32Array(1), i32), 'sampleLogits', /u too small/);
  throwsNamed(() => N.adamw(8, x, 1, y, 0, x, y, 1e-3, 0.9, 0.999, 1e-8, 0, 1, 1), 'adamw', /p too small/);
  throwsNamed(() => N.fill(x, 4, 5, 0), 'fill', /too small/);
  const g: AttentionGeom = { B: 1, T: 2, S: 2, Hq: 3, Hkv: 2, D: 1, qOff: 0, qsB: 6, qsT: 3, kOff: 0, ksB: 4, ksS: 2, vOff: 0, vsB: 4, vsS: 2, scale: 1, softcap: 0, causal: true, window: 0, qPos0: 0 };
  throwsNamed(() => N.attention(x, x, x, g, null, y, null), 'attention', /Hq = 3 is not a multiple of Hkv = 2/);
  throwsNamed(() => N.attention(x, x, x, { ...g, Hq: 2, Hkv: 0 }, null, y, null), 'attention', /Hkv must be >= 1/);
  throwsNamed(() => N.attention(x, x, x, { ...g, Hq: 4, qsT: 8, qsB: 16 }, null, y, null), 'attention', /q strided view out of bounds/);
  throwsNamed(() => N.attention(x, x, x, { ...g, Hq: 2, Hkv: 2, kOff: 5 }, null, y, null), 'attention', /k strided view out of bounds/);
  throwsNamed(() => N.attention(x, x, x, { ...g, Hq: 2, Hkv: 2 }, new Int32Array(1), y, null), 'attention', /keyMask too small/);
  throwsNamed(() => N.attention(x, x, x, { ...g, Hq: 2, Hkv: 2, softcap: -1 }, null, y, null), 'attention', /softcap/);
  throwsNamed(() => N.attentionBackward(x, x, x, { ...g, Hq: 2, Hkv: 2 }, null, new Float32Array(2), y, y, y, y), 'attentionBackward', /probs too small/);
  // a freed buffer reads as empty: every kernel then refuses it
  const ab = a.alloc(32);
  const view = new Float32Array(ab);
  a.free(ab);
  throwsNamed(() => N.unary(UnaryOp.exp, view, 0, y, 1, 0), 'unary', /x too small/);
});

test('alloc / free / detach, zero fill on reuse, memStats', { skip }, () => {
  const a = addon!;
  const before = a.memStats();
  const ab = a.alloc(1000);
  assert.equal(ab.byteLength, 1000);
  const f = new Float32Array(ab);
  assert.ok(f.every((v) => v === 0), 'fresh memory is zero-filled');
  f.fill(7);
  const mid = a.memStats();
  assert.equal(mid.allocs, before.allocs + 1);
  assert.ok(mid.liveBytes >= before.liveBytes + 1000);
  a.free(ab);
  assert.equal(ab.byteLength, 0, 'free detaches the ArrayBuffer');
  assert.equal(f.length, 0, 'views of a freed buffer are empty');
  assert.throws(() => a.free(ab), /already freed/);
  assert.throws(() => N.unary(UnaryOp.exp, f, 0, new Float32Array(1), 1, 0), /too small/);
  assert.throws(() => a.free(new ArrayBuffer(8)), /not allocated by alloc/);
  const sab = a.alloc(64);
  const sub = new Float32Array(sab, 16, 4); // a view past the start: free takes the buffer, not the view
  a.free(sab);
  assert.equal(sub.length, 0);
  assert.throws(() => a.free({} as ArrayBuffer), /ArrayBuffer/);
  assert.throws(() => a.alloc(-1), />= 0/);
  const after = a.memStats();
  assert.equal(after.allocs, before.allocs);
  assert.ok(after.cachedBytes >= 1000, 'freed block is cached for reuse');
  // reuse from the cache comes back zero-filled
  const ab2 = a.alloc(1000);
  assert.ok(new Float32Array(ab2).every((v) => v === 0), 'reused memory is zero-filled');
  a.free(ab2);
  // churn: the cache keeps live bytes flat
  for (let i = 0; i < 2000; i++) { const t = a.alloc(4096 + (i % 7) * 64); new Float32Array(t)[0] = i; a.free(t); }
  assert.equal(a.memStats().allocs, before.allocs);
  const z = a.alloc(0);
  assert.equal(z.byteLength, 0);
  a.free(z);
});

test('GC finalizer releases buffers never freed, and never double-frees freed ones', { skip }, async () => {
  const a = addon!;
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const settle = async () => { for (let k = 0; k < 6; k++) { gc(); await new Promise((r) => setImmediate(r)); } };
  await settle();
  const before = a.memStats();
  (() => { for (let i = 0; i < 200; i++) new Float32Array(a.alloc(4096))[0] = 1; })();
  assert.equal(a.memStats().allocs, before.allocs + 200);
  await settle();
  assert.equal(a.memStats().allocs, before.allocs, 'unreachable, unfreed buffers are released by their finalizers');
  (() => { for (let i = 0; i < 200; i++) a.free(a.alloc(4096)); })();
  await settle(); // finalizers of the freed (detached) buffers run here: they must not release again
  const after = a.memStats();
  assert.equal(after.allocs, before.allocs);
  assert.equal(after.liveBytes, before.liveBytes);
  // memory from the cache is still handed out correctly afterwards
  const bufs = Array.from({ length: 50 }, () => a.alloc(4096));
  assert.equal(new Set(bufs.map((b) => b.byteLength)).size, 1);
  for (const b of bufs) { assert.ok(new Float32Array(b).every((v) => v === 0)); a.free(b); }
});

test('threads: setThreads/getThreads, results independent of the thread count', { skip }, () => {
  const a = addon!;
  const prev = a.getThreads();
  assert.ok(prev >= 1);
  const info = a.info();
  assert.match(info.blas, /OpenBLAS/);
  assert.equal(info.threads, prev);
  const x = randn(300 * 513);
  const outs: Float32Array[] = [];
  for (const t of [1, 2, 3]) {
    a.setThreads(t);
    assert.equal(a.getThreads(), t);
    const y = new Float32Array(x.length);
    N.softmax(x, 0, y, 300, 513, false);
    outs.push(y);
  }
  exact('softmax 1 vs 2 threads', outs[1], outs[0]);
  exact('softmax 1 vs 3 threads', outs[2], outs[0]);
  assert.throws(() => a.setThreads(0), /setThreads/);
  a.setThreads(prev);
});
