/**
 * Neural-network ops with fused kernels: softmax / log-softmax, LayerNorm, RMSNorm (Gemma's (1 + w)
 * via wOffset), RoPE (HF rotate-half), fused attention (GQA, causal, sliding window, soft-capping,
 * key padding mask), embedding lookup, cross-entropy with ignore index, row gather, and the SwiGLU gate.
 */
import { Tensor, empty, emptyUninit } from '../tensor.js';
import { record, noGrad, isGradEnabled } from '../autograd.js';
import { K } from '../backend.js';
import type { AttentionGeom, F32, I32 } from '../kernels.js';
import { contig, clone, dataFrom } from './shape.js';

const f = (t: Tensor) => t.data as F32;

function lastDim(x: Tensor, op: string): [number, number] {
  if (x.dtype !== 'f32') throw new Error(`${op}: expected f32 input, got ${x.dtype}`);
  if (x.ndim < 1) throw new Error(`${op}: input must have at least one dim`);
  const cols = x.shape[x.ndim - 1];
  return [cols === 0 ? 0 : x.size / cols, cols];
}

function softmaxImpl(x: Tensor, log: boolean): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  const [rows, cols] = lastDim(x, name);
  const xc = contig(x);
  const y = emptyUninit(x.shape);
  K().softmax(f(xc.t), xc.t.offset, f(y), rows, cols, log);
  if (xc.copied) xc.t.dispose();
  return record(y, name, [x], [y], (g, [ys]) => {
    const gc = contig(g);
    const gx = emptyUninit(ys.shape);
    K().softmaxBackward(f(ys), dataFrom(gc.t), f(gx), rows, cols, log);
    if (gc.copied) gc.t.dispose();
    return [gx];
  });
}

/** Softmax over the last dim. */
export const softmax = (x: Tensor) => softmaxImpl(x, false);
/** Log-softmax over the last dim. */
export const logSoftmax = (x: Tensor) => softmaxImpl(x, true);

function checkVec(w: Tensor | null, cols: number, op: string, what: string): void {
  if (w && (w.ndim !== 1 || w.shape[0] !== cols)) throw new Error(`${op}: ${what}${w.name ? ` '${w.name}'` : ''} has shape [${w.shape}], expected [${cols}]`);
}

/** LayerNorm over the last dim with optional weight and bias. */
export function layerNorm(x: Tensor, w: Tensor | null, b: Tensor | null, eps = 1e-5): Tensor {
  const [rows, cols] = lastDim(x, 'layerNorm');
  checkVec(w, cols, 'layerNorm', 'weight'); checkVec(b, cols, 'layerNorm', 'bias');
  const xc = contig(x), wc = w ? contig(w) : null, bc = b ? contig(b) : null;
  const y = emptyUninit(x.shape), mean = emptyUninit([rows]), rstd = emptyUninit([rows]);
  K().layerNorm(f(xc.t), xc.t.offset, wc ? f(wc.t) : null, wc ? wc.t.offset : 0, bc ? f(bc.t) : null, bc ? bc.t.offset : 0, f(y), f(mean), f(rstd), rows, cols, eps);
  const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
  const saved = [xc.t, mean, rstd, ...(wc ? [wc.t] : [])];
  const out = record(y, 'layerNorm', inputs, saved, (g, [xs, ms, rs, ws]) => {
    const gc = contig(g);
    const gx = emptyUninit(xs.shape);
    const gw = w && w.requiresGrad ? emptyUninit([cols]) : null;
    const gb = b && b.requiresGrad ? emptyUninit([cols]) : null;
    K().layerNormBackward(f(xs), xs.offset, ws ? f(ws) : null, ws ? ws.offset : 0, f(ms), f(rs), dataFrom(gc.t), f(gx), gw ? f(gw) : null, gb ? f(gb) : null, rows, cols);
    if (gc.copied) gc.t.dispose();
    return [gx, ...(w ? [gw] : []), ...(b ? [gb] : [])];
  });
  for (const c of [xc, wc, bc]) if (c && c.copied) c.t.dispose();
  mean.dispose(); rstd.dispose();
  return out;
}

