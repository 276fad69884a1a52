/**
 * Gemma 3 (text): the Gemma 2 sandwich norms plus q/k norms with (1 + w) weights, explicit `layer_types`
 * (sliding or full per layer) and two RoPE tables: local (rope_local_base_freq, unscaled) for sliding
 * layers, global (rope_theta with its scaling) for full layers. No soft-capping by default.
 */
import type { FamilyDef } from './family.js';
import { llamaNames } from './llama.js';
import { gemmaSandwichBlock } from './gemma2.js';

export const gemma3: FamilyDef = { modelTypes: ['gemma3_text'], ...llamaNames, block: gemmaSandwichBlock };
