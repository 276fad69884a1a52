/**
 * Model: a Hugging Face checkpoint in glassbox's engine. Parameters keep their HF names and layouts (so
 * gradients, LoRA adapters and saved folders line up with the Python world); forward() runs the shared
 * decoder with hooks; loadModel() reads a model folder tensor by tensor, checking every name and shape.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, empty, noGrad, Rng, randn, zeros, ones } from '../engine/index.js';
import { loadModelConfig, loadGenerationConfig, parseModelConfig, type ModelConfig, type GenerationConfig, SUPPORTED_MODEL_TYPES } from './hf-config.js';
import { openCheckpoint } from './safetensors.js';
import { loadTokenizer, type Tokenizer } from './tokenizer.js';
import { decoderForward, hookNamesFor, type ForwardOptions, type LoraAdapter, type WeightDelta } from './decoder.js';
import { expectedShapes, type FamilyDef } from './family.js';
import { capture, type Hook } from './hooks.js';
import { gpt2 } from './gpt2.js';
import { llama } from './llama.js';
import { mistral } from './mistral.js';
import { qwen2 } from './qwen2.js';
import { qwen3 } from './qwen3.js';
import { gemma } from './gemma.js';
import { gemma2 } from './gemma2.js';
import { gemma3 } from './gemma3.js';
import { phi3 } from './phi3.js';

export const FAMILIES: FamilyDef[] = [gpt2, llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3, phi3];

export function familyFor(cfg: ModelConfig): FamilyDef {
  const f = FAMILIES.find((x) => x.modelTypes.includes(cfg.modelType));
  if (!f) throw new Error(`unsupported model_type '${cfg.modelType}'; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  return f;
}

export class Model {
  readonly family: FamilyDef;
  readonly adapters = new Map<string, LoraAdapter>();
  /** An attached LoRA adapter (see attachLora in lora.ts), applied inside every targeted projection. */
  lora: WeightDelta | null = null;
  private names: string[] | null = null;
  tokenizer: Tokenizer | null = null;
  generationConfig: GenerationConfig | null = null;
  /** The folder it was loaded from, if any. */
  dir: string | null = null;

  constructor(readonly config: ModelConfig, readonly params: Map<string, Tensor>) {
    this.family = familyFor(config);
  }

  /** Every hook point, in execution order (TransformerLens names). */
  hookNames(): string[] {
    if (!this.names) this.names = hookNamesFor(this.config, this.family);
    return this.names.slice();
  }

  /** Block index for a relative depth r in [0, 1]: floor(r * (L - 1)). */
  layerAt(r: number): number {
    if (!(r >= 0 && r <= 1)) throw new Error(`relative depth ${r} must be in [0, 1]`);
    return Math.floor(r * (this.config.nLayers - 1));
  }

  /** Logits [B, T, V] for i32 ids [B, T] (or nested arrays of token ids). */
  forward(ids: Tensor | number[][] | null, opts: ForwardOptions = {}): Tensor {
    const t = Array.isArray(ids) ? idsTensor(ids) : ids;
    try {
      return decoderForward(this, t, this.hookNames(), opts);
    } finally {
      if (Array.isArray(ids) && t) t.dispose();
    }
  }

  /** Forward pass that also returns detached copies of the named activations (all when names is omitted). */
  runWithCache(ids: Tensor | number[][], opts: ForwardOptions & { names?: (string | RegExp)[] } = {}): { logits: Tensor; cache: Map<string, Tensor> } {
    const cache = new Map<string, Tensor>();
    const wanted = opts.names ?? [/.*/];
    const hooks: Hook[] = [...(opts.hooks ?? []), ...wanted.map((n) => capture(n, cache))];
    const logits = noGrad(() => this.forward(ids, { ...opts, hooks }));
    return { logits, cache };
  }

  parameters(): Map<string, Tensor> { return this.params; }

  /** Total parameter count (tied weights counted once). */
  numParams(): number {
    let n = 0;
    for (const t of this.params.values()) n += t.size;
    return n;
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    for (const a of this.adapters.values()) { a.A.dispose(); a.B.dispose(); }
    this.params.clear();
    this.adapters.clear();
  }
}

export function idsTensor(ids: number[][]): Tensor {
  const B = ids.length, T = ids[0]?.length ?? 0;
  if (ids.some((r) => r.length !== T)) throw new Error('token ids: every row must have the same length (pad and pass an attentionMask)');
  const t = empty([B, T], 'i32');
  for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) {
    const v = ids[b][i];
    if (!Number.isInteger(v)) throw new Error(`token ids: row ${b} position ${i} is not an integer (${v})`);
    t.data[b * T + i] = v;
  }
  return t;
}

export interface LoadOptions {
  /** Load the tokenizer too when tokenizer.json exists (default true). */
  tokenizer?: boolean;
}

/** Loads a Hugging Face model folder (config.json + safetensors) into the engine. */
export function loadModel(dir: string, opts: LoadOptions = {}): Model {
  if (!fs.existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  const cfg = loadModelConfig(dir);
  const fam = familyFor(cfg);
  const shapes = expectedShapes(fam, cfg);
  const ckpt = openCheckpoint(dir);
  const params = new Map<string, Tensor>();
  try {
    for (const [name, shape] of shapes) {
      if (!ckpt.has(name)) {
        if (name === fam.lmHead) throw new Error(`${dir}: checkpoint has no '${name}' but config says tie_word_embeddings=false`);
        throw new Error(`${dir}: checkpoint is missing tensor '${name}' (expected shape [${shape}] for ${cfg.modelType})`);
      }
      const info = ckpt.info(name);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`${path.basename(info.file)}: tensor '${name}' has shape [${info.shape}] but config.json implies [${shape}] — the config disagrees with the weights`);
      }
      const t = empty(shape);
      ckpt.readInto(name, t.data as Float32Array, 0);
      t.name = name;
      params.set(name, t.keep());
    }
  } catch (e) {
    for (const t of params.values()) t.dispose();
    throw e;
  } finally {
    ckpt.close();
  }
  const m = new Model(cfg, params);
  m.dir = dir;
  m.generationConfig = loadGenerationConfig(dir);
  if (opts.tokenizer !== false && fs.existsSync(path.join(dir, 'tokenizer.json'))) {
    const tok = loadTokenizer(dir);
    if (tok.vocabSize > cfg.vocabSize) {
      m.dispose();
      throw new Error(`${dir}: tokenizer.json has ${tok.vocabSize} tokens but the model's vocab_size is ${cfg.vocabSize} — the tokenizer does not belong to this model`);
    }
    m.tokenizer = tok;
  }
  return m;
}

/** A freshly initialised model from a config object (HF config.json fields), e.g. for the organisms. */
export function createModel(configJson: Record<string, unknown>, opts: { seed?: number; std?: number } = {}): Model {
  const cfg = parseModelConfig(configJson);
  const fam = familyFor(cfg);
  const rng = new Rng(opts.seed ?? 0);
  const std = opts.std ?? 0.02;
  const params = new Map<string, Tensor>();
  for (const [name, shape] of expectedShapes(fam, cfg)) {
    const isNorm = shape.length === 1 && /norm|ln_/.test(name);
    const isBias = /bias$/.test(name);
    let t: Tensor;
    if (isNorm && !isBias) t = cfg.normOffset === 1 ? zeros(shape) : ones(shape);
    else if (isBias) t = zeros(shape);
    else t = randn(shape, rng, std);
    t.name = name;
    params.set(name, t.keep());
  }
  return new Model(cfg, params);
}