/** RMSNorm over the last dim: x / rms(x) * (wOffset + w). Gemma uses wOffset = 1. */
export function rmsNorm(x: Tensor, w: Tensor | null, eps = 1e-6, wOffset = 0): Tensor {
  const [rows, cols] = lastDim(x, 'rmsNorm');
  checkVec(w, cols, 'rmsNorm', 'weight');
  const xc = contig(x), wc = w ? contig(w) : null;
  const y = emptyUninit(x.shape), rstd = emptyUninit([rows]);
  K().rmsNorm(f(xc.t), xc.t.offset, wc ? f(wc.t) : null, wc ? wc.t.offset : 0, f(y), f(rstd), rows, cols, eps, wOffset);
  const out = record(y, 'rmsNorm', w ? [x, w] : [x], [xc.t, rstd, ...(wc ? [wc.t] : [])], (g, [xs, rs, ws]) => {
    const gc = contig(g);
    const gx = emptyUninit(xs.shape);
    const gw = w && w.requiresGrad ? emptyUninit([cols]) : null;
    K().rmsNormBackward(f(xs), xs.offset, ws ? f(ws) : null, ws ? ws.offset : 0, f(rs), dataFrom(gc.t), f(gx), gw ? f(gw) : null, rows, cols, wOffset);
    if (gc.copied) gc.t.dispose();
    return w ? [gx, gw] : [gx];
  });
  if (xc.copied) xc.t.dispose();
  if (wc && wc.copied) wc.t.dispose();
  rstd.dispose();
  return out;
}

/**
 * Rotary position embedding (HF rotate-half) on x [B, T, H, D]; cos/sin [Bc, T, rotDim/2] (Bc = 1 or B).
 * Dims from rotDim on pass through (partial rotary, Phi-3).
 */
export function rope(x: Tensor, cos: Tensor, sin: Tensor, rotDim?: number): Tensor {
  if (x.ndim !== 4) throw new Error(`rope: x must be [B, T, H, D], got [${x.shape}]`);
  const [B, T, H, D] = x.shape;
  const rd = rotDim ?? D;
  if (rd % 2 !== 0 || rd > D || rd <= 0) throw new Error(`rope: rotary dim ${rd} must be even and <= head dim ${D}`);
  const Bc = cos.shape[0];
  if (cos.ndim !== 3 || (Bc !== 1 && Bc !== B) || cos.shape[1] !== T || cos.shape[2] !== rd / 2) throw new Error(`rope: cos must be [1 or ${B}, ${T}, ${rd / 2}], got [${cos.shape}]`);
  if (sin.ndim !== 3 || sin.shape.some((s, i) => s !== cos.shape[i])) throw new Error(`rope: sin [${sin.shape}] must match cos [${cos.shape}]`);
  const xc = contig(x), cc = contig(cos), sc = contig(sin);
  if (cc.t.offset !== sc.t.offset) throw new Error('rope: cos and sin tables must share an offset layout (make them contiguous)');
  const y = emptyUninit(x.shape);
  K().rope(f(xc.t), xc.t.offset, f(y), f(cc.t), f(sc.t), cc.t.offset, Bc, B, T, H, D, rd, false);
  const out = record(y, 'rope', [x], [cc.t, sc.t], (g, [cs, ss]) => {
    const gc = contig(g);
    const gx = emptyUninit([B, T, H, D]);
    K().rope(f(gc.t), gc.t.offset, f(gx), f(cs), f(ss), cs.offset, Bc, B, T, H, D, rd, true);
    if (gc.copied) gc.t.dispose();
    return [gx];
  });
  for (const c of [xc, cc, sc]) if (c.copied) c.t.dispose();
  return out;
}

export interface AttentionOptions {
  /** Multiplies q.k; default 1/sqrt(D). */
  scale?: number;
  causal?: boolean; // default true
  /** Sliding window: query at position p sees keys in (p - window, p]. 0 = none. */
  window?: number;
  /** Logit soft-capping (Gemma 2): scores = c tanh(scores / c). 0 = none. */
  softcap?: number;
  /** Key index of query 0 (default S - T: queries are the last T positions). */
  qPos0?: number;
  /** [B, S] i32, nonzero = attend (padding mask). */
  keyMask?: Tensor | null;
  /** Also return the attention pattern [B, Hq, T, S]. */
  returnProbs?: boolean;
}

