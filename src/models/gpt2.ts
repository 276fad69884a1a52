/**
 * GPT-2: learned position embeddings (wpe), LayerNorm with bias, Conv1D weights stored [in, out], a fused
 * c_attn producing q|k|v, GELU (tanh approximation, "gelu_new") MLP, tied LM head.
 */
import type { FamilyDef } from './family.js';

export const gpt2: FamilyDef = {
  modelTypes: ['gpt2'],
  embed: 'transformer.wte.weight',
  posEmbed: 'transformer.wpe.weight',
  finalNorm: 'transformer.ln_f.weight', finalNormBias: 'transformer.ln_f.bias',
  lmHead: 'lm_head.weight',
  layout: 'in_out',
  block: (l) => {
    const p = `transformer.h.${l}`;
    return {
      ln1: `${p}.ln_1.weight`, ln1Bias: `${p}.ln_1.bias`,
      qkv: `${p}.attn.c_attn.weight`, qkvBias: `${p}.attn.c_attn.bias`,
      o: `${p}.attn.c_proj.weight`, oBias: `${p}.attn.c_proj.bias`,
      ln2: `${p}.ln_2.weight`, ln2Bias: `${p}.ln_2.bias`,
      fc: `${p}.mlp.c_fc.weight`, fcBias: `${p}.mlp.c_fc.bias`,
      down: `${p}.mlp.c_proj.weight`, downBias: `${p}.mlp.c_proj.bias`,
    };
  },
};
