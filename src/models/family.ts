/**
 * What a model family is to the decoder: the Hugging Face names of its weights, block by block, and
 * the shapes the config implies for them. The arithmetic quirks (norm offsets, soft-caps, windows,
 * q/k norms) are config flags read by decoder.ts; each family file (gpt2.ts, llama.ts, ...) maps names.
 */
import type { ModelConfig, ModelType } from './hf-config.js';

export interface BlockWeights {
  ln1: string; ln1Bias?: string;
  /** Fused q|k|v projection (GPT-2 c_attn, Phi-3 qkv_proj) or separate q, k, v. */
  qkv?: string; qkvBias?: string;
  q?: string; k?: string; v?: string; qBias?: string; kBias?: string; vBias?: string;
  o: string; oBias?: string;
  qNorm?: string; kNorm?: string;
  /** Gemma 2/3: norm applied to the attention output before the residual add. */
  postAttnNorm?: string;
  /** Norm before the MLP. */
  ln2: string; ln2Bias?: string;
  /** Gemma 2/3: norm applied to the MLP output before the residual add. */
  postFfNorm?: string;
  /** Gated MLP: down(act(gate x) * up x); gateUp = fused [gate; up] (Phi-3). */
  gate?: string; up?: string; gateUp?: string;
  /** Plain MLP: proj(act(fc x)). */
  fc?: string; fcBias?: string;
  down: string; downBias?: string;
}

export interface FamilyDef {
  modelTypes: ModelType[];
  embed: string;
  posEmbed?: string;
  finalNorm: string; finalNormBias?: string;
  /** Absent from the checkpoint when embeddings are tied. */
  lmHead: string;
  /** GPT-2 stores Conv1D weights [in, out]; everyone else nn.Linear [out, in]. */
  layout: 'out_in' | 'in_out';
  block(l: number, cfg: ModelConfig): BlockWeights;
}

/** Expected shape of every weight for a config (HF layout), in a stable order. */
export function expectedShapes(fam: FamilyDef, cfg: ModelConfig): Map<string, number[]> {
  const D = cfg.dModel, Dh = cfg.dHead, H = cfg.nHeads, Hkv = cfg.nKvHeads, F = cfg.dMlp, V = cfg.vocabSize;
  const lin = (out: number, inp: number) => (fam.layout === 'out_in' ? [out, inp] : [inp, out]);
  const m = new Map<string, number[]>();
  m.set(fam.embed, [V, D]);
  if (fam.posEmbed) m.set(fam.posEmbed, [cfg.maxPositions, D]);
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = fam.block(l, cfg);
    const normShape = [D];
    m.set(b.ln1, normShape); if (b.ln1Bias) m.set(b.ln1Bias, normShape);
    if (b.qkv) { m.set(b.qkv, lin((H + 2 * Hkv) * Dh, D)); if (b.qkvBias) m.set(b.qkvBias, [(H + 2 * Hkv) * Dh]); }
    if (b.q) m.set(b.q, lin(H * Dh, D));
    if (b.k) m.set(b.k, lin(Hkv * Dh, D));
    if (b.v) m.set(b.v, lin(Hkv * Dh, D));
    if (b.qBias) m.set(b.qBias, [H * Dh]);
    if (b.kBias) m.set(b.kBias, [Hkv * Dh]);
    if (b.vBias) m.set(b.vBias, [Hkv * Dh]);
    if (b.qNorm) m.set(b.qNorm, [Dh]);
    if (b.kNorm) m.set(b.kNorm, [Dh]);
    m.set(b.o, lin(D, H * Dh)); if (b.oBias) m.set(b.oBias, [D]);
    if (b.postAttnNorm) m.set(b.postAttnNorm, normShape);
    m.set(b.ln2, normShape); if (b.ln2Bias) m.set(b.ln2Bias, normShape);
    if (b.postFfNorm) m.set(b.postFfNorm, normShape);
    if (b.gateUp) m.set(b.gateUp, lin(2 * F, D));
    if (b.gate) m.set(b.gate, lin(F, D));
    if (b.up) m.set(b.up, lin(F, D));
    if (b.fc) { m.set(b.fc, lin(F, D)); if (b.fcBias) m.set(b.fcBias, [F]); }
    m.set(b.down, lin(D, F)); if (b.downBias) m.set(b.downBias, [D]);
  }
  m.set(fam.finalNorm, [D]); if (fam.finalNormBias) m.set(fam.finalNormBias, [D]);
  if (!cfg.tieWordEmbeddings) m.set(fam.lmHead, [V, D]);
  return m;
}
