// hf-config: every golden config.json normalizes to the documented architecture facts; defaults,
// legacy fields and bad configs; RoPE inverse frequencies (default, linear, llama3); generation_config.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadModelConfig, parseModelConfig, ropeInvFreq, ropeKindForLayer, loadGenerationConfig, parseGenerationConfig,
  ConfigError, SUPPORTED_MODEL_TYPES, type ModelConfig,
} from '../../src/models/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const modelsDir = path.join(here, '../fixtures/models');
const load = (c: string): ModelConfig => loadModelConfig(path.join(modelsDir, c));
const rawOf = (c: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(modelsDir, c, 'config.json'), 'utf8')) as Record<string, unknown>;

test('gpt2 golden config', () => {
  const c = load('gpt2');
  assert.equal(c.family, 'gpt2');
  assert.deepEqual([c.vocabSize, c.dModel, c.nLayers, c.nHeads, c.nKvHeads, c.dHead, c.dMlp], [320, 64, 3, 4, 4, 16, 256]);
  assert.equal(c.normType, 'layernorm');
  assert.equal(c.normEps, 1e-5);
  assert.equal(c.act, 'gelu_new');
  assert.equal(c.positional, 'learned');
  assert.equal(c.maxPositions, 128);
  assert.equal(c.tieWordEmbeddings, true);
  assert.equal(c.mlpType, 'mlp');
  assert.equal(c.fusedQkv, true);
  assert.ok(c.qkvBias && c.oBias && c.mlpBias);
  assert.equal(c.attnScale, 0.25);
  assert.equal(c.embedScale, 1);
  assert.deepEqual(c.layerTypes, ['full', 'full', 'full']);
  assert.deepEqual([c.bosTokenId, c.eosTokenIds, c.padTokenId], [1, [2], null]);
  assert.equal(c.dtype, 'float32');
  assert.throws(() => ropeInvFreq(c), /gpt2 has no rotary embeddings/);
});

