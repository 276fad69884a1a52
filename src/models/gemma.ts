/**
 * Gemma (1): embeddings scaled by sqrt(hidden), RMSNorm with (1 + w) weights, GeGLU MLP (tanh GELU),
 * head_dim independent of hidden size, multi-query attention in the small sizes, tied LM head.
 */
import type { FamilyDef } from './family.js';
import { llamaBlock, llamaNames } from './llama.js';

export const gemma: FamilyDef = { modelTypes: ['gemma'], ...llamaNames, block: llamaBlock };
