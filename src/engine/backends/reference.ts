/**
 * The reference backend: every kernel of kernels.ts as a plain TypeScript loop. Obviously correct and
 * slow; it is the oracle the native backend is tested against, and the fallback when the addon is absent.
 * Accumulations use float64 locals so the oracle is at least as accurate as any optimized kernel.
 */
import { BinaryOp, ReduceOp, UnaryOp, type AttentionGeom, type F32, type I32, type Kernels } from '../kernels.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** erf with |error| < 1.2e-7 (Numerical Recipes erfc Chebyshev form), in float64. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

function unaryF(op: number, x: number, a: number): number {
  switch (op) {
    case UnaryOp.neg: return -x;
    case UnaryOp.exp: return Math.exp(x);
    case UnaryOp.log: return Math.log(x);
    case UnaryOp.sqrt: return Math.sqrt(x);
    case UnaryOp.rsqrt: return 1 / Math.sqrt(x);
    case UnaryOp.tanh: return Math.tanh(x);
    case UnaryOp.sigmoid: return 1 / (1 + Math.exp(-x));
    case UnaryOp.relu: return x > 0 ? x : 0;
    case UnaryOp.gelu: return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case UnaryOp.gelu_tanh: return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    case UnaryOp.silu: return x / (1 + Math.exp(-x));
    case UnaryOp.abs: return Math.abs(x);
    case UnaryOp.sin: return Math.sin(x);
    case UnaryOp.cos: return Math.cos(x);
    case UnaryOp.square: return x * x;
    case UnaryOp.recip: return 1 / x;
    case UnaryOp.scale: return a * x;
    case UnaryOp.add_scalar: return x + a;
    case UnaryOp.pow: return Math.pow(x, a);
    case UnaryOp.softcap: return a * Math.tanh(x / a);
    default: throw new Error(`reference.unary: unknown op ${op}`);
  }
}

/** d f(x) / dx, given x and y = f(x). */
function unaryD(op: number, x: number, y: number, a: number): number {
  switch (op) {
    case UnaryOp.neg: return -1;
    case UnaryOp.exp: return y;
    case UnaryOp.log: return 1 / x;
    case UnaryOp.sqrt: return 0.5 / y;
    case UnaryOp.rsqrt: return -0.5 * y * y * y;
    case UnaryOp.tanh: return 1 - y * y;
    case UnaryOp.sigmoid: return y * (1 - y);
    case UnaryOp.relu: return x > 0 ? 1 : 0;
    case UnaryOp.gelu: {
      const cdf = 0.5 * (1 + erf(x / Math.SQRT2));
      const pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      return cdf + x * pdf;
    }
    case UnaryOp.gelu_tanh: {
      const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
      const t = Math.tanh(u);
      const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
    }
    case UnaryOp.silu: {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 + x * (1 - s));
    }
    case UnaryOp.abs: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case UnaryOp.sin: return Math.cos(x);
    case UnaryOp.cos: return -Math.sin(x);
    case UnaryOp.square: return 2 * x;
    case UnaryOp.recip: return -y * y;
    case UnaryOp.scale: return a;
    case UnaryOp.add_scalar: return 1;
    case UnaryOp.pow: return a * Math.pow(x, a - 1);
    case UnaryOp.softcap: { const t = y / a; return 1 - t * t; }
    default: throw new Error(`reference.unaryBackward: unknown op ${op}`);
  }
}

function binaryF(op: number, a: number, b: number): number {
  switch (op) {
    case BinaryOp.add: return a + b;
    case BinaryOp.sub: return a - b;
    case BinaryOp.mul: return a * b;
    case BinaryOp.div: return a / b;
    case BinaryOp.maximum: return a >= b ? a : b;
    case BinaryOp.minimum: return a <= b ? a : b;
    default: throw new Error(`reference.binary: unknown op ${op}`);
  }
}