test('llama_gqa and llama3_rope_bf16 golden configs', () => {
  const a = load('llama_gqa');
  assert.deepEqual([a.family, a.vocabSize, a.dModel, a.nLayers, a.nHeads, a.nKvHeads, a.dHead, a.dMlp], ['llama', 384, 64, 3, 4, 2, 16, 128]);
  assert.deepEqual([a.normType, a.normEps, a.normOffset, a.act, a.mlpType], ['rmsnorm', 1e-5, 0, 'silu', 'gated']);
  assert.deepEqual(a.ropeScaling, { type: 'none' });
  assert.equal(a.ropeTheta, 10000);
  assert.equal(a.tieWordEmbeddings, false);
  assert.ok(!a.qkvBias && !a.oBias && !a.mlpBias && !a.attentionBias && !a.qkNorm && !a.postNorms);
  assert.equal(a.attnScale, 0.25);
  assert.equal(a.slidingWindow, null);

  const b = load('llama3_rope_bf16');
  assert.equal(b.dtype, 'bfloat16');
  assert.deepEqual([b.nHeads, b.nKvHeads, b.dMlp, b.maxPositions], [4, 1, 192, 131072]);
  assert.equal(b.tieWordEmbeddings, true);
  assert.equal(b.ropeTheta, 500000);
  assert.deepEqual(b.ropeScaling, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
});

test('qwen2 and qwen3 golden configs', () => {
  const q2 = load('qwen2');
  assert.deepEqual([q2.family, q2.vocabSize, q2.nHeads, q2.nKvHeads, q2.dHead, q2.normEps, q2.ropeTheta], ['qwen2', 448, 4, 2, 16, 1e-6, 1e6]);
  assert.ok(q2.qkvBias && !q2.oBias && !q2.qkNorm);
  assert.equal(q2.tieWordEmbeddings, true);
  assert.equal(q2.slidingWindow, null);
  assert.deepEqual(q2.layerTypes, ['full', 'full', 'full']);
  assert.deepEqual([q2.bosTokenId, q2.eosTokenIds], [1, [2]]);

  const q3 = load('qwen3');
  assert.deepEqual([q3.family, q3.dHead, q3.nHeads, q3.nKvHeads], ['qwen3', 32, 4, 2]);
  assert.ok(q3.qkNorm && !q3.qkvBias && !q3.oBias);
  assert.equal(q3.attnScale, 32 ** -0.5);
});

test('gemma, gemma2 and gemma3_text golden configs', () => {
  const g = load('gemma');
  assert.deepEqual([g.family, g.dHead, g.nHeads, g.nKvHeads, g.normOffset, g.act], ['gemma', 32, 4, 1, 1, 'gelu_pytorch_tanh']);
  assert.equal(g.embedScale, 8);
  assert.equal(g.attnScale, 32 ** -0.5);
  assert.equal(g.tieWordEmbeddings, true);
  assert.deepEqual([g.bosTokenId, g.eosTokenIds, g.padTokenId], [2, [1], 0]);
  assert.ok(!g.postNorms && !g.qkNorm);
  assert.equal(g.attnSoftcap, null);

  const g2 = load('gemma2');
  assert.deepEqual([g2.family, g2.dHead, g2.attnSoftcap, g2.finalSoftcap, g2.queryPreAttnScalar, g2.slidingWindow], ['gemma2', 16, 4, 6, 32, 4]);
  assert.deepEqual(g2.layerTypes, ['sliding', 'full', 'sliding']);
  assert.equal(g2.attnScale, 32 ** -0.5);
  assert.ok(g2.postNorms && !g2.qkNorm);
  assert.equal(g2.act, 'gelu_pytorch_tanh');
  // without explicit layer_types gemma2 slides on even layers
  const raw2 = rawOf('gemma2');
  delete raw2['layer_types'];
  assert.deepEqual(parseModelConfig(raw2).layerTypes, ['sliding', 'full', 'sliding']);

  const g3 = load('gemma3_text');
  assert.equal(g3.family, 'gemma3');
  assert.deepEqual(g3.layerTypes, ['sliding', 'sliding', 'full', 'sliding']);
  assert.deepEqual([g3.ropeTheta, g3.localRopeTheta, g3.slidingWindow, g3.attnSoftcap, g3.finalSoftcap], [1e6, 10000, 4, null, null]);
  assert.deepEqual(g3.ropeScaling, { type: 'linear', factor: 8 });
  assert.ok(g3.postNorms && g3.qkNorm);
  assert.equal(g3.normOffset, 1);
  assert.deepEqual([0, 1, 2, 3].map((l) => ropeKindForLayer(g3, l)), ['local', 'local', 'global', 'local']);
  // without layer_types, the default pattern makes every 6th layer full
  const raw3: Record<string, unknown> = { ...rawOf('gemma3_text'), num_hidden_layers: 7 };
  delete raw3['layer_types'];
  assert.deepEqual(parseModelConfig(raw3).layerTypes, ['sliding', 'sliding', 'sliding', 'sliding', 'sliding', 'full', 'sliding']);
});

test('dtype: legacy torch_dtype is accepted; omitted fields take the transformers defaults', () => {
  const raw = rawOf('llama_gqa');
  delete raw['dtype'];
  assert.equal(parseModelConfig(raw).dtype, null);
  assert.equal(parseModelConfig({ ...raw, torch_dtype: 'bfloat16' }).dtype, 'bfloat16');
  assert.equal(parseModelConfig({ ...raw, torch_dtype: 'float16' }).dtype, 'float16');
  assert.throws(() => parseModelConfig({ ...raw, torch_dtype: 'int4' }), /field "torch_dtype": "int4" is not one of/);

  const minimal = parseModelConfig({ model_type: 'mistral', hidden_size: 64, num_attention_heads: 16, num_hidden_layers: 2 });
  assert.deepEqual([minimal.nKvHeads, minimal.dHead, minimal.dMlp, minimal.vocabSize, minimal.slidingWindow], [8, 4, 14336, 32000, 4096]);
  assert.throws(() => parseModelConfig({ model_type: 'mistral', hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 3 }),
    /field "num_key_value_heads": 3 does not divide num_attention_heads 4/);
  const m = parseModelConfig({ model_type: 'mistral', hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, sliding_window: null });
  assert.deepEqual([m.slidingWindow, m.layerTypes], [null, ['full', 'full']]);
  const m2 = parseModelConfig({ model_type: 'mistral', hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, sliding_window: 8 });
  assert.deepEqual(m2.layerTypes, ['sliding', 'sliding']);
});

test('phi3: fused projections and partial rotary', () => {
  const p = parseModelConfig({
    model_type: 'phi3', hidden_size: 96, num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 128,
    partial_rotary_factor: 0.5, eos_token_id: [32000, 32007], torch_dtype: 'bfloat16',
  });
  assert.deepEqual([p.family, p.dHead, p.rotaryDim, p.nKvHeads, p.fusedQkv, p.fusedGateUp, p.normEps], ['phi3', 24, 12, 4, true, true, 1e-5]);
  assert.deepEqual(p.eosTokenIds, [32000, 32007]);
  assert.equal(p.dtype, 'bfloat16');
  const inv = ropeInvFreq(p);
  assert.equal(inv.length, 6);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(inv[i]! - 10000 ** (-(2 * i) / 12)) <= 3e-7 * inv[i]!);
  assert.throws(() => parseModelConfig({ model_type: 'phi3', hidden_size: 96, num_attention_heads: 4, partial_rotary_factor: 0.04 }),
    /field "partial_rotary_factor": gives 0 rotary dims/);
});

