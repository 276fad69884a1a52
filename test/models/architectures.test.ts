// Architectures without goldens, checked by construction: Phi-3's fused qkv/gate_up equals the Llama
// block with the same weights split; Mistral's window equals Llama when the sequence fits in it and
// differs when it does not; save -> load round trip; loading errors name the file and tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createModel, Model, saveModel, loadModel, parseModelConfig } from '../../src/models/index.js';
import { noGrad, scope, cat, sub, square, sum, Tensor } from '../../src/engine/index.js';

const base = { vocab_size: 97, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6, tie_word_embeddings: false };
const ids = [[1, 5, 9, 33, 2, 70, 11, 4]];

function maxDiff(a: Tensor, b: Tensor): number { return Math.sqrt(noGrad(() => sum(square(sub(a, b))).item())); }

test('phi3 with fused qkv_proj / gate_up_proj equals llama with the same weights split', () => {
  const l = createModel({ ...base, model_type: 'llama' }, { seed: 3, std: 0.2 });
  const pcfg = parseModelConfig({ ...base, model_type: 'phi3', hidden_act: 'silu', sliding_window: null });
  const params = new Map<string, Tensor>();
  for (const [k, v] of l.params) if (!/q_proj|k_proj|v_proj|gate_proj|up_proj/.test(k)) params.set(k, v);
  for (let i = 0; i < 2; i++) {
    const p = `model.layers.${i}`;
    params.set(`${p}.self_attn.qkv_proj.weight`, cat(['q', 'k', 'v'].map((x) => l.params.get(`${p}.self_attn.${x}_proj.weight`)!), 0).keep());
    params.set(`${p}.mlp.gate_up_proj.weight`, cat(['gate', 'up'].map((x) => l.params.get(`${p}.mlp.${x}_proj.weight`)!), 0).keep());
  }
  const phi = new Model(pcfg, params);
  noGrad(() => scope(() => assert.ok(maxDiff(phi.forward(ids), l.forward(ids)) < 1e-4)));
  l.dispose();
});

test('mistral sliding window: equal to llama inside the window, different beyond it', () => {
  const l = createModel({ ...base, model_type: 'llama' }, { seed: 4, std: 0.2 });
  const mk = (w: number) => new Model(parseModelConfig({ ...base, model_type: 'mistral', sliding_window: w }), l.params);
  noGrad(() => scope(() => {
    assert.ok(maxDiff(mk(8).forward(ids), l.forward(ids)) < 1e-5);
    assert.ok(maxDiff(mk(3).forward(ids), l.forward(ids)) > 1e-3);
  }));
  l.dispose();
});

test('saveModel -> loadModel round trip (f32 exact, sharded) and bf16 storage', () => {
  const m = createModel({ ...base, model_type: 'qwen2', tie_word_embeddings: true }, { seed: 5 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-save-'));
  try {
    saveModel(m, path.join(dir, 'a'), { maxShardBytes: 20_000 });
    assert.ok(fs.existsSync(path.join(dir, 'a', 'model.safetensors.index.json')), 'sharded with an index');
    const r = loadModel(path.join(dir, 'a'));
    noGrad(() => scope(() => assert.equal(maxDiff(r.forward(ids), m.forward(ids)), 0)));
    saveModel(m, path.join(dir, 'b'), { dtype: 'BF16' });
    const b = loadModel(path.join(dir, 'b'));
    assert.equal(b.config.dtype, 'bfloat16');
    noGrad(() => scope(() => { const d = maxDiff(b.forward(ids), m.forward(ids)); assert.ok(d > 0 && d < 0.5, `bf16 diff ${d}`); }));
    assert.throws(() => saveModel(m, path.join(dir, 'a')), /exists/);
    r.dispose(); b.dispose();
  } finally { fs.rmSync(dir, { recursive: true, force: true }); m.dispose(); }
});

test('loading errors: missing tensor, config/weights disagreement, unknown model_type', () => {
  const m = createModel({ ...base, model_type: 'llama' }, { seed: 6 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-bad-'));
  try {
    saveModel(m, path.join(dir, 'ok'));
    const cfgPath = path.join(dir, 'ok', 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, intermediate_size: 64 }));
    assert.throws(() => loadModel(path.join(dir, 'ok')), /mlp\.(gate|up|down)_proj\.weight.*shape \[.*\] but config\.json implies/);
    fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
    assert.throws(() => loadModel(path.join(dir, 'ok')), /missing tensor 'model\.layers\.2\./);
    fs.writeFileSync(cfgPath, JSON.stringify({ ...cfg, model_type: 'falcon' }));
    assert.throws(() => loadModel(path.join(dir, 'ok')), /falcon.*gpt2.*llama/s);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); m.dispose(); }
});