/** Layout of a [B, L, H, D] tensor for the attention kernel: needs heads and features contiguous. */
function attnLayout(t: Tensor, name: string): { t: Tensor; copied: boolean } {
  if (t.ndim !== 4) throw new Error(`attention: ${name} must be [B, L, H, D], got [${t.shape}]`);
  if (t.dtype !== 'f32') throw new Error(`attention: ${name} must be f32`);
  const [, , H, D] = t.shape;
  if ((t.strides[3] === 1 || D === 1) && (t.strides[2] === D || H === 1)) return { t, copied: false };
  return { t: noGrad(() => clone(t)), copied: true };
}

/**
 * Fused scaled-dot-product attention. q [B, T, Hq, D], k/v [B, S, Hkv, D] (batch/sequence axes may be
 * strided, e.g. a KV cache). Returns out [B, T, Hq, D] and, if asked, probs [B, Hq, T, S].
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): { out: Tensor; probs: Tensor | null } {
  const qc = attnLayout(q, 'q'), kc = attnLayout(k, 'k'), vc = attnLayout(v, 'v');
  const [B, T, Hq, D] = q.shape;
  const [Bk, S, Hkv, Dk] = k.shape;
  if (Bk !== B || Dk !== D || v.shape[0] !== B || v.shape[1] !== S || v.shape[2] !== Hkv || v.shape[3] !== D) {
    throw new Error(`attention: shapes q [${q.shape}], k [${k.shape}], v [${v.shape}] are inconsistent`);
  }
  if (Hkv === 0 || Hq % Hkv !== 0) throw new Error(`attention: ${Hq} query heads are not a multiple of ${Hkv} kv heads`);
  const mask = opts.keyMask ?? null;
  if (mask && (mask.dtype !== 'i32' || mask.ndim !== 2 || mask.shape[0] !== B || mask.shape[1] !== S)) throw new Error(`attention: keyMask must be i32 [${B}, ${S}], got ${mask.dtype} [${mask.shape}]`);
  const mc = mask ? contig(mask) : null;
  const g: AttentionGeom = {
    B, T, S, Hq, Hkv, D,
    qOff: qc.t.offset, qsB: qc.t.strides[0], qsT: qc.t.strides[1],
    kOff: kc.t.offset, ksB: kc.t.strides[0], ksS: kc.t.strides[1],
    vOff: vc.t.offset, vsB: vc.t.strides[0], vsS: vc.t.strides[1],
    scale: opts.scale ?? 1 / Math.sqrt(D), softcap: opts.softcap ?? 0, causal: opts.causal ?? true,
    window: opts.window ?? 0, qPos0: opts.qPos0 ?? S - T,
  };
  const needGrad = isGradEnabled() && (q.requiresGrad || k.requiresGrad || v.requiresGrad);
  const out = emptyUninit([B, T, Hq, D]);
  const probs = needGrad || opts.returnProbs ? emptyUninit([B, Hq, T, S]) : null;
  const maskArr = mc ? (mc.t.offset ? (mc.t.data as I32).subarray(mc.t.offset) : (mc.t.data as I32)) : null;
  K().attention(f(qc.t), f(kc.t), f(vc.t), g, maskArr, f(out), probs ? f(probs) : null);
  const saved = needGrad ? [qc.t, kc.t, vc.t, probs!, ...(mc ? [mc.t] : [])] : [];
  const res = record(out, 'attention', [q, k, v], saved, (gOut, [qs, ks, vs, ps, ms]) => {
    const gc = contig(gOut);
    const gq = emptyUninit([B, T, Hq, D]), gk = emptyUninit([B, S, Hkv, D]), gv = emptyUninit([B, S, Hkv, D]);
    const g2: AttentionGeom = { ...g, qOff: qs.offset, kOff: ks.offset, vOff: vs.offset };
    const mArr = ms ? (ms.offset ? (ms.data as I32).subarray(ms.offset) : (ms.data as I32)) : null;
    K().attentionBackward(f(qs), f(ks), f(vs), g2, mArr, f(ps), dataFrom(gc.t), f(gq), f(gk), f(gv));
    if (gc.copied) gc.t.dispose();
    return [gq, gk, gv];
  });
  for (const c of [qc, kc, vc]) if (c.copied) c.t.dispose();
  if (mc && mc.copied) mc.t.dispose();
  let probsOut: Tensor | null = null;
  if (probs) {
    if (opts.returnProbs) probsOut = probs; else probs.dispose();
  }
  return { out: res, probs: probsOut };
}

/** Rows of W [V, D] selected by i32 ids [...] -> [..., D]. */
export function embedding(W: Tensor, ids: Tensor): Tensor {
  if (W.ndim !== 2) throw new Error(`embedding: weight must be [V, D], got [${W.shape}]`);
  if (ids.dtype !== 'i32') throw new Error(`embedding: ids must be i32, got ${ids.dtype}`);
  const [V, D] = W.shape;
  const wc = contig(W), ic = contig(ids);
  const n = ids.size;
  const out = emptyUninit([...ids.shape, D]);
  K().embedding(f(wc.t), wc.t.offset, V, D, ic.t.data as I32, ic.t.offset, n, f(out));
  if (wc.copied) wc.t.dispose();
  const res = record(out, 'embedding', [W], [ic.t], (g, [is]) => {
    const gc = contig(g);
    const gw = emptyUninit([V, D]);
    K().embeddingBackward(dataFrom(gc.t), is.data as I32, is.offset, n, V, D, f(gw));
    if (gc.copied) gc.t.dispose();
    return [gw];
  });
  if (ic.copied) ic.t.dispose();
  return res;
}

