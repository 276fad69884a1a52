/**
 * The decoder forward pass shared by every family: embeddings, blocks (attention + MLP with the
 * family's norms and quirks read from the config), final norm and unembedding, with a TransformerLens
 * hook point at every named activation, an optional KV cache, LoRA adapters and stopAtLayer.
 */
import {
  Tensor, empty, scope, add, mul, linear, layerNorm, rmsNorm, rope, attention, embedding, reshape, slice,
  silu, gelu, geluTanh, relu, sigmoid, scale as scaleOp, softcap as softcapOp, contiguous, swiglu,
} from '../engine/index.js';
import type { ModelConfig } from './hf-config.js';
import { ropeInvFreq, ropeKindForLayer } from './hf-config.js';
import type { BlockWeights, FamilyDef } from './family.js';
import { hookMatches, type Hook, type HookContext } from './hooks.js';
import type { KVCache } from './kv-cache.js';

/** A low-rank update on one weight: y += scale * B (A x). Shapes: A [r, in], B [out, r]. */
export interface LoraAdapter { A: Tensor; B: Tensor; scale: number }

/** Anything that adds a learned delta to a projection's output (nn's LoraAdapter). */
export interface WeightDelta { has(weightName: string): boolean; delta(weightName: string, x: Tensor): Tensor }

export interface DecoderParts {
  config: ModelConfig;
  family: FamilyDef;
  params: Map<string, Tensor>;
  adapters: Map<string, LoraAdapter>;
  lora: WeightDelta | null;
}

export interface ForwardOptions {
  hooks?: Hook[];
  /** i32 [B, T] positions; default posOffset + 0..T-1 for every row. */
  positions?: Tensor | null;
  /** [B, S] 0/1 key mask (S = T, or cache length + T with a cache). Nested arrays or an i32 tensor. */
  attentionMask?: Tensor | number[][] | null;
  cache?: KVCache | null;
  /** Run blocks 0..n-1 only and return the residual stream [B, T, d_model] (TransformerLens semantics). */
  stopAtLayer?: number | null;
  /** Replaces the token-embedding lookup: [B, T, d_model] (before Gemma's sqrt(d) scaling), e.g. for embedding attacks. */
  inputsEmbeds?: Tensor | null;
  /**
   * Unembed only the last position: logits [B, 1, V] instead of [B, T, V] (what generation needs; the LM head
   * is the biggest matmul of a decode step's prefill). unembed.hook_out then sees that one position.
   */
  lastOnly?: boolean;
  /**
   * Unembed only positions logitsFrom..T-1: logits [B, T - logitsFrom, V] (scoring completions after a prompt
   * skips the prompt's share of the LM head, the biggest matmul at small models). unembed.hook_out sees those positions.
   */
  logitsFrom?: number;
}

export function activation(cfg: ModelConfig, x: Tensor): Tensor {
  switch (cfg.act) {
    case 'silu': return silu(x);
    case 'gelu': return gelu(x);
    case 'gelu_new': case 'gelu_pytorch_tanh': case 'gelu_fast': return geluTanh(x);
    case 'relu': return relu(x);
    case 'quick_gelu': return mul(x, sigmoid(scaleOp(x, 1.702)));
    default: throw new Error(`unsupported activation '${cfg.act as string}'`);
  }
}

/** cos/sin tables [Bc, T, rotDim/2] for the given positions, computed in f32 as transformers does. */
export function ropeTables(cfg: ModelConfig, kind: 'global' | 'local', B: number, T: number, positions: Tensor | null, posOffset: number): [Tensor, Tensor] {
  const inv = ropeInvFreq(cfg, kind);
  const half = inv.length;
  const Bc = positions ? B : 1;
  const cos = empty([Bc, T, half]), sin = empty([Bc, T, half]);
  const cd = cos.data, sd = sin.data;
  const f = Math.fround;
  for (let b = 0; b < Bc; b++) for (let t = 0; t < T; t++) {
    const pos = positions ? positions.data[positions.offset + b * positions.strides[0] + t * positions.strides[1]] : posOffset + t;
    for (let i = 0; i < half; i++) {
      const a = f(inv[i] * pos);
      cd[(b * T + t) * half + i] = Math.cos(a);
      sd[(b * T + t) * half + i] = Math.sin(a);
    }
  }
  return [cos, sin];
}

