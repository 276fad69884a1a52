/**
 * LoRA adapters (PEFT layout): for each targeted linear weight W [out, in], A [r, in] (Kaiming-uniform,
 * a = √5, as PEFT) and B [out, r] (zeros), scale α/r, dropout on the adapter's input. The model adds
 * `delta(name, x)` = dropout(x) Aᵀ Bᵀ · α/r to its linear output; `mergeLora` folds W + B·A·α/r.
 * Saved as PEFT does: adapter_model.safetensors with `base_model.model.<module>.lora_{A,B}.weight` and
 * adapter_config.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, empty, linear, matmul, mul, add, scale as scaleOp, noGrad, type Tensor } from '../engine/index.js';
import { initKaimingUniform, initZeros, param } from './init.js';
import type { NamedParams } from './params.js';
import { defaultTensorWriter, readF32Tensors, type TensorFileWriter } from './tensor-file.js';

export interface LoraConfig {
  r: number;
  alpha: number;
  dropout?: number;
  /** PEFT semantics: a list of module names matched exactly or as the last dotted components
   * (`q_proj` matches `model.layers.0.self_attn.q_proj`), or one regex string matched against the whole module path. */
  targetModules: string[] | string;
  /** Recorded in adapter_config.json. */
  baseModelNameOrPath?: string;
}

export interface LoraTarget {
  /** Base weight name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  weightName: string;
  /** Module path, e.g. `model.layers.0.self_attn.q_proj`. */
  module: string;
  inFeatures: number;
  outFeatures: number;
  A: Tensor;
  B: Tensor;
}

/** adapter_config.json as PEFT writes it (the fields PEFT needs to load a LoRA adapter). */
export interface AdapterConfigJson {
  peft_type: 'LORA';
  task_type: 'CAUSAL_LM';
  base_model_name_or_path: string | null;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[] | string;
  bias: 'none';
  fan_in_fan_out: false;
  inference_mode: boolean;
  modules_to_save: null;
  init_lora_weights: true;
}

/** Module path of a weight name (`….q_proj.weight` → `….q_proj`). */
export function moduleOf(weightName: string): string {
  return weightName.endsWith('.weight') ? weightName.slice(0, -'.weight'.length) : weightName;
}

/** PEFT's target-module test. */
export function isLoraTarget(module: string, targets: string[] | string): boolean {
  if (typeof targets === 'string') return new RegExp(`^(?:${targets})$`).test(module);
  return targets.some((t) => module === t || module.endsWith('.' + t));
}

/** PEFT tensor names for a module. */
export function peftNames(module: string): { A: string; B: string } {
  return { A: `base_model.model.${module}.lora_A.weight`, B: `base_model.model.${module}.lora_B.weight` };
}

/** W + B·A·α/r, a new tensor (no gradient). W [out, in], A [r, in], B [out, r]. */
export function mergeLora(W: Tensor, A: Tensor, B: Tensor, alpha: number, r: number): Tensor {
  if (W.ndim !== 2 || A.ndim !== 2 || B.ndim !== 2 || A.shape[0] !== r || B.shape[1] !== r || A.shape[1] !== W.shape[1] || B.shape[0] !== W.shape[0]) {
    throw new Error(`mergeLora: shapes W [${W.shape}], A [${A.shape}], B [${B.shape}] with r=${r} do not fit (need A [r, in], B [out, r])`);
  }
  return noGrad(() => {
    const ba = matmul(B, A);
    const s = scaleOp(ba, alpha / r);
    const out = add(W, s);
    ba.dispose(); s.dispose();
    return out;
  });
}

export class LoraAdapter {
  readonly config: Required<Omit<LoraConfig, 'baseModelNameOrPath'>> & { baseModelNameOrPath: string | null };
  /** α / r. */
  readonly scale: number;
  /** By base weight name. */
  readonly targets = new Map<string, LoraTarget>();
  /** Dropout is applied only while training. */
  training = true;

  /**
   * Creates A and B for every 2-D weight of `base` whose module matches `targetModules`. `rng` draws the
   * A initialisation and, later, dropout masks (checkpoint it: `rngs: { lora: adapter.rng }`).
   */
  constructor(base: NamedParams, config: LoraConfig, readonly rng: Rng) {
    const { r, alpha } = config;
    const dropout = config.dropout ?? 0;
    if (!Number.isInteger(r) || r < 1) throw new Error(`LoRA: r must be a positive integer, got ${r}`);
    if (!(alpha > 0)) throw new Error(`LoRA: alpha must be > 0, got ${alpha}`);
    if (!(dropout >= 0 && dropout < 1)) throw new Error(`LoRA: dropout must be in [0, 1), got ${dropout}`);
    this.config = { r, alpha, dropout, targetModules: config.targetModules, baseModelNameOrPath: config.baseModelNameOrPath ?? null };
    this.scale = alpha / r;
    for (const [name, W] of base) {
      if (!name.endsWith('.weight') || W.ndim !== 2) continue;
      const module = moduleOf(name);
      if (!isLoraTarget(module, config.targetModules)) continue;
      const [out, inF] = W.shape;
      const A = param(initKaimingUniform([r, inF], rng), `${module}.lora_A.weight`);
      const B = param(initZeros([out, r]), `${module}.lora_B.weight`);
      this.targets.set(name, { weightName: name, module, inFeatures: inF, outFeatures: out, A, B });
    }
    if (this.targets.size === 0) {
      const sample = [...base.keys()].slice(0, 5).join(', ');
      throw new Error(`LoRA: target_modules ${JSON.stringify(config.targetModules)} match no 2-D weight (names look like: ${sample})`);
    }
  }