export interface CrossEntropyOptions {
  ignoreIndex?: number; // default -100
  /** 'mean' over non-ignored targets (0 when all are ignored), 'sum', or 'none' (per row, 0 where ignored). */
  reduction?: 'mean' | 'sum' | 'none';
}

/** Cross-entropy of logits [..., V] against i32 targets [...], fused with its log-softmax. */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  const [rows, V] = lastDim(logits, 'crossEntropy');
  if (targets.dtype !== 'i32') throw new Error(`crossEntropy: targets must be i32, got ${targets.dtype}`);
  if (targets.size !== rows || targets.shape.some((s, i) => s !== logits.shape[i])) throw new Error(`crossEntropy: targets [${targets.shape}] do not match logits [${logits.shape}]`);
  const lc = contig(logits), tc = contig(targets);
  const losses = emptyUninit(targets.shape), lse = emptyUninit([rows]);
  K().crossEntropy(f(lc.t), lc.t.offset, rows, V, tc.t.data as I32, tc.t.offset, ignore, f(losses), f(lse));
  const td = tc.t.data as I32;
  let active = 0;
  for (let r = 0; r < rows; r++) if (td[tc.t.offset + r] !== ignore) active++;
  let out: Tensor;
  let rowScale = 1;
  if (reduction === 'none') out = losses;
  else {
    let s = 0;
    const ld = f(losses);
    for (let r = 0; r < rows; r++) s += ld[r];
    rowScale = reduction === 'mean' ? (active > 0 ? 1 / active : 0) : 1;
    out = empty([]);
    f(out)[0] = s * rowScale;
    losses.dispose();
  }
  const res = record(out, 'crossEntropy', [logits], [lc.t, lse, tc.t], (g, [ls, lses, ts]) => {
    const gLoss = empty([rows]);
    const gc = contig(g);
    if (reduction === 'none') for (let r = 0; r < rows; r++) f(gLoss)[r] = f(gc.t)[gc.t.offset + r];
    else f(gLoss).fill(f(gc.t)[gc.t.offset] * rowScale);
    if (gc.copied) gc.t.dispose();
    const gl = emptyUninit(ls.shape);
    K().crossEntropyBackward(f(ls), ls.offset, f(lses), ts.data as I32, ts.offset, rows, V, ignore, f(gLoss), f(gl));
    gLoss.dispose();
    return [gl];
  });
  if (lc.copied) lc.t.dispose();
  if (tc.copied) tc.t.dispose();
  lse.dispose();
  return res;
}

/** out[..] = x[.., idx[..]]: picks one entry per row of x [..., C] by i32 idx [...]. */
export function gatherRows(x: Tensor, idx: Tensor): Tensor {
  const [rows, cols] = lastDim(x, 'gatherRows');
  if (idx.dtype !== 'i32' || idx.size !== rows) throw new Error(`gatherRows: idx must be i32 with ${rows} entries, got ${idx.dtype} [${idx.shape}]`);
  const xc = contig(x), ic = contig(idx);
  const out = emptyUninit(x.shape.slice(0, -1));
  K().gatherRows(f(xc.t), xc.t.offset, rows, cols, ic.t.data as I32, ic.t.offset, f(out));
  if (xc.copied) xc.t.dispose();
  const res = record(out, 'gatherRows', [x], [ic.t], (g, [is]) => {
    const gc = contig(g);
    const gx = emptyUninit(x.shape);
    K().gatherRowsBackward(dataFrom(gc.t), is.data as I32, is.offset, rows, cols, f(gx));
    if (gc.copied) gc.t.dispose();
    return [gx];
  });
  if (ic.copied) ic.t.dispose();
  return res;
}


