// AdamW and SGD against independent float64 implementations of PyTorch's formulas over several steps,
// parameter groups (per-group lr, no decay on biases), state round trips, and the HF/torch AdamW golden.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, scope, tensor, mean, square, sub, type Tensor } from '../../src/engine/index.js';
import { AdamW, SGD, buildParamGroups, readF32Tensors, cosineSchedule, param, type NamedParams } from '../../src/nn/index.js';
import { makeMlp, disposeAll, RefAdamW, RefSGD, maxAbsDiff } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function mseStep(model: ReturnType<typeof makeMlp>, rng: Rng): void {
  scope(() => {
    const x = tensor(Array.from({ length: 5 * 6 }, () => rng.normal()), [5, 6]);
    const y = tensor(Array.from({ length: 5 * 3 }, () => rng.normal()), [5, 3]);
    mean(square(sub(model.forward(x), y))).backward();
  });
}

const flat = (t: Tensor) => Float64Array.from(t.toFlat());

test('AdamW matches a float64 PyTorch AdamW over 8 steps, with groups, no-decay biases and a schedule', () => {
  const rng = new Rng(1);
  const model = makeMlp(rng);
  const opt = new AdamW(model.params, {
    lr: 0.02, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1, noDecay: 'auto',
    groups: [{ match: 'mlp.fc2.weight', lr: 0.005, weightDecay: 0.3, name: 'head' }],
  });
  assert.deepEqual(opt.groups.map((g) => [g.name, g.params]), [
    ['head', ['mlp.fc2.weight']], ['default', ['mlp.fc1.weight']], ['no_decay', ['mlp.fc1.bias', 'mlp.fc2.bias']]]);
  const hyper: Record<string, [number, number]> = { 'mlp.fc1.weight': [0.02, 0.1], 'mlp.fc1.bias': [0.02, 0], 'mlp.fc2.weight': [0.005, 0.3], 'mlp.fc2.bias': [0.02, 0] };
  const refs = new Map([...model.params].map(([n, p]) => [n, new RefAdamW(flat(p), hyper[n][0], 0.8, 0.95, 1e-6, hyper[n][1])]));
  const sched = cosineSchedule({ warmupSteps: 2, totalSteps: 8, minRatio: 0.1 });
  const dataRng = new Rng(2);
  for (let step = 0; step < 8; step++) {
    mseStep(model, dataRng);
    const f = sched(step);
    for (const [n, p] of model.params) { const r = refs.get(n)!; r.step(p.grad!.toFlat(), r.lr * f); }
    opt.step(f);
    opt.zeroGrad();
    for (const [n, p] of model.params) {
      const d = maxAbsDiff(p.toFlat(), refs.get(n)!.p);
      assert.ok(d < 2e-6, `step ${step + 1} ${n}: max |f32 - f64 ref| = ${d}`);
    }
  }
  // the parameters really moved, and with the second step's bias correction (m̂ ≠ g)
  assert.ok(maxAbsDiff(model.params.get('mlp.fc1.weight')!.toFlat(), makeMlp(new Rng(1)).params.get('mlp.fc1.weight')!.toFlat()) > 1e-3);
  opt.dispose(); disposeAll(model.params);
});

test('AdamW weight decay is decoupled: a zero gradient only shrinks p by (1 - lr·wd)', () => {
  const p = param(tensor([1, -2, 0.5]), 'w');
  const params: NamedParams = new Map([['w', p]]);
  const opt = new AdamW(params, { lr: 0.1, weightDecay: 0.5 });
  p.grad = tensor([0, 0, 0]).keep();
  opt.step();
  assert.deepEqual(Array.from(p.toFlat()), [Math.fround(0.95), Math.fround(-1.9), Math.fround(0.475)]);
  opt.dispose(); p.dispose();
});

test('AdamW skips frozen parameters and parameters without gradients (no state, no step)', () => {
  const model = makeMlp(new Rng(3));
  const opt = new AdamW(model.params, { lr: 0.1 });
  model.params.get('mlp.fc1.weight')!.requireGrad(false);
  const before = model.params.get('mlp.fc1.weight')!.toFlat();
  mseStep(model, new Rng(4));
  assert.equal(model.params.get('mlp.fc1.weight')!.grad, null);
  opt.step();
  assert.deepEqual(model.params.get('mlp.fc1.weight')!.toFlat(), before);
  const st = opt.state();
  assert.equal(st.steps['mlp.fc1.weight'], undefined);
  assert.equal(st.steps['mlp.fc2.weight'], 1);
  assert.ok(!('mlp.fc1.weight/exp_avg' in st.buffers));
  opt.dispose(); disposeAll(model.params);
});

