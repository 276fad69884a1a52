// LoRA: targets by PEFT module-name rules, PEFT initialisation, merge = W + B·A·α/r, adapter forward
// equals the merged linear, gradients reach only A and B, PEFT names and adapter_config.json on save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, scope, tensor, linear, mean, square, sub, type Tensor } from '../../src/engine/index.js';
import { LoraAdapter, mergeLora, isLoraTarget, peftNames, initNormal, initOnes, param, freeze, AdamW, train, indexedBatches, type NamedParams } from '../../src/nn/index.js';
import { openSafetensors, writeSafetensors } from '../../src/models/safetensors.js';
import { disposeAll, maxAbsDiff } from './helpers.js';

function baseModel(rng: Rng): NamedParams {
  const p: NamedParams = new Map();
  for (let l = 0; l < 2; l++) {
    for (const [m, out, inF] of [['q_proj', 8, 8], ['k_proj', 4, 8], ['v_proj', 4, 8], ['o_proj', 8, 8]] as const) {
      const n = `model.layers.${l}.self_attn.${m}.weight`;
      p.set(n, param(initNormal([out, inF], rng, 0.3), n));
    }
    p.set(`model.layers.${l}.mlp.up_proj.weight`, param(initNormal([16, 8], rng, 0.3)));
    p.set(`model.layers.${l}.input_layernorm.weight`, param(initOnes([8])));
  }
  return p;
}

/** W + B·A·α/r in float64. */
function refMerge(W: Tensor, A: Tensor, B: Tensor, alpha: number, r: number): Float64Array {
  const [out, inF] = W.shape;
  const w = W.toFlat(), a = A.toFlat(), b = B.toFlat();
  const res = new Float64Array(out * inF);
  for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) {
    let s = 0;
    for (let k = 0; k < r; k++) s += b[o * r + k] * a[k * inF + i];
    res[o * inF + i] = w[o * inF + i] + s * alpha / r;
  }
  return res;
}

function randomiseB(ad: LoraAdapter, rng: Rng): void {
  for (const t of ad.targets.values()) { const d = t.B.data; for (let i = 0; i < d.length; i++) d[i] = 0.2 * rng.normal(); }
}

test('targets follow PEFT module matching; A is Kaiming-uniform(√5), B is zero, scale α/r', () => {
  assert.ok(isLoraTarget('model.layers.0.self_attn.q_proj', ['q_proj']));
  assert.ok(!isLoraTarget('model.layers.0.self_attn.qq_proj', ['q_proj']));
  assert.ok(isLoraTarget('model.layers.1.self_attn.v_proj', '.*layers\\.1\\..*(q|v)_proj'));
  assert.ok(!isLoraTarget('model.layers.0.self_attn.v_proj', '.*layers\\.1\\..*(q|v)_proj'));
  const base = baseModel(new Rng(1));
  const ad = new LoraAdapter(base, { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] }, new Rng(2));
  assert.deepEqual([...ad.targets.keys()], [
    'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.v_proj.weight',
    'model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight']);
  assert.equal(ad.scale, 2);
  const v = ad.targets.get('model.layers.0.self_attn.v_proj.weight')!;
  assert.deepEqual(v.A.shape, [4, 8]); assert.deepEqual(v.B.shape, [4, 4]);
  const a = v.A.toFlat(), bound = 1 / Math.sqrt(8);
  assert.ok(a.every((x) => Math.abs(x) <= bound) && Math.max(...a.map(Math.abs)) > bound / 2, 'A within ±1/sqrt(in)');
  assert.ok(v.B.toFlat().every((x) => x === 0));
  assert.ok(v.A.requiresGrad && v.B.requiresGrad);
  assert.deepEqual([...ad.parameters().keys()].slice(0, 2), ['model.layers.0.self_attn.q_proj.lora_A.weight', 'model.layers.0.self_attn.q_proj.lora_B.weight']);
  assert.throws(() => new LoraAdapter(base, { r: 4, alpha: 8, targetModules: ['gate_proj'] }, new Rng(0)), /match no 2-D weight/);
  ad.dispose(); disposeAll(base);
});

