/**
 * Qwen 3: the Llama layout plus per-head RMSNorm on q and k (q_norm, k_norm) applied before RoPE, and an
 * explicit head_dim that need not equal hidden_size / num_heads.
 */
import type { FamilyDef } from './family.js';
import { llamaBlock, llamaNames } from './llama.js';

export const qwen3: FamilyDef = { modelTypes: ['qwen3'], ...llamaNames, block: llamaBlock };