for (const cfg of [
  { momentum: 0, dampening: 0, nesterov: false, wd: 0 },
  { momentum: 0.9, dampening: 0, nesterov: false, wd: 0.01 },
  { momentum: 0.9, dampening: 0.2, nesterov: false, wd: 0 },
  { momentum: 0.8, dampening: 0, nesterov: true, wd: 0.05 },
]) {
  test(`SGD matches float64 torch.optim.SGD over 6 steps (${JSON.stringify(cfg)})`, () => {
    const model = makeMlp(new Rng(5));
    const opt = new SGD(model.params, { lr: 0.05, momentum: cfg.momentum, dampening: cfg.dampening, nesterov: cfg.nesterov, weightDecay: cfg.wd });
    const refs = new Map([...model.params].map(([n, p]) => [n, new RefSGD(flat(p), 0.05, cfg.momentum, cfg.dampening, cfg.nesterov, cfg.wd)]));
    const dataRng = new Rng(6);
    for (let step = 0; step < 6; step++) {
      mseStep(model, dataRng);
      for (const [n, p] of model.params) refs.get(n)!.step(p.grad!.toFlat());
      opt.step(); opt.zeroGrad();
      for (const [n, p] of model.params) {
        const d = maxAbsDiff(p.toFlat(), refs.get(n)!.p);
        assert.ok(d < 2e-6, `step ${step + 1} ${n}: max |f32 - f64 ref| = ${d}`);
      }
    }
    opt.dispose(); disposeAll(model.params);
  });
}

test('optimizer state()/loadState() resumes bit-exactly', () => {
  for (const make of [(p: NamedParams) => new AdamW(p, { lr: 0.01, weightDecay: 0.1 }), (p: NamedParams) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true })]) {
    const a = makeMlp(new Rng(7)), b = makeMlp(new Rng(7));
    const oa = make(a.params), ob = make(b.params);
    const ra = new Rng(8);
    for (let i = 0; i < 3; i++) { mseStep(a, ra); oa.step(); oa.zeroGrad(); }
    // b takes a's weights and optimizer state, then both continue on the same data
    for (const [n, p] of b.params) (p.data as Float32Array).set(a.params.get(n)!.toFlat());
    ob.loadState(oa.state());
    const rb = new Rng(0); rb.setState(ra.getState());
    for (let i = 0; i < 3; i++) { mseStep(a, ra); oa.step(); oa.zeroGrad(); mseStep(b, rb); ob.step(); ob.zeroGrad(); }
    for (const [n, p] of a.params) assert.deepEqual(b.params.get(n)!.toFlat(), p.toFlat(), `${oa.kind} ${n}`);
    assert.throws(() => ob.loadState({ ...oa.state(), kind: oa.kind === 'sgd' ? 'adamw' : 'sgd' }), /loadState: state is for/);
    oa.dispose(); ob.dispose(); disposeAll(a.params); disposeAll(b.params);
  }
});

test('param groups: rule order, noDecay by patterns, errors on bad lr', () => {
  const model = makeMlp(new Rng(9));
  const groups = buildParamGroups(model.params, { lr: 1, weightDecay: 0.1, noDecay: [/bias$/], groups: [{ match: 'mlp.fc1', lr: 2 }] });
  assert.deepEqual(groups.map((g) => [g.name, g.lr, g.weightDecay, g.params]), [
    ['group0', 2, 0.1, ['mlp.fc1.weight', 'mlp.fc1.bias']], ['default', 1, 0.1, ['mlp.fc2.weight']], ['no_decay', 1, 0, ['mlp.fc2.bias']]]);
  assert.throws(() => new AdamW(model.params, { lr: NaN }), /learning rate must be/);
  disposeAll(model.params);
});

test('golden: one AdamW step on llama_gqa driven by torch gradients matches torch after_adamw', () => {
  const model = readF32Tensors(path.join(here, '../fixtures/models/llama_gqa/model.safetensors')).tensors;
  const grads = readF32Tensors(path.join(here, '../fixtures/nn/llama_gqa/grads.safetensors')).tensors;
  const after = readF32Tensors(path.join(here, '../fixtures/nn/llama_gqa/after_adamw.safetensors')).tensors;
  const params: NamedParams = new Map();
  for (const [n, w] of model) {
    const p = param(tensor(w.data, w.shape), n);
    p.grad = tensor(grads.get(n)!.data, w.shape).keep();
    params.set(n, p);
  }
  assert.equal(params.size, 30);
  const opt = new AdamW(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
  opt.step();
  let worst = 0;
  for (const [n, p] of params) worst = Math.max(worst, maxAbsDiff(p.toFlat(), after.get(n)!.data));
  assert.ok(worst <= 2.5e-7, `max |glassbox - torch| after one AdamW step = ${worst}`);
  opt.dispose(); disposeAll(params);
});
