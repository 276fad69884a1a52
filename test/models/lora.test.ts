// LoRA on a real model: zero-initialised B leaves logits unchanged; with B set, the adapted forward equals
// the merged weights W + B·A·α/r; PEFT files round-trip; training moves only A and B.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createModel, attachLora, mergeLoraIntoModel, saveLoraAdapter, loadLoraAdapter, openSafetensors } from '../../src/models/index.js';
import { noGrad, scope, sub, square, sum, Tensor, Rng, randn, copyInto, crossEntropy, reshape, slice, tensor } from '../../src/engine/index.js';
import { AdamW } from '../../src/nn/index.js';

const cfg = { model_type: 'llama', vocab_size: 50, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 };
const ids = [[1, 7, 3, 9, 22, 5]];
const d = (a: Tensor, b: Tensor) => Math.sqrt(noGrad(() => sum(square(sub(a, b))).item()));
const loraCfg = { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] };

test('LoRA: identity at init, merged weights equal the adapted forward, PEFT save/load round trip', () => {
  const m = createModel(cfg, { seed: 2, std: 0.2 });
  const base = noGrad(() => m.forward(ids)).keep();
  const a = attachLora(m, loraCfg, 1);
  noGrad(() => scope(() => assert.equal(d(m.forward(ids), base), 0, 'B = 0 at init')));
  const rng = new Rng(9);
  for (const t of a.targets.values()) noGrad(() => scope(() => copyInto(t.B, randn(t.B.shape, rng, 0.3))));
  const adapted = noGrad(() => m.forward(ids)).keep();
  assert.ok(d(adapted, base) > 1e-3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-lora-'));
  try {
    saveLoraAdapter(a, dir);
    const cfgJson = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    assert.equal(cfgJson.peft_type, 'LORA'); assert.equal(cfgJson.r, 4); assert.equal(cfgJson.lora_alpha, 8);
    const f = openSafetensors(path.join(dir, 'adapter_model.safetensors'));
    assert.ok(f.header.has('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'));
    assert.deepEqual(f.header.get('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight')!.shape, [16, 4]);
    f.close();
    const m2 = createModel(cfg, { seed: 2, std: 0.2 });
    loadLoraAdapter(m2, dir, loraCfg);
    noGrad(() => scope(() => assert.ok(d(m2.forward(ids), adapted) < 1e-6, 'loaded adapter reproduces the logits')));
    mergeLoraIntoModel(m, a);
    assert.equal(m.lora, null);
    noGrad(() => scope(() => assert.ok(d(m.forward(ids), adapted) < 1e-4, 'merged = adapted')));
    m2.dispose();
  } finally { fs.rmSync(dir, { recursive: true, force: true }); m.dispose(); base.dispose(); adapted.dispose(); }
});

test('LoRA training updates only the adapter', () => {
  const m = createModel(cfg, { seed: 3, std: 0.2 });
  const W = m.params.get('model.layers.0.self_attn.q_proj.weight')!.toFlat();
  const a = attachLora(m, loraCfg, 2);
  const opt = new AdamW(a.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let s = 0; s < 10; s++) scope(() => {
    const logits = m.forward(ids);
    const loss = crossEntropy(reshape(slice(logits, 1, 0, 5), [5, 50]), tensor(new Int32Array(ids[0].slice(1)), [5]));
    losses.push(loss.item());
    loss.backward();
    opt.step(); opt.zeroGrad();
  });
  assert.ok(losses[9] < losses[0], `loss ${losses[0]} -> ${losses[9]}`);
  assert.deepEqual(Array.from(m.params.get('model.layers.0.self_attn.q_proj.weight')!.toFlat()), Array.from(W), 'base frozen');
  opt.dispose(); a.dispose(); m.dispose();
});