/**
 * SwiGLU gate: silu(gate) * up, elementwise over equal shapes (the gated MLP of Llama, Qwen, Mistral,
 * Phi-3), in one kernel each way instead of silu, mul and their backwards. Bitwise the same as
 * mul(silu(gate), up) on the native backend.
 */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (gate.dtype !== 'f32' || up.dtype !== 'f32') throw new Error(`swiglu: f32 tensors required, got ${gate.dtype} and ${up.dtype}`);
  if (gate.ndim !== up.ndim || gate.shape.some((s, i) => s !== up.shape[i])) throw new Error(`swiglu: gate [${gate.shape}] and up [${up.shape}] must have the same shape`);
  const gc = contig(gate), uc = contig(up);
  const n = gate.size;
  const y = emptyUninit(gate.shape);
  K().swiglu(f(gc.t), gc.t.offset, f(uc.t), uc.t.offset, f(y), n);
  const out = record(y, 'swiglu', [gate, up], [gc.t, uc.t], (g, [gs, us]) => {
    const gyc = contig(g);
    const gGate = emptyUninit(gs.shape), gUp = emptyUninit(us.shape);
    K().swigluBackward(f(gs), gs.offset, f(us), us.offset, f(gyc.t), gyc.t.offset, f(gGate), f(gUp), n);
    if (gyc.copied) gyc.t.dispose();
    return [gate.requiresGrad ? gGate : (gGate.dispose(), null), up.requiresGrad ? gUp : (gUp.dispose(), null)];
  });
  if (gc.copied) gc.t.dispose();
  if (uc.copied) uc.t.dispose();
  return out;
}

export interface TokenLogProbsOptions {
  /** Divides the logits first (sampling temperature); default 1. */
  temperature?: number;
  /** Targets equal to this get log-prob 0 and no gradient; default -100. */
  ignoreIndex?: number;
}

/**
 * Per-token log-probs: out[..] = log softmax(logits[.., :] / temperature)[targets[..]] for logits [..., V] and
 * i32 targets [...], in one fused kernel each way (no scaled copy of the logits, no log-softmax tensor).
 * The same values, bitwise on the native backend, as neg(crossEntropy(scale(logits, 1/T), targets, 'none')).
 */
export function tokenLogProbs(logits: Tensor, targets: Tensor, opts: TokenLogProbsOptions = {}): Tensor {
  const ignore = opts.ignoreIndex ?? -100;
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`tokenLogProbs: temperature must be a finite number > 0, got ${temperature}`);
  const [rows, V] = lastDim(logits, 'tokenLogProbs');
  if (targets.dtype !== 'i32') throw new Error(`tokenLogProbs: targets must be i32, got ${targets.dtype}`);
  if (targets.size !== rows || targets.ndim !== logits.ndim - 1 || targets.shape.some((s, i) => s !== logits.shape[i])) throw new Error(`tokenLogProbs: targets [${targets.shape}] do not match logits [${logits.shape}]`);
  const invT = Math.fround(1 / temperature);
  const lc = contig(logits), tc = contig(targets);
  const out = emptyUninit(targets.shape), lse = emptyUninit([rows]);
  K().tokenLogProbs(f(lc.t), lc.t.offset, rows, V, tc.t.data as I32, tc.t.offset, ignore, invT, f(out), f(lse));
  const res = record(out, 'tokenLogProbs', [logits], [lc.t, lse, tc.t], (g, [ls, lses, ts]) => {
    const gc = contig(g);
    const gl = emptyUninit(ls.shape);
    K().tokenLogProbsBackward(f(ls), ls.offset, f(lses), ts.data as I32, ts.offset, rows, V, ignore, invT, dataFrom(gc.t), f(gl));
    if (gc.copied) gc.t.dispose();
    return [gl];
  });
  if (lc.copied) lc.t.dispose();
  if (tc.copied) tc.t.dispose();
  lse.dispose();
  return res;
}
