/**
 * Mistral: the Llama layout with a sliding attention window (`sliding_window`) on every layer.
 * The window is a config flag the decoder reads; the weights are named as in Llama.
 */
import type { FamilyDef } from './family.js';
import { llamaBlock, llamaNames } from './llama.js';

export const mistral: FamilyDef = { modelTypes: ['mistral'], ...llamaNames, block: llamaBlock };