export class HookRunner {
  private readonly byName = new Map<string, Hook[]>();
  constructor(private readonly hooks: Hook[], private readonly names: readonly string[]) {
    for (const h of hooks) {
      let matched = 0;
      for (const n of names) if (hookMatches(h, n)) { matched++; const l = this.byName.get(n) ?? []; l.push(h); this.byName.set(n, l); }
      if (matched === 0) {
        const want = typeof h.name === 'string' ? h.name : String(h.name);
        const near = names.filter((n) => typeof h.name === 'string' && (n.includes(h.name) || h.name.includes(n.split('.').pop()!))).slice(0, 5);
        throw new Error(`unknown hook point '${want}'${near.length ? `; did you mean ${near.join(', ')}?` : ''} (model.hookNames() lists all ${names.length})`);
      }
    }
  }
  has(name: string): boolean { return this.byName.has(name); }
  run(name: string, act: Tensor, layer: number | null, posOffset: number): Tensor {
    const hs = this.byName.get(name);
    if (!hs) return act;
    const ctx: HookContext = { name, layer, posOffset };
    let cur = act;
    for (const h of hs) {
      const r = h.fn(cur, ctx);
      if (r instanceof Tensor) {
        if (r.ndim !== cur.ndim || r.shape.some((s, i) => s !== cur.shape[i])) throw new Error(`hook on '${name}' returned shape [${r.shape}], expected [${cur.shape}]`);
        cur = r;
      }
    }
    return cur;
  }
}

/** The ordered TransformerLens hook names of a model. */
export function hookNamesFor(cfg: ModelConfig, fam: FamilyDef): string[] {
  const names = ['hook_embed'];
  if (fam.posEmbed) names.push('hook_pos_embed');
  const rotary = cfg.positional === 'rope';
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `blocks.${l}`;
    names.push(`${p}.hook_resid_pre`, `${p}.ln1.hook_normalized`, `${p}.attn.hook_q`, `${p}.attn.hook_k`, `${p}.attn.hook_v`);
    if (rotary) names.push(`${p}.attn.hook_rot_q`, `${p}.attn.hook_rot_k`);
    names.push(`${p}.attn.hook_pattern`, `${p}.attn.hook_z`, `${p}.hook_attn_out`, `${p}.hook_resid_mid`, `${p}.ln2.hook_normalized`, `${p}.mlp.hook_pre`);
    if (cfg.mlpType === 'gated') names.push(`${p}.mlp.hook_pre_linear`);
    names.push(`${p}.mlp.hook_post`, `${p}.hook_mlp_out`, `${p}.hook_resid_post`);
  }
  names.push('ln_final.hook_normalized', 'unembed.hook_out');
  return names;
}

/** Weight names of block l, built once per (family, config): a decode step looks them up hundreds of times. */
const blockNames = new WeakMap<FamilyDef, WeakMap<ModelConfig, BlockWeights[]>>();
function blockWeights(fam: FamilyDef, cfg: ModelConfig, l: number): BlockWeights {
  let byCfg = blockNames.get(fam);
  if (!byCfg) { byCfg = new WeakMap(); blockNames.set(fam, byCfg); }
  let list = byCfg.get(cfg);
  if (!list) { list = []; byCfg.set(cfg, list); }
  return (list[l] ??= fam.block(l, cfg));
}

function param(m: DecoderParts, name: string | undefined): Tensor | null {
  if (!name) return null;
  const t = m.params.get(name);
  if (!t) throw new Error(`model is missing weight '${name}'`);
  return t;
}

