// A GPT-2-style transformer block (pre-LN attention + GELU-tanh MLP, final LN, tied LM head,
// cross-entropy) built from engine ops, and the same block in plain float64 JavaScript as an oracle.
// Shared by test/engine/block.test.ts and bench/block.bench.ts.
import {
  Tensor, tensor, embedding, layerNorm, linear, attention, geluTanh, add, crossEntropy, reshape, slice, squeeze, Rng,
} from '../../src/engine/index.js';

export interface BlockConfig { T: number; D: number; H: number; F: number; V: number }

/** Parameter names and shapes, in a fixed order. */
export function blockParamShapes(c: BlockConfig): [string, number[]][] {
  const { D, F, V } = c;
  return [
    ['wte', [V, D]],
    ['ln1_w', [D]], ['ln1_b', [D]],
    ['w_qkv', [3 * D, D]], ['b_qkv', [3 * D]],
    ['w_o', [D, D]], ['b_o', [D]],
    ['ln2_w', [D]], ['ln2_b', [D]],
    ['w_fc', [F, D]], ['b_fc', [F]],
    ['w_proj', [D, F]], ['b_proj', [D]],
    ['lnf_w', [D]], ['lnf_b', [D]],
  ];
}

export type BlockParams64 = Record<string, Float64Array>;

/** Deterministic GPT-2-like initialisation (LN weights near 1, small matrices), in float64. */
export function initBlockParams(c: BlockConfig, seed = 1): BlockParams64 {
  const rng = new Rng(seed);
  const p: BlockParams64 = {};
  for (const [name, shape] of blockParamShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float64Array(n);
    const isLnW = name.startsWith('ln') && name.endsWith('_w');
    const isBias = name.startsWith('b_') || (name.startsWith('ln') && name.endsWith('_b'));
    const std = name === 'wte' ? 0.5 : isBias ? 0.1 : isLnW ? 0.1 : 1 / Math.sqrt(shape[shape.length - 1]);
    for (let i = 0; i < n; i++) {
      const v = Math.fround(std * rng.normal()); // f32-representable so both implementations see equal weights
      a[i] = isLnW ? Math.fround(1 + v) : v;
    }
    p[name] = a;
  }
  return p;
}

export function toEngineParams(c: BlockConfig, p64: BlockParams64): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, shape] of blockParamShapes(c)) {
    const t = tensor(p64[name], shape);
    t.name = name;
    out[name] = t;
  }
  return out;
}

/**
 * Engine forward: returns the loss and the input embeddings x0 [1, T, D] (call `markInputs` to make
 * x0 require/retain grad before the rest of the forward is recorded).
 */
export function blockForward(c: BlockConfig, p: Record<string, Tensor>, ids: Tensor, targets: Tensor, markInputs?: (x0: Tensor) => void): { loss: Tensor; x0: Tensor; logits: Tensor } {
  const { T, D, H } = c;
  const Dh = D / H;
  const x0 = reshape(embedding(p.wte, ids), [1, T, D]);
  markInputs?.(x0);
  const h1 = layerNorm(x0, p.ln1_w, p.ln1_b, 1e-5);
  const qkv = reshape(linear(h1, p.w_qkv, p.b_qkv), [1, T, 3, H, Dh]);
  const pick = (i: number) => squeeze(slice(qkv, 2, i, i + 1), 2); // [1, T, H, Dh] strided views, no copies
  const { out: att } = attention(pick(0), pick(1), pick(2), { causal: true });
  const x1 = add(x0, linear(reshape(att, [1, T, D]), p.w_o, p.b_o));
  const h2 = layerNorm(x1, p.ln2_w, p.ln2_b, 1e-5);
  const m = linear(geluTanh(linear(h2, p.w_fc, p.b_fc)), p.w_proj, p.b_proj);
  const x2 = add(x1, m);
  const hf = layerNorm(x2, p.lnf_w, p.lnf_b, 1e-5);
  const logits = linear(hf, p.wte); // tied LM head
  const loss = crossEntropy(reshape(logits, [T, c.V]), targets);
  return { loss, x0, logits };
}

// ---------------------------------------------------------------- float64 oracle

function layerNorm64(x: Float64Array, rows: number, cols: number, w: Float64Array, b: Float64Array): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mu = 0;
    for (let j = 0; j < cols; j++) mu += x[r * cols + j];
    mu /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (x[r * cols + j] - mu) ** 2;
    const rstd = 1 / Math.sqrt(v / cols + 1e-5);
    for (let j = 0; j < cols; j++) y[r * cols + j] = (x[r * cols + j] - mu) * rstd * w[j] + b[j];
  }
  return y;
}

/** y [rows, O] = x [rows, I] W^T + b. */
function linear64(x: Float64Array, rows: number, I: number, W: Float64Array, O: number, b: Float64Array | null): Float64Array {
  const y = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++) for (let o = 0; o < O; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < I; i++) s += x[r * I + i] * W[o * I + i];
    y[r * O + o] = s;
  }
  return y;
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** The block's mean cross-entropy in float64, from input embeddings x0 [T, D] (wte used only by the head). */
export function blockLoss64(c: BlockConfig, p: BlockParams64, x0: Float64Array, targets: Int32Array): number {
  const { T, D, H, F, V } = c;
  const Dh = D / H;
  const h1 = layerNorm64(x0, T, D, p.ln1_w, p.ln1_b);
  const qkv = linear64(h1, T, D, p.w_qkv, 3 * D, p.b_qkv);
  const att = new Float64Array(T * D);
  const scale = 1 / Math.sqrt(Dh);
  for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const s = new Float64Array(i + 1);
    let mx = -Infinity;
    for (let j = 0; j <= i; j++) {
      let d = 0;
      for (let e = 0; e < Dh; e++) d += qkv[i * 3 * D + h * Dh + e] * qkv[j * 3 * D + D + h * Dh + e];
      s[j] = d * scale;
      mx = Math.max(mx, s[j]);
    }
    let z = 0;
    for (let j = 0; j <= i; j++) { s[j] = Math.exp(s[j] - mx); z += s[j]; }
    for (let e = 0; e < Dh; e++) {
      let acc = 0;
      for (let j = 0; j <= i; j++) acc += (s[j] / z) * qkv[j * 3 * D + 2 * D + h * Dh + e];
      att[i * D + h * Dh + e] = acc;
    }
  }
  const o = linear64(att, T, D, p.w_o, D, p.b_o);
  const x1 = x0.map((v, i) => v + o[i]);
  const h2 = layerNorm64(x1, T, D, p.ln2_w, p.ln2_b);
  const a = linear64(h2, T, D, p.w_fc, F, p.b_fc).map((u) => 0.5 * u * (1 + Math.tanh(GELU_C * (u + 0.044715 * u * u * u))));
  const m = linear64(a, T, F, p.w_proj, D, p.b_proj);
  const x2 = x1.map((v, i) => v + m[i]);
  const hf = layerNorm64(x2, T, D, p.lnf_w, p.lnf_b);
  const logits = linear64(hf, T, D, p.wte, V, null);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[t * V + v]);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[t * V + v] - mx);
    loss += Math.log(z) + mx - logits[t * V + targets[t]];
  }
  return loss / T;
}

/** Input embeddings x0 = wte[ids] in float64. */
export function embed64(c: BlockConfig, wte: Float64Array, ids: Int32Array): Float64Array {
  const x0 = new Float64Array(c.T * c.D);
  for (let t = 0; t < c.T; t++) for (let d = 0; d < c.D; d++) x0[t * c.D + d] = wte[ids[t] * c.D + d];
  return x0;
}