  /** The trainable adapter tensors, named `<module>.lora_A.weight` / `.lora_B.weight`. */
  parameters(): NamedParams {
    const out: NamedParams = new Map();
    for (const t of this.targets.values()) { out.set(`${t.module}.lora_A.weight`, t.A); out.set(`${t.module}.lora_B.weight`, t.B); }
    return out;
  }

  has(weightName: string): boolean { return this.targets.has(weightName); }

  /** dropout(x) Aᵀ Bᵀ · α/r for x [..., in] → [..., out]. Throws if the weight has no adapter. */
  delta(weightName: string, x: Tensor): Tensor {
    const t = this.targets.get(weightName);
    if (!t) throw new Error(`LoRA: no adapter for '${weightName}' (adapted: ${[...this.targets.keys()].slice(0, 4).join(', ')}…)`);
    const p = this.config.dropout;
    let xin = x, mask: Tensor | null = null;
    if (this.training && p > 0) {
      mask = empty(x.shape);
      const d = mask.data, keep = 1 / (1 - p);
      for (let i = 0; i < d.length; i++) d[i] = this.rng.next() < p ? 0 : keep;
      xin = mul(x, mask);
    }
    const h = linear(xin, t.A);
    const y = linear(h, t.B);
    const out = scaleOp(y, this.scale);
    h.dispose(); y.dispose();
    if (mask) { mask.dispose(); xin.dispose(); }
    return out;
  }

  /** Same as `delta` (the name the training brief uses). */
  loraDelta(weightName: string, x: Tensor): Tensor { return this.delta(weightName, x); }

  /** Base linear plus the adapter: x Wᵀ + b + delta (plain linear for weights without an adapter). */
  linear(weightName: string, x: Tensor, W: Tensor, bias: Tensor | null = null): Tensor {
    const base = linear(x, W, bias);
    if (!this.targets.has(weightName)) return base;
    const d = this.delta(weightName, x);
    const out = add(base, d);
    base.dispose(); d.dispose();
    return out;
  }

  /** Merged copies of the adapted weights (W + B·A·α/r), by base weight name. Caller disposes. */
  merged(base: NamedParams): NamedParams {
    const out: NamedParams = new Map();
    for (const [name, t] of this.targets) {
      const W = base.get(name);
      if (!W) throw new Error(`LoRA.merged: base has no weight '${name}'`);
      out.set(name, mergeLora(W, t.A, t.B, this.config.alpha, this.config.r));
    }
    return out;
  }

  adapterConfig(): AdapterConfigJson {
    const tm = this.config.targetModules;
    return {
      peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: this.config.baseModelNameOrPath,
      r: this.config.r, lora_alpha: this.config.alpha, lora_dropout: this.config.dropout,
      target_modules: Array.isArray(tm) ? [...tm] : tm, bias: 'none', fan_in_fan_out: false,
      inference_mode: true, modules_to_save: null, init_lora_weights: true,
    };
  }

  /** The adapter tensors under PEFT names. */
  peftTensors(): Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> {
    const out: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const t of this.targets.values()) {
      const n = peftNames(t.module);
      out[n.A] = { dtype: 'F32', shape: t.A.shape.slice(), data: t.A.toFlat() as Float32Array };
      out[n.B] = { dtype: 'F32', shape: t.B.shape.slice(), data: t.B.toFlat() as Float32Array };
    }
    return out;
  }

  /** Writes adapter_model.safetensors and adapter_config.json into dir (each via temp file + rename).
   * `writer` defaults to nn's own F32 safetensors writer; pass models' `writeSafetensors` where available. */
  save(dir: string, writer: TensorFileWriter = defaultTensorWriter): void {
    fs.mkdirSync(dir, { recursive: true });
    const wfile = path.join(dir, 'adapter_model.safetensors');
    const tmp = `${wfile}.tmp-${process.pid}`;
    writer(tmp, this.peftTensors(), { format: 'pt' });
    fs.renameSync(tmp, wfile);
    const cfile = path.join(dir, 'adapter_config.json');
    fs.writeFileSync(`${cfile}.tmp-${process.pid}`, JSON.stringify(this.adapterConfig(), null, 2) + '\n');
    fs.renameSync(`${cfile}.tmp-${process.pid}`, cfile);
  }

  /** Loads A and B from a PEFT adapter folder into this adapter (same targets and r). */
  load(dir: string): void {
    const file = path.join(dir, 'adapter_model.safetensors');
    const { tensors } = readF32Tensors(file);
    for (const t of this.targets.values()) {
      const n = peftNames(t.module);
      for (const [key, dst] of [[n.A, t.A], [n.B, t.B]] as const) {
        const src = tensors.get(key);
        if (!src) throw new Error(`LoRA.load ${file}: missing tensor '${key}'`);
        if (src.data.length !== dst.size || src.shape.some((s, i) => s !== dst.shape[i])) throw new Error(`LoRA.load ${file}: '${key}' has shape [${src.shape}], expected [${dst.shape}]`);
        (dst.data as Float32Array).set(src.data, dst.offset);
      }
    }
  }

  dispose(): void {
    for (const t of this.targets.values()) { t.A.dispose(); t.B.dispose(); }
    this.targets.clear();
  }
}