test('mergeLora equals W + B·A·α/r, and the adapter forward equals the merged linear', () => {
  const base = baseModel(new Rng(3));
  const ad = new LoraAdapter(base, { r: 2, alpha: 6, targetModules: ['q_proj', 'v_proj'] }, new Rng(4));
  randomiseB(ad, new Rng(5));
  const name = 'model.layers.1.self_attn.v_proj.weight';
  const t = ad.targets.get(name)!, W = base.get(name)!;
  scope(() => {
    const merged = mergeLora(W, t.A, t.B, 6, 2);
    assert.ok(maxAbsDiff(merged.toFlat(), refMerge(W, t.A, t.B, 6, 2)) < 1e-6);
    assert.ok(maxAbsDiff(merged.toFlat(), W.toFlat()) > 1e-2, 'the merge changes W');
    const allMerged = ad.merged(base);
    assert.deepEqual(allMerged.get(name)!.toFlat(), merged.toFlat());
    const rng = new Rng(6);
    const x = tensor(Array.from({ length: 3 * 5 * 8 }, () => rng.normal()), [3, 5, 8]);
    const viaAdapter = ad.linear(name, x, W), viaMerged = linear(x, merged);
    assert.ok(maxAbsDiff(viaAdapter.toFlat(), viaMerged.toFlat()) < 1e-5);
    assert.deepEqual(ad.linear('model.layers.1.mlp.up_proj.weight', x, base.get('model.layers.1.mlp.up_proj.weight')!).toFlat(),
      linear(x, base.get('model.layers.1.mlp.up_proj.weight')!).toFlat(), 'untargeted weights pass through');
    for (const m of allMerged.values()) m.dispose();
  });
  assert.throws(() => mergeLora(W, t.A, t.B, 6, 3), /do not fit/);
  ad.dispose(); disposeAll(base);
});

test('with the base frozen, gradients reach only A and B; dropout applies only in training', () => {
  const base = baseModel(new Rng(7));
  freeze(base, '*');
  const ad = new LoraAdapter(base, { r: 2, alpha: 4, dropout: 0.5, targetModules: ['q_proj'] }, new Rng(8));
  randomiseB(ad, new Rng(9));
  const name = 'model.layers.0.self_attn.q_proj.weight';
  const rng = new Rng(10);
  scope(() => {
    const x = tensor(Array.from({ length: 4 * 8 }, () => rng.normal()), [4, 8]);
    mean(square(ad.linear(name, x, base.get(name)!))).backward();
  });
  const t = ad.targets.get(name)!;
  assert.ok(t.A.grad && t.B.grad, 'A and B have gradients');
  assert.ok(t.A.grad.toFlat().some((v) => v !== 0));
  assert.equal(base.get(name)!.grad, null);
  scope(() => {
    const x = tensor(Array.from({ length: 4 * 8 }, () => rng.normal()), [4, 8]);
    ad.training = false;
    const e1 = ad.delta(name, x).toFlat(), e2 = ad.loraDelta(name, x).toFlat();
    assert.deepEqual(e1, e2, 'eval mode is deterministic');
    ad.training = true;
    const d1 = ad.delta(name, x).toFlat();
    assert.notDeepEqual(d1, e1, 'training mode drops inputs');
  });
  ad.dispose(); disposeAll(base);
});

