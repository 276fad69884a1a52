/**
 * LoRA on a loaded model: attach an adapter (nn's LoraAdapter, PEFT initialisation and names) to the
 * targeted projections, train only its A/B, save it in PEFT layout, load one, or merge it into the
 * weights (W + B·A·α/r). The base weights are frozen while an adapter is attached.
 */
import { Rng } from '../engine/index.js';
import { LoraAdapter, mergeLora, type LoraConfig } from '../nn/index.js';
import type { Model } from './model.js';
import { writeSafetensors } from './safetensors.js';

export function attachLora(model: Model, config: LoraConfig, seed = 0): LoraAdapter {
  if (model.family.layout !== 'out_in') throw new Error(`LoRA on ${model.config.modelType}'s Conv1D [in, out] weights is not supported (fan_in_fan_out)`);
  if (model.lora) throw new Error('attachLora: the model already has an adapter; merge or detach it first');
  const adapter = new LoraAdapter(model.params, { baseModelNameOrPath: model.dir ?? undefined, ...config }, new Rng(seed));
  if (adapter.targets.size === 0) throw new Error(`attachLora: target_modules ${JSON.stringify(config.targetModules)} matched no weight`);
  for (const p of model.params.values()) p.requireGrad(false);
  model.lora = adapter;
  return adapter;
}

/** Removes the adapter without merging (the base weights are unchanged). */
export function detachLora(model: Model): void {
  model.lora = null;
}

/** Folds the adapter into the weights (W + B·A·α/r) and removes it. */
export function mergeLoraIntoModel(model: Model, adapter: LoraAdapter): void {
  for (const [name, t] of adapter.targets) {
    const W = model.params.get(name)!;
    const merged = mergeLora(W, t.A, t.B, adapter.config.alpha, adapter.config.r).keep();
    merged.name = name;
    W.dispose();
    model.params.set(name, merged);
  }
  model.lora = null;
}

/** adapter_config.json + adapter_model.safetensors with PEFT's parameter names. */
export function saveLoraAdapter(adapter: LoraAdapter, dir: string): void {
  adapter.save(dir, writeSafetensors);
}

/** Attaches an adapter saved in PEFT layout. */
export function loadLoraAdapter(model: Model, dir: string, config: LoraConfig): LoraAdapter {
  const a = attachLora(model, config);
  a.load(dir);
  return a;
}
