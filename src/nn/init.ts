/**
 * Parameter initialisation: seeded normal / uniform / Kaiming-uniform (PyTorch's nn.Linear default)
 * and constant tensors, returned as long-lived leaves that require grad (`param`), owned by the caller.
 */
import { Rng, empty, full, type Shape, type Tensor } from '../engine/index.js';

/** Marks t as a trainable parameter: kept out of any scope, requires grad, labelled `name`. */
export function param<T extends Tensor>(t: T, name?: string): T {
  t.keep().requireGrad();
  if (name !== undefined) t.name = name;
  return t;
}

/** N(mean, std²) samples (GPT-2 / Llama initialise weights with std 0.02). */
export function initNormal(shape: Shape, rng: Rng, std = 0.02, mean = 0): Tensor {
  const t = empty(shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

/** U[lo, hi) samples. */
export function initUniform(shape: Shape, rng: Rng, lo: number, hi: number): Tensor {
  const t = empty(shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.next();
  return t;
}

/**
 * Kaiming-uniform for a weight [out, in] (fan_in = in, the product of all dims but the first):
 * bound = gain · sqrt(3 / fan_in), gain = sqrt(2 / (1 + a²)). With a = √5 (PyTorch's nn.Linear and
 * PEFT's LoRA A default) the bound is 1/sqrt(fan_in).
 */
export function initKaimingUniform(shape: Shape, rng: Rng, a = Math.sqrt(5)): Tensor {
  if (shape.length < 2) throw new Error(`initKaimingUniform: shape [${shape}] needs at least 2 dims (out, in)`);
  let fanIn = 1;
  for (let i = 1; i < shape.length; i++) fanIn *= shape[i];
  if (fanIn === 0) throw new Error(`initKaimingUniform: fan_in is 0 for shape [${shape}]`);
  const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fanIn);
  return initUniform(shape, rng, -bound, bound);
}

export function initZeros(shape: Shape): Tensor { return full(shape, 0); }
export function initOnes(shape: Shape): Tensor { return full(shape, 1); }
