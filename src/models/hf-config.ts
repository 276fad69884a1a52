// Hugging Face config.json -> one normalized, typed ModelConfig for every supported family, plus the
// RoPE inverse frequencies (default, linear, llama3) and generation_config.json.
// Defaults are the transformers config-class defaults, because save_pretrained omits fields equal to them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

export const SUPPORTED_MODEL_TYPES = [
  'gpt2', 'llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3_text', 'phi3',
] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];
export type Family = 'gpt2' | 'llama' | 'mistral' | 'qwen2' | 'qwen3' | 'gemma' | 'gemma2' | 'gemma3' | 'phi3';

export type Activation = 'silu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu_fast' | 'quick_gelu' | 'relu';
export type LayerType = 'full' | 'sliding';
export type WeightsDtype = 'float32' | 'bfloat16' | 'float16' | 'float64';

export type RopeScaling =
  | { type: 'none' }
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

export interface ModelConfig {
  modelType: ModelType;
  family: Family;
  architectures: string[];
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  dHead: number;
  dMlp: number;
  /** 'mlp': fc -> act -> proj (GPT-2); 'gated': down(act(gate(x)) * up(x)). */
  mlpType: 'mlp' | 'gated';
  /** Phi-3 stores gate and up in one gate_up_proj, and q/k/v in one qkv_proj. */
  fusedGateUp: boolean;
  fusedQkv: boolean;
  normType: 'layernorm' | 'rmsnorm';
  normEps: number;
  /** 1 for Gemma's (1 + w) RMSNorm weights, else 0. */
  normOffset: 0 | 1;
  act: Activation;
  positional: 'learned' | 'rope';
  ropeTheta: number;
  ropeScaling: RopeScaling;
  /** Gemma 3: base of the unscaled RoPE table used by sliding layers; null elsewhere. */
  localRopeTheta: number | null;
  /** Fraction of each head's dims that get RoPE (Phi-3 `partial_rotary_factor`). */
  partialRotaryFactor: number;
  /** Number of rotated dims per head: floor(dHead * partialRotaryFactor). */
  rotaryDim: number;
  /** The raw `attention_bias` flag: q, k, v and o projections all carry biases. */
  attentionBias: boolean;
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** Per-head RMSNorm on q and k before RoPE (Qwen3, Gemma 3). */
  qkNorm: boolean;
  /** Gemma 2/3: post-attention and pre/post feed-forward norms around each sublayer. */
  postNorms: boolean;
  tieWordEmbeddings: boolean;
  slidingWindow: number | null;
  layerTypes: LayerType[];
  attnSoftcap: number | null;
  finalSoftcap: number | null;
  queryPreAttnScalar: number | null;
  /** Multiplier on attention scores: queryPreAttnScalar^-0.5, else dHead^-0.5 (1 when GPT-2 scale_attn_weights=false). */
  attnScale: number;
  /** Multiplier on token embeddings: sqrt(dModel) for the Gemma family, else 1. */
  embedScale: number;
  maxPositions: number;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  /** `dtype` (or legacy `torch_dtype`) of the stored weights; null when absent. */
  dtype: WeightsDtype | null;
  /** GPT-2 flags kept for the architecture code. */
  scaleAttnByInverseLayerIdx: boolean;
  /** The config.json object as read. */
  raw: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// raw schema

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const posNum = z.number().positive();
const optPosInt = posInt.nullish();
const tokenId = z.union([nonNegInt, z.array(nonNegInt)]).nullish();

const ropeScalingSchema = z.looseObject({
  rope_type: z.string().optional(),
  type: z.string().optional(),
  factor: posNum.optional(),
  low_freq_factor: posNum.optional(),
  high_freq_factor: posNum.optional(),
  original_max_position_embeddings: posInt.optional(),
  rope_theta: posNum.optional(),
}).nullish();

const rawSchema = z.looseObject({
  model_type: z.string(),
  architectures: z.array(z.string()).nullish(),
  vocab_size: posInt.optional(),
  // GPT-2 names
  n_embd: posInt.optional(),
  n_layer: posInt.optional(),
  n_head: posInt.optional(),
  n_inner: optPosInt,
  n_positions: posInt.optional(),
  activation_function: z.string().optional(),
  layer_norm_epsilon: posNum.optional(),
  scale_attn_weights: z.boolean().optional(),
  scale_attn_by_inverse_layer_idx: z.boolean().optional(),
  // everyone else
  hidden_size: posInt.optional(),
  intermediate_size: posInt.optional(),
  num_hidden_layers: posInt.optional(),
  num_attention_heads: posInt.optional(),
  num_key_value_heads: optPosInt,
  head_dim: optPosInt,
  hidden_act: z.string().nullish(),
  hidden_activation: z.string().nullish(),
  max_position_embeddings: posInt.optional(),
  rms_norm_eps: posNum.optional(),
  rope_theta: posNum.optional(),
  rope_scaling: ropeScalingSchema,
  rope_parameters: z.record(z.string(), z.unknown()).nullish(),
  rope_local_base_freq: posNum.optional(),
  partial_rotary_factor: z.number().gt(0).lte(1).optional(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  tie_word_embeddings: z.boolean().optional(),
  sliding_window: optPosInt,
  use_sliding_window: z.boolean().optional(),
  max_window_layers: nonNegInt.optional(),
  layer_types: z.array(z.string()).nullish(),
  sliding_window_pattern: posInt.optional(),
  _sliding_window_pattern: posInt.optional(),
  attn_logit_softcapping: posNum.nullish(),
  final_logit_softcapping: posNum.nullish(),
  query_pre_attn_scalar: posNum.nullish(),
  bos_token_id: tokenId,
  eos_token_id: tokenId,
  pad_token_id: tokenId,
  dtype: z.string().nullish(),
  torch_dtype: z.string().nullish(),
});
type RawConfig = z.infer<typeof rawSchema>;

/** transformers config-class defaults per model_type (only what we read). */
const DEFAULTS: Record<ModelType, Partial<RawConfig>> = {
  gpt2: {
    vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256, tie_word_embeddings: true,
    scale_attn_weights: true, scale_attn_by_inverse_layer_idx: false,
  },
  llama: {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32,
    hidden_act: 'silu', max_position_embeddings: 2048, rms_norm_eps: 1e-6, bos_token_id: 1, eos_token_id: 2,
    tie_word_embeddings: false, rope_theta: 10000, attention_bias: false, mlp_bias: false,
  },
  mistral: {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32,
    num_key_value_heads: 8, hidden_act: 'silu', max_position_embeddings: 4096 * 32, rms_norm_eps: 1e-6,
    bos_token_id: 1, eos_token_id: 2, tie_word_embeddings: false, rope_theta: 10000, sliding_window: 4096,
  },
  qwen2: {
    vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32,
    num_key_value_heads: 32, hidden_act: 'silu', max_position_embeddings: 32768, rms_norm_eps: 1e-6,
    tie_word_embeddings: false, rope_theta: 10000, use_sliding_window: false, sliding_window: 4096, max_window_layers: 28,
  },
  qwen3: {
    vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32,
    num_key_value_heads: 32, head_dim: 128, hidden_act: 'silu', max_position_embeddings: 32768, rms_norm_eps: 1e-6,
    tie_word_embeddings: false, rope_theta: 10000, attention_bias: false, use_sliding_window: false,
    sliding_window: 4096, max_window_layers: 28,
  },
  gemma: {
    vocab_size: 256000, hidden_size: 3072, intermediate_size: 24576, num_hidden_layers: 28, num_attention_heads: 16,
    num_key_value_heads: 16, head_dim: 256, hidden_act: 'gelu_pytorch_tanh', max_position_embeddings: 8192,
    rms_norm_eps: 1e-6, pad_token_id: 0, eos_token_id: 1, bos_token_id: 2, tie_word_embeddings: true,
    rope_theta: 10000, attention_bias: false,
  },
  gemma2: {
    vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8,
    num_key_value_heads: 4, head_dim: 256, hidden_activation: 'gelu_pytorch_tanh', max_position_embeddings: 8192,
    rms_norm_eps: 1e-6, pad_token_id: 0, eos_token_id: 1, bos_token_id: 2, tie_word_embeddings: true,
    rope_theta: 10000, attention_bias: false, query_pre_attn_scalar: 256, sliding_window: 4096,
    final_logit_softcapping: 30.0, attn_logit_softcapping: 50.0,
  },
  gemma3_text: {
    vocab_size: 262208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8,
    num_key_value_heads: 4, head_dim: 256, hidden_activation: 'gelu_pytorch_tanh', max_position_embeddings: 131072,
    rms_norm_eps: 1e-6, pad_token_id: 0, eos_token_id: 1, bos_token_id: 2, tie_word_embeddings: true,
    rope_theta: 1_000_000, attention_bias: false, query_pre_attn_scalar: 256, sliding_window: 4096,
    final_logit_softcapping: null, attn_logit_softcapping: null, rope_local_base_freq: 10000, sliding_window_pattern: 6,
  },
  phi3: {
    vocab_size: 32064, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 32, num_attention_heads: 32,
    hidden_act: 'silu', max_position_embeddings: 4096, rms_norm_eps: 1e-5, tie_word_embeddings: false,
    rope_theta: 10000, partial_rotary_factor: 1.0, bos_token_id: 1, eos_token_id: 32000, pad_token_id: 32000,
    sliding_window: null, attention_bias: false,
  },
};

const ACTIVATIONS: Record<string, Activation> = {
  silu: 'silu', swish: 'silu', gelu: 'gelu', gelu_new: 'gelu_new', gelu_pytorch_tanh: 'gelu_pytorch_tanh',
  gelu_fast: 'gelu_fast', quick_gelu: 'quick_gelu', relu: 'relu',
};
const DTYPES: Record<string, WeightsDtype> = {
  float32: 'float32', float: 'float32', bfloat16: 'bfloat16', float16: 'float16', half: 'float16', float64: 'float64',
};

export class ConfigError extends Error {
  constructor(message: string, readonly source: string, readonly field?: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function bad(source: string, field: string, msg: string): never {
  throw new ConfigError(`${source}: field "${field}": ${msg}`, source, field);
}

function parseRopeScaling(source: string, rs: RawConfig['rope_scaling']): RopeScaling {
  if (rs === null || rs === undefined) return { type: 'none' };
  const kind = rs.rope_type ?? rs.type;
  if (kind === undefined || kind === 'default') return { type: 'none' };
  if (kind === 'linear') {
    if (rs.factor === undefined) bad(source, 'rope_scaling.factor', 'required for rope_type "linear"');
    return { type: 'linear', factor: rs.factor };
  }
  if (kind === 'llama3') {
    const need = ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'] as const;
    for (const k of need) if (rs[k] === undefined) bad(source, `rope_scaling.${k}`, 'required for rope_type "llama3"');
    if (rs.high_freq_factor! <= rs.low_freq_factor!) {
      bad(source, 'rope_scaling.high_freq_factor', `must exceed low_freq_factor (${rs.high_freq_factor} <= ${rs.low_freq_factor})`);
    }
    return {
      type: 'llama3', factor: rs.factor!, lowFreqFactor: rs.low_freq_factor!, highFreqFactor: rs.high_freq_factor!,
      originalMaxPositionEmbeddings: rs.original_max_position_embeddings!,
    };
  }
  bad(source, 'rope_scaling.rope_type', `"${kind}" is not supported (supported: default, linear, llama3)`);
}

function firstId(v: number | number[] | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}
function idList(v: number | number[] | null | undefined): number[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? [...v] : [v];
}

/** transformers 5 moved rope_theta/rope_scaling into rope_parameters (per layer type for Gemma 3). */
function applyRopeParameters(r: RawConfig, modelType: ModelType): RawConfig {
  const rp = r.rope_parameters;
  if (!rp || r.rope_theta !== undefined) return r;
  const out: RawConfig = { ...r };
  const global = (modelType === 'gemma3_text' && typeof rp['full_attention'] === 'object' ? rp['full_attention'] : rp) as Record<string, unknown>;
  const local = modelType === 'gemma3_text' && typeof rp['sliding_attention'] === 'object' ? rp['sliding_attention'] as Record<string, unknown> : null;
  if (typeof global['rope_theta'] === 'number') out.rope_theta = global['rope_theta'];
  out.rope_scaling = global as RawConfig['rope_scaling'];
  if (local && typeof local['rope_theta'] === 'number') out.rope_local_base_freq = local['rope_theta'];
  return out;
}

/**
 * Normalizes a parsed config.json object. `source` names the file in error messages.
 * Throws ConfigError naming the field for anything missing, malformed or unsupported.
 */
export function parseModelConfig(json: unknown, source = 'config.json'): ModelConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError(`${source}: not a JSON object`, source);
  const mt = (json as Record<string, unknown>)['model_type'];
  if (typeof mt !== 'string') bad(source, 'model_type', `missing or not a string; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(mt)) {
    bad(source, 'model_type', `unsupported model_type "${mt}"; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  const modelType = mt as ModelType;
  const parsed = rawSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    bad(source, issue.path.join('.') || '(root)', issue.message);
  }
  // explicit nulls for fields whose default is non-null are treated as "use the default" only where HF does so
  const given = applyRopeParameters(parsed.data, modelType);
  const r: RawConfig = { ...DEFAULTS[modelType] } as RawConfig;
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  const req = <T>(v: T | null | undefined, field: string): T => {
    if (v === null || v === undefined) bad(source, field, 'required');
    return v;
  };

  const isGpt2 = modelType === 'gpt2';
  const dModel = req(isGpt2 ? r.n_embd : r.hidden_size, isGpt2 ? 'n_embd' : 'hidden_size');
  const nLayers = req(isGpt2 ? r.n_layer : r.num_hidden_layers, isGpt2 ? 'n_layer' : 'num_hidden_layers');
  const nHeads = req(isGpt2 ? r.n_head : r.num_attention_heads, isGpt2 ? 'n_head' : 'num_attention_heads');
  const nKvHeads = isGpt2 ? nHeads : (r.num_key_value_heads ?? nHeads);
  if (nHeads % nKvHeads !== 0) bad(source, 'num_key_value_heads', `${nKvHeads} does not divide num_attention_heads ${nHeads}`);
  const headDimGiven = isGpt2 ? null : r.head_dim;
  if (headDimGiven == null && dModel % nHeads !== 0) {
    bad(source, isGpt2 ? 'n_head' : 'num_attention_heads', `${nHeads} does not divide hidden size ${dModel} and no head_dim is given`);
  }
  const dHead = headDimGiven ?? dModel / nHeads;
  const dMlp = isGpt2 ? (r.n_inner ?? 4 * dModel) : req(r.intermediate_size, 'intermediate_size');
  const vocabSize = req(r.vocab_size, 'vocab_size');

  // activation: GPT-2 activation_function; Gemma 1 (transformers 4.57) hidden_act; Gemma 2/3 hidden_activation
  let actField: string;
  let actName: string | null | undefined;
  if (isGpt2) { actField = 'activation_function'; actName = r.activation_function; }
  else if (modelType === 'gemma2' || modelType === 'gemma3_text') {
    actField = 'hidden_activation'; actName = given.hidden_activation ?? r.hidden_activation ?? 'gelu_pytorch_tanh';
  } else if (modelType === 'gemma') {
    actField = 'hidden_act'; actName = given.hidden_act ?? given.hidden_activation ?? 'gelu_pytorch_tanh';
  } else { actField = 'hidden_act'; actName = r.hidden_act; }
  const act = ACTIVATIONS[req(actName, actField)];
  if (!act) bad(source, actField, `activation "${actName}" is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);

  const gemmaLike = modelType === 'gemma' || modelType === 'gemma2' || modelType === 'gemma3_text';
  const ropeScaling = isGpt2 ? { type: 'none' as const } : parseRopeScaling(source, r.rope_scaling);
  const partialRotaryFactor = modelType === 'phi3' ? (r.partial_rotary_factor ?? 1) : 1;
  const rotaryDim = Math.floor(dHead * partialRotaryFactor);
  if (!isGpt2 && (rotaryDim < 2 || rotaryDim % 2 !== 0)) {
    bad(source, 'partial_rotary_factor', `gives ${rotaryDim} rotary dims for head_dim ${dHead}; need an even number >= 2`);
  }

  // sliding windows and per-layer attention types
  let slidingWindow: number | null = null;
  let layerTypes: LayerType[];
  const explicit = r.layer_types ?? null;
  if (modelType === 'qwen2' || modelType === 'qwen3') {
    slidingWindow = r.use_sliding_window ? (r.sliding_window ?? null) : null;
  } else if (modelType === 'mistral' || modelType === 'phi3' || modelType === 'gemma2' || modelType === 'gemma3_text') {
    slidingWindow = r.sliding_window ?? null;
  }
  if (explicit) {
    if (explicit.length !== nLayers) bad(source, 'layer_types', `has ${explicit.length} entries for ${nLayers} layers`);
    layerTypes = explicit.map((t, i) => {
      if (t === 'full_attention') return 'full';
      if (t === 'sliding_attention') return 'sliding';
      bad(source, `layer_types.${i}`, `"${t}" is not one of full_attention, sliding_attention`);
    });
    // Qwen2/3 record layer_types even with sliding off; HF then ignores the sliding entries' window.
    if ((modelType === 'qwen2' || modelType === 'qwen3') && slidingWindow === null) layerTypes = layerTypes.map(() => 'full');
  } else if (modelType === 'gemma2') {
    layerTypes = Array.from({ length: nLayers }, (_, i) => (i % 2 === 0 ? 'sliding' : 'full'));
  } else if (modelType === 'gemma3_text') {
    const pattern = r.sliding_window_pattern ?? r._sliding_window_pattern ?? 6;
    layerTypes = Array.from({ length: nLayers }, (_, i) => ((i + 1) % pattern === 0 ? 'full' : 'sliding'));
  } else if (modelType === 'qwen2' || modelType === 'qwen3') {
    const mwl = r.max_window_layers ?? 28;
    layerTypes = Array.from({ length: nLayers }, (_, i) => (slidingWindow !== null && i >= mwl ? 'sliding' : 'full'));
  } else if (modelType === 'mistral' || modelType === 'phi3') {
    layerTypes = Array.from({ length: nLayers }, () => (slidingWindow !== null ? 'sliding' : 'full'));
  } else {
    layerTypes = Array.from({ length: nLayers }, () => 'full');
  }
  if (layerTypes.includes('sliding') && slidingWindow === null) {
    bad(source, 'sliding_window', 'layer_types has sliding layers but no sliding_window is set');
  }

  // attention_bias is honoured where transformers reads it; Qwen2 hard-codes q/k/v biases, Mistral and Phi-3 have none
  const readsAttnBias = ['llama', 'qwen3', 'gemma', 'gemma2', 'gemma3_text'].includes(modelType);
  const attentionBias = isGpt2 || (readsAttnBias && (r.attention_bias ?? false));
  const qkvBias = isGpt2 || modelType === 'qwen2' || attentionBias;
  const oBias = isGpt2 || (modelType !== 'qwen2' && attentionBias);
  const mlpBias = isGpt2 || (modelType === 'llama' && (r.mlp_bias ?? false));
  const queryPreAttnScalar = modelType === 'gemma2' || modelType === 'gemma3_text' ? (r.query_pre_attn_scalar ?? null) : null;
  const scaleWeights = isGpt2 ? (r.scale_attn_weights ?? true) : true;
  const attnScale = !scaleWeights ? 1 : (queryPreAttnScalar ?? dHead) ** -0.5;

  const dtypeRaw = given.dtype ?? given.torch_dtype ?? null;
  let dtype: WeightsDtype | null = null;
  if (dtypeRaw !== null && dtypeRaw !== 'auto') {
    dtype = DTYPES[dtypeRaw] ?? bad(source, given.dtype != null ? 'dtype' : 'torch_dtype',
      `"${dtypeRaw}" is not one of ${Object.keys(DTYPES).join(', ')}`);
  }

  return {
    modelType,
    family: modelType === 'gemma3_text' ? 'gemma3' : modelType,
    architectures: r.architectures ?? [],
    vocabSize, dModel, nLayers, nHeads, nKvHeads, dHead, dMlp,
    mlpType: isGpt2 ? 'mlp' : 'gated',
    fusedGateUp: modelType === 'phi3',
    fusedQkv: modelType === 'phi3' || isGpt2,
    normType: isGpt2 ? 'layernorm' : 'rmsnorm',
    normEps: req(isGpt2 ? r.layer_norm_epsilon : r.rms_norm_eps, isGpt2 ? 'layer_norm_epsilon' : 'rms_norm_eps'),
    normOffset: gemmaLike ? 1 : 0,
    act,
    positional: isGpt2 ? 'learned' : 'rope',
    ropeTheta: isGpt2 ? 0 : req(r.rope_theta, 'rope_theta'),
    ropeScaling,
    localRopeTheta: modelType === 'gemma3_text' ? (r.rope_local_base_freq ?? 10000) : null,
    partialRotaryFactor,
    rotaryDim: isGpt2 ? 0 : rotaryDim,
    attentionBias, qkvBias, oBias, mlpBias,
    qkNorm: modelType === 'qwen3' || modelType === 'gemma3_text',
    postNorms: modelType === 'gemma2' || modelType === 'gemma3_text',
    tieWordEmbeddings: r.tie_word_embeddings ?? true,
    slidingWindow,
    layerTypes,
    attnSoftcap: modelType === 'gemma2' ? (r.attn_logit_softcapping ?? null) : (modelType === 'gemma3_text' ? (r.attn_logit_softcapping ?? null) : null),
    finalSoftcap: modelType === 'gemma2' || modelType === 'gemma3_text' ? (r.final_logit_softcapping ?? null) : null,
    queryPreAttnScalar,
    attnScale,
    embedScale: gemmaLike ? Math.sqrt(dModel) : 1,
    maxPositions: req(isGpt2 ? r.n_positions : r.max_position_embeddings, isGpt2 ? 'n_positions' : 'max_position_embeddings'),
    bosTokenId: firstId(r.bos_token_id),
    eosTokenIds: idList(r.eos_token_id),
    padTokenId: firstId(r.pad_token_id),
    dtype,
    scaleAttnByInverseLayerIdx: isGpt2 ? (r.scale_attn_by_inverse_layer_idx ?? false) : false,
    raw: json as Record<string, unknown>,
  };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read (${(e as Error).message})`, file);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`, file);
  }
}

/** Reads and normalizes <dir>/config.json. */
export function loadModelConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  return parseModelConfig(readJson(file), file);
}

// ---------------------------------------------------------------------------------------------
// RoPE

/**
 * Inverse frequencies for RoPE, computed in float32 step by step as transformers does:
 * inv[i] = 1 / theta^(2i/rotaryDim), then linear (÷factor) or llama3 (per-wavelength blend) scaling.
 * kind 'local' is Gemma 3's unscaled table for sliding layers (rope_local_base_freq); for other
 * families it is the same table as 'global'.
 */
export function ropeInvFreq(cfg: ModelConfig, kind: 'global' | 'local' = 'global'): Float32Array {
  if (cfg.positional !== 'rope') throw new Error(`ropeInvFreq: model_type ${cfg.modelType} has no rotary embeddings`);
  const f = Math.fround;
  const dim = cfg.rotaryDim;
  const local = kind === 'local' && cfg.localRopeTheta !== null;
  const theta = local ? cfg.localRopeTheta! : cfg.ropeTheta;
  const scaling: RopeScaling = local ? { type: 'none' } : cfg.ropeScaling;
  const half = dim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = f(1 / f(Math.pow(theta, f((2 * i) / dim))));
  if (scaling.type === 'linear') {
    const s = f(scaling.factor);
    for (let i = 0; i < half; i++) inv[i] = f(inv[i]! / s);
  } else if (scaling.type === 'llama3') {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: old } = scaling;
    const lowWavelen = f(old / lowFreqFactor);
    const highWavelen = f(old / highFreqFactor);
    const twoPi = f(2 * Math.PI);
    for (let i = 0; i < half; i++) {
      const x = inv[i]!;
      const wavelen = f(twoPi / x);
      const scaled = wavelen > lowWavelen ? f(x / f(factor)) : x;
      if (wavelen < highWavelen || wavelen > lowWavelen) {
        inv[i] = scaled;
      } else {
        const smooth = f(f(f(old) / wavelen - f(lowFreqFactor)) / f(highFreqFactor - lowFreqFactor));
        inv[i] = f(f(f(f(1 - smooth) * scaled) / f(factor)) + f(smooth * scaled));
      }
    }
  }
  return inv;
}

/** The rope table to use for layer l: Gemma 3 sliding layers use the local table. */
export function ropeKindForLayer(cfg: ModelConfig, layer: number): 'global' | 'local' {
  return cfg.localRopeTheta !== null && cfg.layerTypes[layer] === 'sliding' ? 'local' : 'global';
}

// ---------------------------------------------------------------------------------------------
// generation_config.json

export interface GenerationConfig {
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  doSample: boolean | null;
  temperature: number | null;
  topK: number | null;
  topP: number | null;
  maxNewTokens: number | null;
  maxLength: number | null;
  repetitionPenalty: number | null;
  raw: Record<string, unknown>;
}

const genSchema = z.looseObject({
  bos_token_id: tokenId,
  eos_token_id: tokenId,
  pad_token_id: tokenId,
  do_sample: z.boolean().nullish(),
  temperature: z.number().nonnegative().nullish(),
  top_k: nonNegInt.nullish(),
  top_p: z.number().gt(0).lte(1).nullish(),
  max_new_tokens: posInt.nullish(),
  max_length: posInt.nullish(),
  repetition_penalty: posNum.nullish(),
});

/** Normalizes a parsed generation_config.json object. */
export function parseGenerationConfig(json: unknown, source = 'generation_config.json'): GenerationConfig {
  const p = genSchema.safeParse(json);
  if (!p.success) {
    const issue = p.error.issues[0]!;
    bad(source, issue.path.join('.') || '(root)', issue.message);
  }
  const g = p.data;
  return {
    bosTokenId: firstId(g.bos_token_id),
    eosTokenIds: idList(g.eos_token_id),
    padTokenId: firstId(g.pad_token_id),
    doSample: g.do_sample ?? null,
    temperature: g.temperature ?? null,
    topK: g.top_k ?? null,
    topP: g.top_p ?? null,
    maxNewTokens: g.max_new_tokens ?? null,
    maxLength: g.max_length ?? null,
    repetitionPenalty: g.repetition_penalty ?? null,
    raw: json as Record<string, unknown>,
  };
}

/** Reads <dir>/generation_config.json, or returns null when the folder has none. */
export function loadGenerationConfig(dir: string): GenerationConfig | null {
  const file = path.join(dir, 'generation_config.json');
  if (!fs.existsSync(file)) return null;
  return parseGenerationConfig(readJson(file), file);
}