function proj(m: DecoderParts, x: Tensor, w: string, b?: string): Tensor {
  const y = linear(x, param(m, w)!, param(m, b), m.family.layout);
  if (m.lora && m.lora.has(w)) return add(y, m.lora.delta(w, x));
  const ad = m.adapters.get(w);
  if (!ad) return y;
  const low = linear(linear(x, ad.A), ad.B);
  return add(y, ad.scale === 1 ? low : scaleOp(low, ad.scale));
}

function norm(m: DecoderParts, x: Tensor, w: string, b?: string): Tensor {
  const cfg = m.config;
  if (cfg.normType === 'layernorm') return layerNorm(x, param(m, w), param(m, b), cfg.normEps);
  return rmsNorm(x, param(m, w), cfg.normEps, cfg.normOffset);
}

function toMask(mask: Tensor | number[][] | null | undefined, B: number, S: number): Tensor | null {
  if (!mask) return null;
  if (mask instanceof Tensor) {
    if (mask.dtype !== 'i32' || mask.ndim !== 2 || mask.shape[0] !== B || mask.shape[1] !== S) throw new Error(`attentionMask must be i32 [${B}, ${S}], got ${mask.dtype} [${mask.shape}]`);
    return mask;
  }
  if (mask.length !== B || mask.some((r) => r.length !== S)) throw new Error(`attentionMask must be ${B} rows of ${S} values`);
  const t = empty([B, S], 'i32');
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) t.data[b * S + s] = mask[b][s] ? 1 : 0;
  return t;
}

function block(m: DecoderParts, l: number, resid: Tensor, ctx: {
  hooks: HookRunner | null; B: number; T: number; posOffset: number; ropes: Map<string, [Tensor, Tensor]>;
  keyMask: Tensor | null; cache: KVCache | null;
}): Tensor {
  const cfg = m.config, bw: BlockWeights = blockWeights(m.family, cfg, l);
  const { B, T, posOffset } = ctx;
  const H = cfg.nHeads, Hkv = cfg.nKvHeads, Dh = cfg.dHead;
  const hp = (name: string, act: Tensor) => (ctx.hooks ? ctx.hooks.run(`blocks.${l}.${name}`, act, l, posOffset) : act);

  resid = hp('hook_resid_pre', resid);
  const x = hp('ln1.hook_normalized', norm(m, resid, bw.ln1, bw.ln1Bias));
  let q: Tensor, k: Tensor, v: Tensor;
  if (bw.qkv) {
    const qkv = proj(m, x, bw.qkv, bw.qkvBias);
    const qd = H * Dh, kd = Hkv * Dh;
    q = reshape(slice(qkv, 2, 0, qd), [B, T, H, Dh]);
    k = reshape(slice(qkv, 2, qd, qd + kd), [B, T, Hkv, Dh]);
    v = reshape(slice(qkv, 2, qd + kd, qd + 2 * kd), [B, T, Hkv, Dh]);
  } else {
    q = reshape(proj(m, x, bw.q!, bw.qBias), [B, T, H, Dh]);
    k = reshape(proj(m, x, bw.k!, bw.kBias), [B, T, Hkv, Dh]);
    v = reshape(proj(m, x, bw.v!, bw.vBias), [B, T, Hkv, Dh]);
  }
  if (bw.qNorm) q = rmsNorm(q, param(m, bw.qNorm), cfg.normEps, cfg.normOffset);
  if (bw.kNorm) k = rmsNorm(k, param(m, bw.kNorm), cfg.normEps, cfg.normOffset);
  q = hp('attn.hook_q', q); k = hp('attn.hook_k', k); v = hp('attn.hook_v', v);
  if (cfg.positional === 'rope') {
    const [cos, sin] = ctx.ropes.get(ropeKindForLayer(cfg, l))!;
    q = hp('attn.hook_rot_q', rope(q, cos, sin, cfg.rotaryDim));
    k = hp('attn.hook_rot_k', rope(k, cos, sin, cfg.rotaryDim));
  }
  let K = k, V = v;
  if (ctx.cache) {
    ctx.cache.write(l, k, v);
    [K, V] = ctx.cache.view(l, ctx.cache.length + T);
  }
  const sliding = cfg.layerTypes[l] === 'sliding' && cfg.slidingWindow;
  let scale = cfg.attnScale;
  if (cfg.scaleAttnByInverseLayerIdx) scale /= l + 1;
  const wantPattern = ctx.hooks?.has(`blocks.${l}.attn.hook_pattern`) ?? false;
  const att = attention(q, K, V, {
    scale, causal: true, window: sliding ? cfg.slidingWindow! : 0, softcap: cfg.attnSoftcap ?? 0,
    keyMask: ctx.keyMask, qPos0: ctx.cache ? ctx.cache.length : 0, returnProbs: wantPattern,
  });
  if (att.probs) {
    const p = hp('attn.hook_pattern', att.probs);
    if (p !== att.probs) throw new Error(`blocks.${l}.attn.hook_pattern is read-only: patch hook_z, hook_q/k/v or hook_attn_out instead`);
  }
  const z = hp('attn.hook_z', att.out);
  let attnOut = proj(m, reshape(z, [B, T, H * Dh]), bw.o, bw.oBias);
  if (bw.postAttnNorm) attnOut = norm(m, attnOut, bw.postAttnNorm);
  attnOut = hp('hook_attn_out', attnOut);
  const mid = hp('hook_resid_mid', add(resid, attnOut));
  const x2 = hp('ln2.hook_normalized', norm(m, mid, bw.ln2, bw.ln2Bias));
  let post: Tensor;
  if (cfg.mlpType === 'gated') {
    let gate: Tensor, up: Tensor;
    if (bw.gateUp) {
      const gu = proj(m, x2, bw.gateUp);
      gate = contiguous(slice(gu, 2, 0, cfg.dMlp));
      up = contiguous(slice(gu, 2, cfg.dMlp, 2 * cfg.dMlp));
    } else {
      gate = proj(m, x2, bw.gate!);
      up = proj(m, x2, bw.up!);
    }
    gate = hp('mlp.hook_pre', gate);
    up = hp('mlp.hook_pre_linear', up);
    post = hp('mlp.hook_post', cfg.act === 'silu' ? swiglu(gate, up) : mul(activation(cfg, gate), up));
  } else {
    const pre = hp('mlp.hook_pre', proj(m, x2, bw.fc!, bw.fcBias));
    post = hp('mlp.hook_post', activation(cfg, pre));
  }
  let mlpOut = proj(m, post, bw.down, bw.downBias);
  if (bw.postFfNorm) mlpOut = norm(m, mlpOut, bw.postFfNorm);
  mlpOut = hp('hook_mlp_out', mlpOut);
  return hp('hook_resid_post', add(mid, mlpOut));
}

