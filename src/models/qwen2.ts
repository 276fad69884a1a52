/**
 * Qwen 2 / 2.5: the Llama layout with biases on the q, k and v projections (not on o), large RoPE theta,
 * often tied embeddings for the small sizes.
 */
import type { FamilyDef } from './family.js';
import { llamaBlock, llamaNames } from './llama.js';

export const qwen2: FamilyDef = { modelTypes: ['qwen2'], ...llamaNames, block: llamaBlock };
