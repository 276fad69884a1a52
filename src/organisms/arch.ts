// Architectures of the organisms: Llama-style decoders (RMSNorm, RoPE, SwiGLU, tied embeddings) sized
// for CPU training, as Hugging Face config.json objects that createModel and loadModel both read.

export type ArchSize = 'micro' | 'tiny' | 'small';

export interface ArchSpec {
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** SwiGLU hidden width. */
  dMlp: number;
  /** Training sequence length (tokens per packed row). */
  seqLen: number;
  /** Context the saved config advertises (RoPE extrapolates a little past seqLen). */
  maxPositions: number;
  ropeTheta: number;
}

/**
 * tiny follows issue 5's PyTorch reference (d256, 6 layers, 4 heads, seq 128, ~5.8M parameters with a
 * 4k vocabulary); micro exists for tests; small is the next step up for machines with more time.
 */
export const ARCH_PRESETS: Record<ArchSize, ArchSpec> = {
  micro: { dModel: 32, nLayers: 2, nHeads: 2, dMlp: 64, seqLen: 32, maxPositions: 64, ropeTheta: 10000 },
  tiny: { dModel: 256, nLayers: 6, nHeads: 4, dMlp: 688, seqLen: 128, maxPositions: 256, ropeTheta: 10000 },
  small: { dModel: 384, nLayers: 8, nHeads: 6, dMlp: 1024, seqLen: 256, maxPositions: 512, ropeTheta: 10000 },
};

export interface SpecialIds { bos: number; eos: number; pad: number }

/** The config.json object of a Llama organism. */
export function llamaConfig(arch: ArchSpec, vocabSize: number, ids: SpecialIds): Record<string, unknown> {
  if (arch.dModel % arch.nHeads !== 0) throw new Error(`organism arch: d_model ${arch.dModel} is not divisible by ${arch.nHeads} heads`);
  if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new Error(`organism arch: vocab size must be an integer >= 2, got ${vocabSize}`);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: vocabSize,
    hidden_size: arch.dModel,
    intermediate_size: arch.dMlp,
    num_hidden_layers: arch.nLayers,
    num_attention_heads: arch.nHeads,
    num_key_value_heads: arch.nHeads,
    head_dim: arch.dModel / arch.nHeads,
    hidden_act: 'silu',
    max_position_embeddings: arch.maxPositions,
    rms_norm_eps: 1e-5,
    rope_theta: arch.ropeTheta,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: true,
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    pad_token_id: ids.pad,
    dtype: 'float32',
  };
}

/** Parameters of the architecture (tied embeddings counted once). */
export function archParams(arch: ArchSpec, vocabSize: number): number {
  const d = arch.dModel;
  const perLayer = 4 * d * d + 3 * d * arch.dMlp + 2 * d;
  return vocabSize * d + arch.nLayers * perLayer + d;
}

/**
 * Training FLOPs per token: 6 × (parameters touched per token, the unembedding included even when tied)
 * plus attention scores and mixing (forward 4·T·d per layer for a causal average of T/2 keys, ×3 with backward).
 */
export function trainFlopsPerToken(arch: ArchSpec, vocabSize: number): number {
  const d = arch.dModel;
  const dense = arch.nLayers * (4 * d * d + 3 * d * arch.dMlp) + vocabSize * d;
  const attention = arch.nLayers * 2 * arch.seqLen * d * 3; // causal: half of 2·(QK^T + PV) = 2·T·d forward
  return 6 * dense + attention;
}