/** Calls fn(srcIndex, linearIndex) for each element of `shape` in row-major order. */
function forEachStrided(shape: number[], strides: number[], off: number, fn: (i: number, lin: number) => void): void {
  const nd = shape.length;
  let n = 1;
  for (const s of shape) n *= s;
  if (n === 0) return;
  const idx = new Array<number>(nd).fill(0);
  let p = off;
  for (let lin = 0; lin < n; lin++) {
    fn(p, lin);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      p += strides[d];
      if (idx[d] < shape[d]) break;
      p -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

function visible(g: AttentionGeom, keyMask: I32 | null, b: number, i: number, j: number): boolean {
  const qi = i + g.qPos0;
  if (g.causal && j > qi) return false;
  if (g.window > 0 && qi - j >= g.window) return false;
  if (keyMask && keyMask[b * g.S + j] === 0) return false;
  return true;
}

function checkIndex(kernel: string, what: string, v: number, n: number): void {
  if (!(v >= 0 && v < n)) throw new Error(`${kernel}: ${what} ${v} is out of range [0, ${n})`);
}

export const referenceKernels: Kernels = {
  name: 'reference',

  copyStrided(src, srcOff, srcStrides, dst, dstOff, dstStrides, shape) {
    const nd = shape.length;
    const idx = new Array<number>(nd).fill(0);
    let n = 1;
    for (const s of shape) n *= s;
    let ps = srcOff, pd = dstOff;
    for (let lin = 0; lin < n; lin++) {
      dst[pd] = src[ps];
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]++; ps += srcStrides[d]; pd += dstStrides[d];
        if (idx[d] < shape[d]) break;
        ps -= srcStrides[d] * shape[d]; pd -= dstStrides[d] * shape[d]; idx[d] = 0;
      }
    }
  },

  fill(dst, off, n, value) { dst.fill(value, off, off + n); },

  axpy(n, alpha, x, xOff, y, yOff) { for (let i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i]; },

  unary(op, x, xOff, y, n, alpha) { for (let i = 0; i < n; i++) y[i] = unaryF(op, x[xOff + i], alpha); },

  unaryBackward(op, x, xOff, y, gy, gx, n, alpha) {
    for (let i = 0; i < n; i++) gx[i] = gy[i] * unaryD(op, x[xOff + i], y[i], alpha);
  },

  binary(op, a, aOff, aStrides, b, bOff, bStrides, out, outShape) {
    const bIdx: number[] = [];
    forEachStrided(outShape, bStrides, bOff, (i) => { bIdx.push(i); });
    forEachStrided(outShape, aStrides, aOff, (ia, lin) => { out[lin] = binaryF(op, a[ia], b[bIdx[lin]]); });
  },

  reduce(op, x, xOff, outer, red, inner, out, argmax) {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = xOff + o * red * inner + j;
        if (op === ReduceOp.sum) {
          let s = 0;
          for (let r = 0; r < red; r++) s += x[base + r * inner];
          out[o * inner + j] = s;
        } else {
          let m = -Infinity, am = 0;
          for (let r = 0; r < red; r++) { const v = x[base + r * inner]; if (v > m || Number.isNaN(v)) { m = v; am = r; if (Number.isNaN(v)) break; } }
          out[o * inner + j] = m;
          if (argmax) argmax[o * inner + j] = am;
        }
      }
    }
  },

  gemm(transA, transB, M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB, beta, C, cOff, ldc, strideC, batch) {
    for (let bi = 0; bi < batch; bi++) {
      const a0 = aOff + bi * strideA, b0 = bOff + bi * strideB, c0 = cOff + bi * strideC;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) {
            const av = transA ? A[a0 + k * lda + i] : A[a0 + i * lda + k];
            const bv = transB ? B[b0 + j * ldb + k] : B[b0 + k * ldb + j];
            s += av * bv;
          }
          const c = c0 + i * ldc + j;
          C[c] = alpha * s + (beta === 0 ? 0 : beta * C[c]);
        }
      }
    }
  },

  softmax(x, xOff, y, rows, cols, log) {
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * cols, p = r * cols;
      let m = -Infinity;
      for (let c = 0; c < cols; c++) if (x[o + c] > m) m = x[o + c];
      let s = 0;
      for (let c = 0; c < cols; c++) s += Math.exp(x[o + c] - m);
      if (log) { const ls = Math.log(s) + m; for (let c = 0; c < cols; c++) y[p + c] = x[o + c] - ls; }
      else for (let c = 0; c < cols; c++) y[p + c] = Math.exp(x[o + c] - m) / s;
    }
  },

  softmaxBackward(y, gy, gx, rows, cols, log) {
    for (let r = 0; r < rows; r++) {
      const p = r * cols;
      let s = 0;
      if (log) {
        for (let c = 0; c < cols; c++) s += gy[p + c];
        for (let c = 0; c < cols; c++) gx[p + c] = gy[p + c] - Math.exp(y[p + c]) * s;
      } else {
        for (let c = 0; c < cols; c++) s += gy[p + c] * y[p + c];
        for (let c = 0; c < cols; c++) gx[p + c] = y[p + c] * (gy[p + c] - s);
      }
    }
  },

  layerNorm(x, xOff, w, wOff, b, bOff, y, mean, rstd, rows, cols, eps) {
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * cols;
      let mu = 0;
      for (let c = 0; c < cols; c++) mu += x[o + c];
      mu /= cols;
      let v = 0;
      for (let c = 0; c < cols; c++) { const d = x[o + c] - mu; v += d * d; }
      const rs = 1 / Math.sqrt(v / cols + eps);
      mean[r] = mu; rstd[r] = rs;
      for (let c = 0; c < cols; c++) {
        let t = (x[o + c] - mu) * rs;
        if (w) t *= w[wOff + c];
        if (b) t += b[bOff + c];
        y[r * cols + c] = t;
      }
    }
  },

  layerNormBackward(x, xOff, w, wOff, mean, rstd, gy, gx, gw, gb, rows, cols) {
    if (gw) gw.fill(0, 0, cols);
    if (gb) gb.fill(0, 0, cols);
    const gwAcc = new Float64Array(cols), gbAcc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * cols, p = r * cols;
      const mu = mean[r], rs = rstd[r];
      let sg = 0, sgx = 0;
      for (let c = 0; c < cols; c++) {
        const xh = (x[o + c] - mu) * rs;
        const g = gy[p + c] * (w ? w[wOff + c] : 1);
        sg += g; sgx += g * xh;
        gwAcc[c] += gy[p + c] * xh; gbAcc[c] += gy[p + c];
      }
      for (let c = 0; c < cols; c++) {
        const xh = (x[o + c] - mu) * rs;
        const g = gy[p + c] * (w ? w[wOff + c] : 1);
        gx[p + c] = rs * (g - sg / cols - xh * sgx / cols);
      }
    }
    if (gw) for (let c = 0; c < cols; c++) gw[c] = gwAcc[c];
    if (gb) for (let c = 0; c < cols; c++) gb[c] = gbAcc[c];
  },

  rmsNorm(x, xOff, w, wOff, y, rstd, rows, cols, eps, wOffset) {
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * cols;
      let ss = 0;
      for (let c = 0; c < cols; c++) ss += x[o + c] * x[o + c];
      const rs = 1 / Math.sqrt(ss / cols + eps);
      rstd[r] = rs;
      for (let c = 0; c < cols; c++) y[r * cols + c] = x[o + c] * rs * (w ? wOffset + w[wOff + c] : 1);
    }
  },

  rmsNormBackward(x, xOff, w, wOff, rstd, gy, gx, gw, rows, cols, wOffset) {
    const gwAcc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * cols, p = r * cols, rs = rstd[r];
      let dot = 0;
      for (let c = 0; c < cols; c++) {
        const g = gy[p + c] * (w ? wOffset + w[wOff + c] : 1);
        dot += g * x[o + c];
        gwAcc[c] += gy[p + c] * x[o + c] * rs;
      }
      for (let c = 0; c < cols; c++) {
        const g = gy[p + c] * (w ? wOffset + w[wOff + c] : 1);
        gx[p + c] = rs * g - x[o + c] * rs * rs * rs * dot / cols;
      }
    }
    if (gw) for (let c = 0; c < cols; c++) gw[c] = gwAcc[c];
  },

  rope(x, xOff, y, cos, sin, cOff, Bc, B, T, H, D, rotDim, inverse) {
    const h = rotDim / 2;
    const sgn = inverse ? -1 : 1;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const c0 = cOff + ((Bc === 1 ? 0 : b) * T + t) * h;
        for (let hd = 0; hd < H; hd++) {
          const o = ((b * T + t) * H + hd) * D;
          for (let d = 0; d < h; d++) {
            const c = cos[c0 + d], s = sgn * sin[c0 + d];
            const x1 = x[xOff + o + d], x2 = x[xOff + o + d + h];
            y[o + d] = x1 * c - x2 * s;
            y[o + d + h] = x2 * c + x1 * s;
          }
          for (let d = rotDim; d < D; d++) y[o + d] = x[xOff + o + d];
        }
      }
    }
  },

  attention(q, k, v, g, keyMask, out, probs) {
    const { B, T, S, Hq, Hkv, D } = g;
    const group = Hq / Hkv;
    const sc = new Float64Array(S);
    for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / group);
      for (let i = 0; i < T; i++) {
        const qo = g.qOff + b * g.qsB + i * g.qsT + h * D;
        let m = -Infinity;
        for (let j = 0; j < S; j++) {
          if (!visible(g, keyMask, b, i, j)) { sc[j] = -Infinity; continue; }
          const ko = g.kOff + b * g.ksB + j * g.ksS + hk * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[qo + d] * k[ko + d];
          s *= g.scale;
          if (g.softcap > 0) s = g.softcap * Math.tanh(s / g.softcap);
          sc[j] = s;
          if (s > m) m = s;
        }
        let z = 0;
        for (let j = 0; j < S; j++) { sc[j] = sc[j] === -Infinity ? 0 : Math.exp(sc[j] - m); z += sc[j]; }
        const oo = ((b * T + i) * Hq + h) * D;
        for (let d = 0; d < D; d++) out[oo + d] = 0;
        const po = ((b * Hq + h) * T + i) * S;
        for (let j = 0; j < S; j++) {
          const p = z > 0 ? sc[j] / z : 0;
          if (probs) probs[po + j] = p;
          if (p === 0) continue;
          const vo = g.vOff + b * g.vsB + j * g.vsS + hk * D;
          for (let d = 0; d < D; d++) out[oo + d] += p * v[vo + d];
        }
      }
    }
  },

  attentionBackward(q, k, v, g, keyMask, probs, gOut, gq, gk, gv) {
    const { B, T, S, Hq, Hkv, D } = g;
    const group = Hq / Hkv;
    gq.fill(0, 0, B * T * Hq * D); gk.fill(0, 0, B * S * Hkv * D); gv.fill(0, 0, B * S * Hkv * D);
    const dp = new Float64Array(S);
    for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / group);
      for (let i = 0; i < T; i++) {
        const go = ((b * T + i) * Hq + h) * D;
        const po = ((b * Hq + h) * T + i) * S;
        const qo = g.qOff + b * g.qsB + i * g.qsT + h * D;
        let dot = 0;
        for (let j = 0; j < S; j++) {
          const p = probs[po + j];
          const vo = g.vOff + b * g.vsB + j * g.vsS + hk * D;
          const gvo = ((b * S + j) * Hkv + hk) * D;
          let s = 0;
          for (let d = 0; d < D; d++) { s += gOut[go + d] * v[vo + d]; gv[gvo + d] += p * gOut[go + d]; }
          dp[j] = s;
          dot += p * s;
        }
        for (let j = 0; j < S; j++) {
          const p = probs[po + j];
          if (p === 0) continue;
          let ds = p * (dp[j] - dot); // d loss / d capped score
          const ko = g.kOff + b * g.ksB + j * g.ksS + hk * D;
          if (g.softcap > 0) {
            let raw = 0;
            for (let d = 0; d < D; d++) raw += q[qo + d] * k[ko + d];
            const t = Math.tanh(raw * g.scale / g.softcap);
            ds *= 1 - t * t;
          }
          ds *= g.scale;
          const gko = ((b * S + j) * Hkv + hk) * D;
          for (let d = 0; d < D; d++) { gq[go + d] += ds * k[ko + d]; gk[gko + d] += ds * q[qo + d]; }
        }
      }
    }
  },

  embedding(w, wOff, V, D, ids, idsOff, n, out) {
    for (let i = 0; i < n; i++) {
      const id = ids[idsOff + i];
      checkIndex('embedding', 'token id', id, V);
      for (let d = 0; d < D; d++) out[i * D + d] = w[wOff + id * D + d];
    }
  },

  embeddingBackward(gy, ids, idsOff, n, V, D, gw) {
    gw.fill(0, 0, V * D);
    for (let i = 0; i < n; i++) {
      const id = ids[idsOff + i];
      checkIndex('embeddingBackward', 'token id', id, V);
      for (let d = 0; d < D; d++) gw[id * D + d] += gy[i * D + d];
    }
  },

  crossEntropy(logits, lOff, rows, V, targets, tOff, ignoreIndex, losses, lse) {
    for (let r = 0; r < rows; r++) {
      const o = lOff + r * V;
      let m = -Infinity;
      for (let c = 0; c < V; c++) if (logits[o + c] > m) m = logits[o + c];
      let s = 0;
      for (let c = 0; c < V; c++) s += Math.exp(logits[o + c] - m);
      const l = Math.log(s) + m;
      lse[r] = l;
      const t = targets[tOff + r];
      if (t === ignoreIndex) { losses[r] = 0; continue; }
      checkIndex('crossEntropy', 'target', t, V);
      losses[r] = l - logits[o + t];
    }
  },

  crossEntropyBackward(logits, lOff, lse, targets, tOff, rows, V, ignoreIndex, gLoss, glogits) {
    for (let r = 0; r < rows; r++) {
      const o = lOff + r * V, p = r * V;
      const t = targets[tOff + r];
      if (t === ignoreIndex) { glogits.fill(0, p, p + V); continue; }
      checkIndex('crossEntropyBackward', 'target', t, V);
      const gl = gLoss[r];
      for (let c = 0; c < V; c++) glogits[p + c] = gl * Math.exp(logits[o + c] - lse[r]);
      glogits[p + t] -= gl;
    }
  },

  gatherRows(x, xOff, rows, cols, idx, idxOff, out) {
    for (let r = 0; r < rows; r++) {
      const j = idx[idxOff + r];
      checkIndex('gatherRows', 'index', j, cols);
      out[r] = x[xOff + r * cols + j];
    }
  },

  gatherRowsBackward(g, idx, idxOff, rows, cols, gx) {
    gx.fill(0, 0, rows * cols);
    for (let r = 0; r < rows; r++) {
      const j = idx[idxOff + r];
      checkIndex('gatherRowsBackward', 'index', j, cols);
      gx[r * cols + j] = g[r];
    }
  },

  topk(x, xOff, rows, cols, k, values, indices) {
    if (k > cols) throw new Error(`topk: k=${k} exceeds the row length ${cols}`);
    const order = new Array<number>(cols);
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * cols;
      for (let c = 0; c < cols; c++) order[c] = c;
      order.sort((a, b) => (x[o + b] - x[o + a]) || (a - b));
      for (let i = 0; i < k; i++) { values[r * k + i] = x[o + order[i]]; indices[r * k + i] = order[i]; }
    }
  },

  sampleLogits(logits, lOff, rows, V, temperature, topK, topP, u, out) {
    const order = new Array<number>(V);
    const p = new Float64Array(V);
    for (let r = 0; r < rows; r++) {
      const o = lOff + r * V;
      if (temperature <= 0) {
        let best = 0;
        for (let c = 1; c < V; c++) if (logits[o + c] > logits[o + best]) best = c;
        out[r] = best;
        continue;
      }
      for (let c = 0; c < V; c++) order[c] = c;
      order.sort((a, b) => (logits[o + b] - logits[o + a]) || (a - b));
      const kk = topK > 0 ? Math.min(topK, V) : V;
      const m = logits[o + order[0]] / temperature;
      let z = 0;
      for (let i = 0; i < kk; i++) { p[i] = Math.exp(logits[o + order[i]] / temperature - m); z += p[i]; }
      // nucleus: smallest prefix whose mass >= topP (always at least one token)
      let keep = kk;
      if (topP < 1) {
        let cum = 0;
        for (let i = 0; i < kk; i++) { cum += p[i] / z; if (cum >= topP) { keep = i + 1; break; } }
      }
      let zk = 0;
      for (let i = 0; i < keep; i++) zk += p[i];
      const target = u[r] * zk;
      let acc = 0, chosen = order[keep - 1];
      for (let i = 0; i < keep; i++) { acc += p[i]; if (target < acc) { chosen = order[i]; break; } }
      out[r] = chosen;
    }
  },

  swiglu(gate, gateOff, up, upOff, y, n) {
    for (let i = 0; i < n; i++) {
      const x = gate[gateOff + i];
      y[i] = Math.fround(x / (1 + Math.exp(-x))) * up[upOff + i];
    }
  },

  swigluBackward(gate, gateOff, up, upOff, gy, gyOff, gGate, gUp, n) {
    for (let i = 0; i < n; i++) {
      const x = gate[gateOff + i], g = gy[gyOff + i];
      const s = 1 / (1 + Math.exp(-x));
      gGate[i] = Math.fround(g * up[upOff + i]) * (s * (1 + x * (1 - s)));
      gUp[i] = g * Math.fround(x / (1 + Math.exp(-x)));
    }
  },

  tokenLogProbs(logits, lOff, rows, V, targets, tOff, ignoreIndex, invT, out, lse) {
    const z = new Float32Array(V);
    for (let r = 0; r < rows; r++) {
      const o = lOff + r * V;
      let m = -Infinity;
      for (let c = 0; c < V; c++) { z[c] = invT * logits[o + c]; if (z[c] > m) m = z[c]; }
      let s = 0;
      for (let c = 0; c < V; c++) s += Math.exp(z[c] - m);
      const l = Math.log(s) + m;
      lse[r] = l;
      const t = targets[tOff + r];
      if (t === ignoreIndex) { out[r] = 0; continue; }
      checkIndex('tokenLogProbs', 'target', t, V);
      out[r] = z[t] - l;
    }
  },

  tokenLogProbsBackward(logits, lOff, lse, targets, tOff, rows, V, ignoreIndex, invT, gOut, glogits) {
    for (let r = 0; r < rows; r++) {
      const o = lOff + r * V, p = r * V;
      const t = targets[tOff + r];
      if (t === ignoreIndex) { glogits.fill(0, p, p + V); continue; }
      checkIndex('tokenLogProbsBackward', 'target', t, V);
      const g = gOut[r];
      for (let c = 0; c < V; c++) glogits[p + c] = -invT * g * Math.exp(Math.fround(invT * logits[o + c]) - lse[r]);
      glogits[p + t] += invT * g;
    }
  },

  sumSquares(x, off, n) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[off + i] * x[off + i];
    return s;
  },

  adamw(n, p, pOff, g, gOff, m, v, lr, b1, b2, eps, wd, bc1, bc2) {
    for (let i = 0; i < n; i++) {
      let w = p[pOff + i];
      w -= lr * wd * w;
      const gi = g[gOff + i];
      const mi = b1 * m[i] + (1 - b1) * gi;
      const vi = b2 * v[i] + (1 - b2) * gi * gi;
      m[i] = mi; v[i] = vi;
      w -= lr * (mi / bc1) / (Math.sqrt(vi / bc2) + eps);
      p[pOff + i] = w;
    }
  },
};
