/**
 * Loads the native addon (native/build/Release/glassbox_native.node, built by `npm run build:native`).
 * Returns null, remembering why, when it is missing or GLASSBOX_BACKEND=reference; the engine then runs on
 * the reference kernels. Works from src/ (tsx) and dist/src/ (compiled) alike: it walks up to the repo root.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type F32 = Float32Array;
type I32 = Int32Array;

/** The raw functions the addon exports (native/src/addon.cc). Shapes/strides travel packed in Int32Arrays. */
export interface NativeAddon {
  /**
   * 64-byte aligned native memory, exposed zero-copy; byteLength === nbytes. Zero-filled unless zero is false
   * (then its contents are undefined: only for buffers a kernel overwrites in full).
   */
  alloc(nbytes: number, zero?: boolean): ArrayBuffer;
  /** Releases memory from alloc() at once and detaches the ArrayBuffer (its byteLength becomes 0). */
  free(ab: ArrayBuffer): void;
  /** liveBytes/cachedBytes are block capacities; allocs = live blocks; totalAllocs = blocks ever handed out. */
  memStats(): { liveBytes: number; cachedBytes: number; allocs: number; totalAllocs: number };
  /** Returns every cached freed block to the system. */
  trimCache(): void;
  setThreads(n: number): void;
  getThreads(): number;
  info(): { blas: string; threads: number; blasThreads: number; simd: string };

  copyStrided(src: F32 | I32, srcOff: number, dst: F32 | I32, dstOff: number, ndim: number, dims: I32): void;
  fill(dst: F32 | I32, off: number, n: number, value: number): void;
  axpy(n: number, alpha: number, x: F32, xOff: number, y: F32, yOff: number): void;
  unary(op: number, x: F32, xOff: number, y: F32, n: number, alpha: number): void;
  unaryBackward(op: number, x: F32, xOff: number, y: F32, gy: F32, gx: F32, n: number, alpha: number): void;
  binary(op: number, a: F32, aOff: number, b: F32, bOff: number, out: F32, ndim: number, dims: I32): void;
  reduce(op: number, x: F32, xOff: number, outer: number, red: number, inner: number, out: F32, argmax: I32 | null): void;
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: F32, aOff: number, lda: number, strideA: number, B: F32, bOff: number, ldb: number, strideB: number,
    beta: number, C: F32, cOff: number, ldc: number, strideC: number, batch: number): void;
  softmax(x: F32, xOff: number, y: F32, rows: number, cols: number, log: boolean): void;
  softmaxBackward(y: F32, gy: F32, gx: F32, rows: number, cols: number, log: boolean): void;
  layerNorm(x: F32, xOff: number, w: F32 | null, wOff: number, b: F32 | null, bOff: number, y: F32, mean: F32, rstd: F32, rows: number, cols: number, eps: number): void;
  layerNormBackward(x: F32, xOff: number, w: F32 | null, wOff: number, mean: F32, rstd: F32, gy: F32, gx: F32, gw: F32 | null, gb: F32 | null, rows: number, cols: number): void;
  rmsNorm(x: F32, xOff: number, w: F32 | null, wOff: number, y: F32, rstd: F32, rows: number, cols: number, eps: number, wOffset: number): void;
  rmsNormBackward(x: F32, xOff: number, w: F32 | null, wOff: number, rstd: F32, gy: F32, gx: F32, gw: F32 | null, rows: number, cols: number, wOffset: number): void;
  rope(x: F32, xOff: number, y: F32, cos: F32, sin: F32, cOff: number, Bc: number, B: number, T: number, H: number, D: number, rotDim: number, inverse: boolean): void;
  /** geom: Float64Array [B,T,S,Hq,Hkv,D,qOff,qsB,qsT,kOff,ksB,ksS,vOff,vsB,vsS,scale,softcap,causal,window,qPos0]. */
  attention(q: F32, k: F32, v: F32, geom: Float64Array, keyMask: I32 | null, out: F32, probs: F32 | null): void;
  attentionBackward(q: F32, k: F32, v: F32, geom: Float64Array, keyMask: I32 | null, probs: F32, gOut: F32, gq: F32, gk: F32, gv: F32): void;
  embedding(w: F32, wOff: number, V: number, D: number, ids: I32, idsOff: number, n: number, out: F32): void;
  embeddingBackward(gy: F32, ids: I32, idsOff: number, n: number, V: number, D: number, gw: F32): void;
  crossEntropy(logits: F32, lOff: number, rows: number, V: number, targets: I32, tOff: number, ignoreIndex: number, losses: F32, lse: F32): void;
  crossEntropyBackward(logits: F32, lOff: number, lse: F32, targets: I32, tOff: number, rows: number, V: number, ignoreIndex: number, gLoss: F32, glogits: F32): void;
  gatherRows(x: F32, xOff: number, rows: number, cols: number, idx: I32, idxOff: number, out: F32): void;
  gatherRowsBackward(g: F32, idx: I32, idxOff: number, rows: number, cols: number, gx: F32): void;
  topk(x: F32, xOff: number, rows: number, cols: number, k: number, values: F32, indices: I32): void;
  sampleLogits(logits: F32, lOff: number, rows: number, V: number, temperature: number, topK: number, topP: number, u: F32, out: I32): void;
  adamw(n: number, p: F32, pOff: number, g: F32, gOff: number, m: F32, v: F32, lr: number, b1: number, b2: number, eps: number, wd: number, bc1: number, bc2: number): void;
  swiglu(gate: F32, gateOff: number, up: F32, upOff: number, y: F32, n: number): void;
  swigluBackward(gate: F32, gateOff: number, up: F32, upOff: number, gy: F32, gyOff: number, gGate: F32, gUp: F32, n: number): void;
  sumSquares(x: F32, off: number, n: number): number;
  tokenLogProbs(logits: F32, lOff: number, rows: number, V: number, targets: I32, tOff: number, ignoreIndex: number, invTemperature: number, out: F32, lse: F32): void;
  tokenLogProbsBackward(logits: F32, lOff: number, lse: F32, targets: I32, tOff: number, rows: number, V: number, ignoreIndex: number, invTemperature: number, gOut: F32, glogits: F32): void;
}

let addon: NativeAddon | null | undefined;
let loadError: string | null = null;

/** The repository root: the nearest folder above this file holding package.json and native/. */
export function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

/** Where the built addon is expected (GLASSBOX_NATIVE_ADDON overrides, e.g. for a sanitizer build). */
export function nativeAddonPath(): string {
  return process.env.GLASSBOX_NATIVE_ADDON || join(findRepoRoot(), 'native', 'build', 'Release', 'glassbox_native.node');
}

/** The addon, loaded once; null (see nativeLoadError) when absent or disabled by GLASSBOX_BACKEND=reference. */
export function loadNativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  if (process.env.GLASSBOX_BACKEND === 'reference') {
    loadError = 'disabled by GLASSBOX_BACKEND=reference';
    addon = null;
    return addon;
  }
  const path = nativeAddonPath();
  if (!existsSync(path)) {
    loadError = `${path} does not exist (run \`npm run build:native\`)`;
    addon = null;
    return addon;
  }
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    loadError = `cannot load ${path}: ${(e as Error).message.split('\n')[0]}`;
    addon = null;
  }
  return addon;
}

/** Why loadNativeAddon() returned null, or null when it loaded (or was not tried yet). */
export function nativeLoadError(): string | null { return loadError; }