test('unknown model_type lists the supported ones; bad fields are named', () => {
  assert.throws(() => parseModelConfig({ model_type: 'mamba' }, 'x/config.json'),
    (e: unknown) => e instanceof ConfigError && e.field === 'model_type' &&
      e.message === `x/config.json: field "model_type": unsupported model_type "mamba"; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  assert.throws(() => parseModelConfig({}), /field "model_type": missing or not a string/);
  assert.throws(() => parseModelConfig([1]), /not a JSON object/);
  const raw = rawOf('llama_gqa');
  assert.throws(() => parseModelConfig({ ...raw, hidden_size: -64 }), /field "hidden_size": /);
  assert.throws(() => parseModelConfig({ ...raw, num_attention_heads: 2.5 }), /field "num_attention_heads": /);
  assert.throws(() => parseModelConfig({ ...raw, vocab_size: '384' }), /field "vocab_size": /);
  assert.throws(() => parseModelConfig({ ...raw, hidden_act: 'mish' }), /field "hidden_act": activation "mish" is not supported/);
  assert.throws(() => parseModelConfig({ ...raw, rope_scaling: { rope_type: 'yarn', factor: 4 } }),
    /field "rope_scaling.rope_type": "yarn" is not supported \(supported: default, linear, llama3\)/);
  assert.throws(() => parseModelConfig({ ...raw, rope_scaling: { rope_type: 'llama3', factor: 8 } }), /field "rope_scaling.low_freq_factor": required/);
  assert.throws(() => parseModelConfig({ ...raw, rope_scaling: { rope_type: 'linear' } }), /field "rope_scaling.factor": required/);
  assert.deepEqual(parseModelConfig({ ...raw, rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling, { type: 'linear', factor: 2 });
  assert.throws(() => parseModelConfig({ ...raw, layer_types: ['full_attention'] }), /field "layer_types": has 1 entries for 3 layers/);
  assert.throws(() => parseModelConfig({ ...rawOf('gemma2'), layer_types: ['sliding_attention', 'full_attention', 'chunked_attention'] }),
    /field "layer_types.2": "chunked_attention" is not one of/);
  assert.throws(() => parseModelConfig({ ...rawOf('gemma2'), sliding_window: null }), /field "sliding_window": layer_types has sliding layers/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-cfg-'));
  try {
    assert.throws(() => loadModelConfig(dir), /config\.json: cannot read/);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": ');
    assert.throws(() => loadModelConfig(dir), /config\.json: not valid JSON/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('transformers-5 rope_parameters are read like rope_theta/rope_scaling', () => {
  const raw = rawOf('gemma3_text');
  const { rope_theta: _t, rope_scaling: _s, rope_local_base_freq: _l, ...rest } = raw;
  const v5 = parseModelConfig({
    ...rest,
    rope_parameters: {
      full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 },
      sliding_attention: { rope_type: 'default', rope_theta: 10000 },
    },
  });
  const v4 = load('gemma3_text');
  assert.deepEqual([v5.ropeTheta, v5.ropeScaling, v5.localRopeTheta], [v4.ropeTheta, v4.ropeScaling, v4.localRopeTheta]);
  const llama = rawOf('llama3_rope_bf16');
  const { rope_theta: _a, rope_scaling: rs, ...lrest } = llama;
  const l5 = parseModelConfig({ ...lrest, rope_parameters: { ...(rs as object), rope_theta: 500000 } });
  assert.deepEqual(ropeInvFreq(l5), ropeInvFreq(load('llama3_rope_bf16')));
});

// ---------------------------------------------------------------------------------------------
// RoPE

test('default RoPE inverse frequencies are float32 theta^(-2i/d)', () => {
  const c = load('llama_gqa');
  const inv = ropeInvFreq(c);
  assert.equal(inv.length, 8);
  assert.equal(inv[0], 1);
  for (let i = 0; i < 8; i++) assert.equal(inv[i], Math.fround(1 / Math.fround(10000 ** Math.fround(i / 8))));
  assert.deepEqual(ropeInvFreq(c, 'local'), inv, 'non-Gemma-3 models have one table');
});

test('llama3 RoPE scaling: three regimes as HF _compute_llama3_parameters', () => {
  const c = load('llama3_rope_bf16');
  const inv = ropeInvFreq(c);
  const base = Array.from({ length: 8 }, (_, i) => 500000 ** (-(2 * i) / 16));
  const wavelen = base.map((x) => (2 * Math.PI) / x);
  // the golden notes: i=0..3 unchanged (wavelen < 2048), i=4 smoothed, i=5..7 divided by 8 (wavelen > 8192)
  assert.deepEqual(wavelen.map((w) => (w < 2048 ? 'high' : w > 8192 ? 'low' : 'mid')), ['high', 'high', 'high', 'high', 'mid', 'low', 'low', 'low']);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  for (let i = 0; i < 4; i++) assert.ok(rel(inv[i]!, base[i]!) < 1e-6, `i=${i}`);
  for (let i = 5; i < 8; i++) assert.ok(rel(inv[i]!, base[i]! / 8) < 1e-6, `i=${i}`);
  const smooth = (8192 / wavelen[4]! - 1) / (4 - 1);
  const want4 = (1 - smooth) * base[4]! / 8 + smooth * base[4]!;
  assert.ok(smooth > 0 && smooth < 1);
  assert.ok(rel(inv[4]!, want4) < 1e-6, `i=4: ${inv[4]} vs ${want4}`);
});

test('gemma3 has a scaled global table and an unscaled local table', () => {
  const c = load('gemma3_text');
  const g = ropeInvFreq(c, 'global');
  const l = ropeInvFreq(c, 'local');
  assert.equal(g.length, 8);
  for (let i = 0; i < 8; i++) {
    assert.equal(l[i], Math.fround(1 / Math.fround(10000 ** Math.fround(i / 8))));
    assert.equal(g[i], Math.fround(Math.fround(1 / Math.fround(1e6 ** Math.fround(i / 8))) / 8));
  }
});

// ---------------------------------------------------------------------------------------------
// generation_config.json

test('generation_config.json of every golden case, and validation', () => {
  for (const c of ['gpt2', 'llama_gqa', 'llama3_rope_bf16', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3_text']) {
    const g = loadGenerationConfig(path.join(modelsDir, c))!;
    const cfg = load(c);
    assert.equal(g.bosTokenId, cfg.bosTokenId, c);
    assert.deepEqual(g.eosTokenIds, cfg.eosTokenIds, c);
    if (cfg.padTokenId !== null) assert.equal(g.padTokenId, cfg.padTokenId, c);
  }
  assert.equal(loadGenerationConfig(os.tmpdir() + '/definitely-not-a-model-dir'), null);
  const g = parseGenerationConfig({ do_sample: true, temperature: 0.6, top_p: 0.9, top_k: 50, eos_token_id: [1, 106], max_new_tokens: 32 });
  assert.deepEqual([g.doSample, g.temperature, g.topP, g.topK, g.eosTokenIds, g.maxNewTokens], [true, 0.6, 0.9, 50, [1, 106], 32]);
  assert.throws(() => parseGenerationConfig({ top_p: 1.5 }, 'gen.json'), /gen\.json: field "top_p"/);
  assert.throws(() => parseGenerationConfig({ temperature: -1 }), /field "temperature"/);
});