/** Runs the decoder. ids: i32 [B, T]. Returns logits [B, T, V] (or the residual stream with stopAtLayer). */
export function decoderForward(m: DecoderParts, ids: Tensor | null, names: readonly string[], opts: ForwardOptions = {}): Tensor {
  const cfg = m.config, fam = m.family;
  return scope(() => {
    const hooks = opts.hooks && opts.hooks.length ? new HookRunner(opts.hooks, names) : null;
    const cache = opts.cache ?? null;
    const posOffset = cache ? cache.length : 0;
    let B: number, T: number;
    let tok: Tensor;
    if (opts.inputsEmbeds) {
      if (opts.inputsEmbeds.ndim !== 3 || opts.inputsEmbeds.shape[2] !== cfg.dModel) throw new Error(`inputsEmbeds must be [B, T, ${cfg.dModel}], got [${opts.inputsEmbeds.shape}]`);
      [B, T] = opts.inputsEmbeds.shape;
      tok = opts.inputsEmbeds;
    } else {
      if (!ids || ids.dtype !== 'i32' || ids.ndim !== 2) throw new Error(`forward: ids must be an i32 tensor [batch, seq], got ${ids ? `${ids.dtype} [${ids.shape}]` : 'nothing'}`);
      [B, T] = ids.shape;
      tok = embedding(param(m, fam.embed)!, ids);
    }
    if (opts.positions && (opts.positions.dtype !== 'i32' || opts.positions.ndim !== 2 || opts.positions.shape[0] !== B || opts.positions.shape[1] !== T)) {
      throw new Error(`positions must be i32 [${B}, ${T}], got [${opts.positions.shape}]`);
    }
    const hp = (name: string, act: Tensor) => (hooks ? hooks.run(name, act, null, posOffset) : act);
    let resid = hp('hook_embed', tok);
    if (fam.posEmbed) {
      const pos = empty([B, T], 'i32');
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
        pos.data[b * T + t] = opts.positions ? opts.positions.data[opts.positions.offset + b * opts.positions.strides[0] + t * opts.positions.strides[1]] : posOffset + t;
      }
      for (let i = 0; i < pos.size; i++) if (pos.data[i] >= cfg.maxPositions) throw new Error(`position ${pos.data[i]} exceeds the model's ${cfg.maxPositions} learned positions`);
      resid = add(resid, hp('hook_pos_embed', embedding(param(m, fam.posEmbed)!, pos)));
    }
    if (cfg.embedScale !== 1) resid = scaleOp(resid, Math.fround(cfg.embedScale));
    const S = (cache ? cache.length : 0) + T;
    let keyMask: Tensor | null = null;
    if (cache) {
      if (opts.attentionMask) {
        const mk = toMask(opts.attentionMask, B, T)!;
        const rows: number[][] = [];
        for (let b = 0; b < B; b++) rows.push(Array.from(mk.data.subarray(mk.offset + b * T, mk.offset + (b + 1) * T)));
        cache.writeMask(rows, T);
      } else cache.writeMask(Array.from({ length: B }, () => new Array(T).fill(1)), T);
      keyMask = slice(cache.mask, 1, 0, S);
    } else keyMask = toMask(opts.attentionMask, B, S);
    const ropes = new Map<string, [Tensor, Tensor]>();
    if (cfg.positional === 'rope') {
      ropes.set('global', ropeTables(cfg, 'global', B, T, opts.positions ?? null, posOffset));
      if (cfg.localRopeTheta !== null) ropes.set('local', ropeTables(cfg, 'local', B, T, opts.positions ?? null, posOffset));
    }
    const nRun = opts.stopAtLayer ?? cfg.nLayers;
    if (!Number.isInteger(nRun) || nRun < 0 || nRun > cfg.nLayers) throw new Error(`stopAtLayer ${opts.stopAtLayer} must be in [0, ${cfg.nLayers}]`);
    for (let l = 0; l < nRun; l++) {
      const bctx = { hooks, B, T, posOffset, ropes, keyMask, cache };
      if (hooks) { resid = block(m, l, resid, bctx); continue; }
      // No hook can hold an activation: free each block's intermediates as soon as it returns (autograd keeps
      // what backward needs through its own references), so peak memory is one block's, not all of them.
      const next = scope(() => block(m, l, resid, bctx));
      if (l > 0) resid.dispose();
      resid = next;
    }
    if (cache && nRun === cfg.nLayers) cache.length += T;
    if (opts.stopAtLayer !== undefined && opts.stopAtLayer !== null) return resid;
    const normed = hp('ln_final.hook_normalized', norm(m, resid, fam.finalNorm, fam.finalNormBias));
    const W_U = cfg.tieWordEmbeddings ? param(m, fam.embed)! : param(m, fam.lmHead)!;
    const from = opts.lastOnly === true ? Math.max(T - 1, 0) : opts.logitsFrom ?? 0;
    if (!Number.isInteger(from) || from < 0 || from >= Math.max(T, 1)) throw new Error(`logitsFrom ${opts.logitsFrom} must be an integer in [0, ${T - 1}]`);
    let logits = linear(from > 0 ? slice(normed, 1, from, T) : normed, W_U);
    if (cfg.finalSoftcap) logits = softcapOp(logits, cfg.finalSoftcap);
    return hooks ? hooks.run('unembed.hook_out', logits, null, posOffset + from) : logits;
  });
}
