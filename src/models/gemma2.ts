/**
 * Gemma 2: Gemma plus attention-logit and final-logit soft-capping, a sliding window on alternating
 * layers, norms after attention and around the MLP (pre/post feed-forward), and attention scaled by
 * query_pre_attn_scalar^-0.5.
 */
import type { ModelConfig } from './hf-config.js';
import type { BlockWeights, FamilyDef } from './family.js';
import { llamaBlock, llamaNames } from './llama.js';

/** Gemma 2/3 block names: the Llama ones with the sandwich norms. */
export function gemmaSandwichBlock(l: number, cfg: ModelConfig): BlockWeights {
  const p = `model.layers.${l}`;
  return {
    ...llamaBlock(l, cfg),
    postAttnNorm: `${p}.post_attention_layernorm.weight`,
    ln2: `${p}.pre_feedforward_layernorm.weight`,
    postFfNorm: `${p}.post_feedforward_layernorm.weight`,
  };
}

export const gemma2: FamilyDef = { modelTypes: ['gemma2'], ...llamaNames, block: gemmaSandwichBlock };
