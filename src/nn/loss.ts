/**
 * Token losses for causal LMs: cross-entropy over the positions that train, with every other target
 * (padding, prompt) set to the ignore index -100, so pad tokens never contribute.
 */
import { crossEntropy, empty, type Tensor } from '../engine/index.js';

export const IGNORE_INDEX = -100;

/**
 * Mean cross-entropy of logits [..., V] against i32 targets [...] over positions whose target is not
 * -100 and, when `mask` is given (i32 or f32, same shape as targets), whose mask is nonzero.
 * Returns 0 (with gradient 0) when no position trains.
 */
export function maskedTokenLoss(logits: Tensor, targets: Tensor, mask: Tensor | null = null): Tensor {
  if (targets.dtype !== 'i32') throw new Error(`maskedTokenLoss: targets must be i32, got ${targets.dtype} [${targets.shape}]`);
  if (!mask) return crossEntropy(logits, targets, { ignoreIndex: IGNORE_INDEX });
  if (mask.size !== targets.size || mask.shape.some((s, i) => s !== targets.shape[i])) throw new Error(`maskedTokenLoss: mask [${mask.shape}] does not match targets [${targets.shape}]`);
  const t = targets.toFlat(), m = mask.toFlat();
  const masked = empty(targets.shape, 'i32');
  const d = masked.data;
  for (let i = 0; i < t.length; i++) d[i] = m[i] !== 0 ? t[i] : IGNORE_INDEX;
  const loss = crossEntropy(logits, masked, { ignoreIndex: IGNORE_INDEX });
  masked.dispose();
  return loss;
}
