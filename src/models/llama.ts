/**
 * Llama: RMSNorm, RoPE (default, `linear` or `llama3` scaling), grouped-query attention (GQA/MQA),
 * SwiGLU MLP, optional `attention_bias` (q, k, v, o biases) and `mlp_bias`, untied or tied LM head.
 * Mistral, Qwen 2 and Qwen 3 share this weight layout (see their files for what differs).
 */
import type { ModelConfig } from './hf-config.js';
import type { BlockWeights, FamilyDef } from './family.js';

/** The `model.layers.{l}` names shared by Llama-style checkpoints. */
export function llamaBlock(l: number, cfg: ModelConfig): BlockWeights {
  const p = `model.layers.${l}`;
  const bias = cfg.qkvBias;
  return {
    ln1: `${p}.input_layernorm.weight`,
    q: `${p}.self_attn.q_proj.weight`, k: `${p}.self_attn.k_proj.weight`, v: `${p}.self_attn.v_proj.weight`,
    ...(bias ? { qBias: `${p}.self_attn.q_proj.bias`, kBias: `${p}.self_attn.k_proj.bias`, vBias: `${p}.self_attn.v_proj.bias` } : {}),
    o: `${p}.self_attn.o_proj.weight`, ...(cfg.oBias ? { oBias: `${p}.self_attn.o_proj.bias` } : {}),
    ...(cfg.qkNorm ? { qNorm: `${p}.self_attn.q_norm.weight`, kNorm: `${p}.self_attn.k_norm.weight` } : {}),
    ln2: `${p}.post_attention_layernorm.weight`,
    gate: `${p}.mlp.gate_proj.weight`, up: `${p}.mlp.up_proj.weight`, down: `${p}.mlp.down_proj.weight`,
    ...(cfg.mlpBias ? { downBias: `${p}.mlp.down_proj.bias` } : {}),
  };
}

export const llamaNames = {
  embed: 'model.embed_tokens.weight',
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head.weight',
  layout: 'out_in' as const,
};

export const llama: FamilyDef = { modelTypes: ['llama'], ...llamaNames, block: llamaBlock };
