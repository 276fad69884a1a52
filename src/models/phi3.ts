/**
 * Phi-3: the Llama block with fused projections: qkv_proj ([q; k; v] rows) and gate_up_proj ([gate; up]
 * rows), and partial rotary embeddings (partial_rotary_factor) in some sizes.
 */
import type { FamilyDef } from './family.js';

export const phi3: FamilyDef = {
  modelTypes: ['phi3'],
  embed: 'model.embed_tokens.weight',
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head.weight',
  layout: 'out_in',
  block: (l) => {
    const p = `model.layers.${l}`;
    return {
      ln1: `${p}.input_layernorm.weight`,
      qkv: `${p}.self_attn.qkv_proj.weight`,
      o: `${p}.self_attn.o_proj.weight`,
      ln2: `${p}.post_attention_layernorm.weight`,
      gateUp: `${p}.mlp.gate_up_proj.weight`,
      down: `${p}.mlp.down_proj.weight`,
    };
  },
};
