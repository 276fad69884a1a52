/**
 * The native backend: the Kernels interface over the N-API addon (native/src/addon.cc), which validates
 * every argument before touching memory. Shape/stride lists are packed into one reusable Int32Array and
 * attention geometry into a reusable Float64Array, so a call costs no allocation.
 */
import type { AttentionGeom, Kernels } from '../kernels.js';
import { loadNativeAddon, nativeLoadError, type NativeAddon } from '../native-addon.js';

const MAX_DIMS = 16;

export function createNativeKernels(addon: NativeAddon): Kernels {
  const dims = new Int32Array(3 * MAX_DIMS);
  const geom = new Float64Array(20);

  /** Packs shape and two stride lists into `dims`; returns ndim. */
  function pack(op: string, shape: number[], s1: number[], s2: number[]): number {
    const nd = shape.length;
    if (nd > MAX_DIMS) throw new Error(`native ${op}: ${nd} dims exceed the maximum of ${MAX_DIMS}`);
    if (s1.length !== nd || s2.length !== nd) {
      throw new Error(`native ${op}: shape [${shape}] and strides [${s1}] / [${s2}] differ in rank`);
    }
    for (let d = 0; d < nd; d++) {
      const a = shape[d], b = s1[d], c = s2[d];
      if ((a | 0) !== a || (b | 0) !== b || (c | 0) !== c) {
        throw new Error(`native ${op}: shape/strides must be 32-bit integers: shape [${shape}], strides [${s1}] / [${s2}]`);
      }
      dims[d] = a; dims[nd + d] = b; dims[2 * nd + d] = c;
    }
    return nd;
  }

  function packGeom(g: AttentionGeom): Float64Array {
    geom[0] = g.B; geom[1] = g.T; geom[2] = g.S; geom[3] = g.Hq; geom[4] = g.Hkv; geom[5] = g.D;
    geom[6] = g.qOff; geom[7] = g.qsB; geom[8] = g.qsT;
    geom[9] = g.kOff; geom[10] = g.ksB; geom[11] = g.ksS;
    geom[12] = g.vOff; geom[13] = g.vsB; geom[14] = g.vsS;
    geom[15] = g.scale; geom[16] = g.softcap; geom[17] = g.causal ? 1 : 0; geom[18] = g.window; geom[19] = g.qPos0;
    return geom;
  }

  return {
    name: 'native',
    copyStrided(src, srcOff, srcStrides, dst, dstOff, dstStrides, shape) {
      const nd = pack('copyStrided', shape, srcStrides, dstStrides);
      addon.copyStrided(src, srcOff, dst, dstOff, nd, dims);
    },
    fill: (dst, off, n, value) => addon.fill(dst, off, n, value),
    axpy: (n, alpha, x, xOff, y, yOff) => addon.axpy(n, alpha, x, xOff, y, yOff),
    unary: (op, x, xOff, y, n, alpha) => addon.unary(op, x, xOff, y, n, alpha),
    unaryBackward: (op, x, xOff, y, gy, gx, n, alpha) => addon.unaryBackward(op, x, xOff, y, gy, gx, n, alpha),
    binary(op, a, aOff, aStrides, b, bOff, bStrides, out, outShape) {
      const nd = pack('binary', outShape, aStrides, bStrides);
      addon.binary(op, a, aOff, b, bOff, out, nd, dims);
    },
    reduce: (op, x, xOff, outer, red, inner, out, argmax) => addon.reduce(op, x, xOff, outer, red, inner, out, argmax),
    gemm: (transA, transB, M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB, beta, C, cOff, ldc, strideC, batch) =>
      addon.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB, beta, C, cOff, ldc, strideC, batch),
    softmax: (x, xOff, y, rows, cols, log) => addon.softmax(x, xOff, y, rows, cols, log),
    softmaxBackward: (y, gy, gx, rows, cols, log) => addon.softmaxBackward(y, gy, gx, rows, cols, log),
    layerNorm: (x, xOff, w, wOff, b, bOff, y, mean, rstd, rows, cols, eps) =>
      addon.layerNorm(x, xOff, w, wOff, b, bOff, y, mean, rstd, rows, cols, eps),
    layerNormBackward: (x, xOff, w, wOff, mean, rstd, gy, gx, gw, gb, rows, cols) =>
      addon.layerNormBackward(x, xOff, w, wOff, mean, rstd, gy, gx, gw, gb, rows, cols),
    rmsNorm: (x, xOff, w, wOff, y, rstd, rows, cols, eps, wOffset) =>
      addon.rmsNorm(x, xOff, w, wOff, y, rstd, rows, cols, eps, wOffset),
    rmsNormBackward: (x, xOff, w, wOff, rstd, gy, gx, gw, rows, cols, wOffset) =>
      addon.rmsNormBackward(x, xOff, w, wOff, rstd, gy, gx, gw, rows, cols, wOffset),
    rope: (x, xOff, y, cos, sin, cOff, Bc, B, T, H, D, rotDim, inverse) =>
      addon.rope(x, xOff, y, cos, sin, cOff, Bc, B, T, H, D, rotDim, inverse),
    attention: (q, k, v, g, keyMask, out, probs) => addon.attention(q, k, v, packGeom(g), keyMask, out, probs),
    attentionBackward: (q, k, v, g, keyMask, probs, gOut, gq, gk, gv) =>
      addon.attentionBackward(q, k, v, packGeom(g), keyMask, probs, gOut, gq, gk, gv),
    embedding: (w, wOff, V, D, ids, idsOff, n, out) => addon.embedding(w, wOff, V, D, ids, idsOff, n, out),
    embeddingBackward: (gy, ids, idsOff, n, V, D, gw) => addon.embeddingBackward(gy, ids, idsOff, n, V, D, gw),
    crossEntropy: (logits, lOff, rows, V, targets, tOff, ignoreIndex, losses, lse) =>
      addon.crossEntropy(logits, lOff, rows, V, targets, tOff, ignoreIndex, losses, lse),
    crossEntropyBackward: (logits, lOff, lse, targets, tOff, rows, V, ignoreIndex, gLoss, glogits) =>
      addon.crossEntropyBackward(logits, lOff, lse, targets, tOff, rows, V, ignoreIndex, gLoss, glogits),
    gatherRows: (x, xOff, rows, cols, idx, idxOff, out) => addon.gatherRows(x, xOff, rows, cols, idx, idxOff, out),
    gatherRowsBackward: (g, idx, idxOff, rows, cols, gx) => addon.gatherRowsBackward(g, idx, idxOff, rows, cols, gx),
    topk: (x, xOff, rows, cols, k, values, indices) => addon.topk(x, xOff, rows, cols, k, values, indices),
    sampleLogits: (logits, lOff, rows, V, temperature, topK, topP, u, out) =>
      addon.sampleLogits(logits, lOff, rows, V, temperature, topK, topP, u, out),
    swiglu: (gate, gateOff, up, upOff, y, n) => addon.swiglu(gate, gateOff, up, upOff, y, n),
    swigluBackward: (gate, gateOff, up, upOff, gy, gyOff, gGate, gUp, n) =>
      addon.swigluBackward(gate, gateOff, up, upOff, gy, gyOff, gGate, gUp, n),
    sumSquares: (x, off, n) => addon.sumSquares(x, off, n),
    tokenLogProbs: (logits, lOff, rows, V, targets, tOff, ignoreIndex, invT, out, lse) =>
      addon.tokenLogProbs(logits, lOff, rows, V, targets, tOff, ignoreIndex, invT, out, lse),
    tokenLogProbsBackward: (logits, lOff, lse, targets, tOff, rows, V, ignoreIndex, invT, gOut, glogits) =>
      addon.tokenLogProbsBackward(logits, lOff, lse, targets, tOff, rows, V, ignoreIndex, invT, gOut, glogits),
    adamw: (n, p, pOff, g, gOff, m, v, lr, b1, b2, eps, wd, bc1, bc2) =>
      addon.adamw(n, p, pOff, g, gOff, m, v, lr, b1, b2, eps, wd, bc1, bc2),
  };
}

function requireAddon(what: string): NativeAddon {
  const a = loadNativeAddon();
  if (!a) throw new Error(`${what}: the native addon is not available (${nativeLoadError() ?? 'unknown reason'})`);
  return a;
}

/** 64-byte aligned, zero-filled native memory of exactly nbytes, exposed zero-copy. */
export function nativeAlloc(nbytes: number): ArrayBuffer { return requireAddon('nativeAlloc').alloc(nbytes); }

/** Frees memory from nativeAlloc now; the ArrayBuffer is detached (byteLength 0), so no view can read it. */
export function nativeFree(ab: ArrayBuffer): void { requireAddon('nativeFree').free(ab); }