test('save writes PEFT names and adapter_config.json; load restores the tensors', () => {
  const base = baseModel(new Rng(11));
  const ad = new LoraAdapter(base, { r: 4, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'], baseModelNameOrPath: 'glassbox/organism-tiny' }, new Rng(12));
  randomiseB(ad, new Rng(13));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-lora-'));
  try {
    ad.save(dir);
    const f = openSafetensors(path.join(dir, 'adapter_model.safetensors'));
    const names = [...f.header.keys()].sort();
    assert.deepEqual(names, [
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
      'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight', 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight',
      'base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight', 'base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight',
      'base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight', 'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight']);
    const t = ad.targets.get('model.layers.1.self_attn.v_proj.weight')!;
    const nB = peftNames(t.module).B;
    assert.deepEqual(f.header.get(nB)!.shape, [4, 4]);
    assert.equal(f.header.get(nB)!.dtype, 'F32');
    assert.deepEqual(Array.from(f.read(nB).data as Float32Array), Array.from(t.B.toFlat()));
    f.close();
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    assert.equal(cfg.peft_type, 'LORA'); assert.equal(cfg.task_type, 'CAUSAL_LM');
    assert.equal(cfg.r, 4); assert.equal(cfg.lora_alpha, 16); assert.equal(cfg.lora_dropout, 0.05);
    assert.deepEqual(cfg.target_modules, ['q_proj', 'v_proj']);
    assert.equal(cfg.base_model_name_or_path, 'glassbox/organism-tiny');
    assert.equal(cfg.bias, 'none'); assert.equal(cfg.fan_in_fan_out, false);
    const other = new LoraAdapter(base, { r: 4, alpha: 16, targetModules: ['q_proj', 'v_proj'] }, new Rng(99));
    other.load(dir);
    for (const [n, tt] of ad.targets) { assert.deepEqual(other.targets.get(n)!.A.toFlat(), tt.A.toFlat()); assert.deepEqual(other.targets.get(n)!.B.toFlat(), tt.B.toFlat()); }
    other.dispose();
    // the models layer's writer plugs in (callers above nn pass it) and gives the same tensors
    const dir2 = path.join(dir, 'via-models-writer');
    ad.save(dir2, writeSafetensors);
    const g = openSafetensors(path.join(dir2, 'adapter_model.safetensors'));
    assert.deepEqual([...g.header.keys()].sort(), names);
    assert.deepEqual(Array.from(g.read(nB).data as Float32Array), Array.from(t.B.toFlat()));
    g.close();
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  ad.dispose(); disposeAll(base);
});

test('LoRA fine-tuning through train(): only A and B change, the loss falls, checkpoints hold only the adapter', async () => {
  const base = baseModel(new Rng(20));
  freeze(base, '*');
  const before = new Map([...base].map(([n, p]) => [n, p.toFlat()]));
  const ad = new LoraAdapter(base, { r: 2, alpha: 4, dropout: 0.1, targetModules: ['q_proj'] }, new Rng(21));
  const opt = new AdamW(ad.parameters(), { lr: 0.05, weightDecay: 0 });
  const q0 = 'model.layers.0.self_attn.q_proj.weight', q1 = 'model.layers.1.self_attn.q_proj.weight';
  const target = new Rng(22);
  const Wt = Array.from({ length: 64 }, () => target.normal() * 0.3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-lora-train-'));
  try {
    const res = await train({
      params: ad.parameters(), optimizer: opt, steps: 30, checkpointDir: dir, checkpointEvery: 10, rngs: { lora: ad.rng },
      batches: indexedBatches((i) => { const r = new Rng(100 + i); return Array.from({ length: 4 * 8 }, () => r.normal()); }),
      lossFn: (xs) => {
        const x = tensor(xs, [4, 8]);
        const h = ad.linear(q0, x, base.get(q0)!);
        const y = ad.linear(q1, h, base.get(q1)!);
        return mean(square(sub(y, linear(x, tensor(Wt, [8, 8])))));
      },
    });
    assert.ok(res.losses[29] < res.losses[0] * 0.8, `loss ${res.losses[0]} -> ${res.losses[29]}`);
    for (const [n, p] of base) assert.deepEqual(p.toFlat(), before.get(n), `base ${n} unchanged`);
    assert.ok(ad.targets.get(q0)!.B.toFlat().some((v) => v !== 0), 'B moved');
    const f = openSafetensors(path.join(dir, 'step-00000030', 'weights.safetensors'));
    assert.deepEqual([...f.header.keys()].sort(), [...ad.parameters().keys()].sort());
    f.close();
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  opt.dispose(); ad.dispose(); disposeAll(base);
});
