// Named parameter collections: pattern matching, freezing a chosen subset (frozen params stay unchanged
// and get no gradients), counting, gradient norm, clipping by global norm, non-finite detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, scope, tensor, mean, square, sub } from '../../src/engine/index.js';
import {
  AdamW, matchesPattern, selectParams, freeze, unfreeze, trainOnly, countParams, trainableParams, zeroGrad,
  gradNorm, clipGradNorm, checkFiniteGrads, NonFiniteGradientError, param, type NamedParams,
} from '../../src/nn/index.js';
import { makeMlp, disposeAll } from './helpers.js';

function lossBackward(model: ReturnType<typeof makeMlp>, seed: number): void {
  const rng = new Rng(seed);
  scope(() => {
    const x = tensor(Array.from({ length: 24 }, () => rng.normal()), [4, 6]);
    const y = tensor(Array.from({ length: 12 }, () => rng.normal()), [4, 3]);
    mean(square(sub(model.forward(x), y))).backward();
  });
}

test('name patterns: globs, dotted prefixes, regexps', () => {
  assert.ok(matchesPattern('model.layers.3.mlp.up_proj.weight', 'model.layers.*.mlp.*'));
  assert.ok(matchesPattern('model.layers.3.mlp.up_proj.weight', 'model.layers.3'));
  assert.ok(!matchesPattern('model.layers.30.mlp.up_proj.weight', 'model.layers.3'));
  assert.ok(matchesPattern('model.layers.3.mlp.up_proj.weight', /layers\.[0-3]\.mlp/));
  assert.ok(!matchesPattern('model.layers.4.mlp.up_proj.weight', /layers\.[0-3]\.mlp/));
  assert.ok(matchesPattern('a.b.c', 'a.?.c'));
  assert.ok(!matchesPattern('axb.c', 'a.b.c'), 'dots in globs are literal');
  const m = makeMlp(new Rng(0));
  assert.deepEqual(selectParams(m.params, ['*.bias']), ['mlp.fc1.bias', 'mlp.fc2.bias']);
  assert.throws(() => selectParams(m.params, ['mlp.fc3']), /pattern mlp\.fc3 matches no parameter/);
  disposeAll(m.params);
});

test('freezing a subset: frozen params get no gradient and do not move; unfreeze restores training', () => {
  const model = makeMlp(new Rng(1));
  const opt = new AdamW(model.params, { lr: 0.05, weightDecay: 0.1 });
  assert.deepEqual(freeze(model.params, 'mlp.fc1'), ['mlp.fc1.weight', 'mlp.fc1.bias']);
  assert.equal(countParams(model.params), 12 * 6 + 12 + 3 * 12 + 3);
  assert.equal(countParams(model.params, { trainableOnly: true }), 3 * 12 + 3);
  assert.deepEqual([...trainableParams(model.params).keys()], ['mlp.fc2.weight', 'mlp.fc2.bias']);
  const before = new Map([...model.params].map(([n, p]) => [n, p.toFlat()]));
  for (let i = 0; i < 3; i++) { lossBackward(model, i); assert.equal(model.params.get('mlp.fc1.weight')!.grad, null); opt.step(); opt.zeroGrad(); }
  assert.deepEqual(model.params.get('mlp.fc1.weight')!.toFlat(), before.get('mlp.fc1.weight'));
  assert.deepEqual(model.params.get('mlp.fc1.bias')!.toFlat(), before.get('mlp.fc1.bias'));
  assert.notDeepEqual(model.params.get('mlp.fc2.weight')!.toFlat(), before.get('mlp.fc2.weight'));
  unfreeze(model.params, ['mlp.fc1.*']);
  lossBackward(model, 9);
  assert.ok(model.params.get('mlp.fc1.weight')!.grad, 'unfrozen param gets a gradient again');
  opt.step();
  assert.notDeepEqual(model.params.get('mlp.fc1.weight')!.toFlat(), before.get('mlp.fc1.weight'));
  // trainOnly: the RMU-style "update only these" mode
  assert.deepEqual(trainOnly(model.params, /fc1\.weight$/), ['mlp.fc1.weight']);
  assert.deepEqual([...trainableParams(model.params).keys()], ['mlp.fc1.weight']);
  opt.dispose(); disposeAll(model.params);
});

test('global gradient norm and clipping (returns the pre-clip norm, rescales to maxNorm)', () => {
  const a = param(tensor([1, 2]), 'a'), b = param(tensor([3, 4, 5]), 'b');
  const params: NamedParams = new Map([['a', a], ['b', b]]);
  a.grad = tensor([3, 0]).keep(); b.grad = tensor([0, 4, 0]).keep();
  assert.equal(gradNorm(params), 5);
  assert.equal(clipGradNorm(params, 10), 5);
  assert.deepEqual(Array.from(a.grad.toFlat()), [3, 0], 'no clipping below maxNorm');
  assert.equal(clipGradNorm(params, 1), 5);
  const c = 1 / (5 + 1e-6);
  assert.deepEqual(Array.from(a.grad.toFlat()), [Math.fround(3 * c), 0]);
  assert.deepEqual(Array.from(b.grad!.toFlat()), [0, Math.fround(4 * c), 0]);
  assert.ok(Math.abs(gradNorm(params) - 1) < 1e-6);
  zeroGrad(params);
  assert.equal(a.grad, null); assert.equal(gradNorm(params), 0);
  a.dispose(); b.dispose();
});

test('NaN / Inf gradients are detected and named', () => {
  const a = param(tensor([1, 2]), 'a'), b = param(tensor([3]), 'b');
  const params: NamedParams = new Map([['layer.a', a], ['layer.b', b]]);
  a.grad = tensor([1, 1]).keep(); b.grad = tensor([NaN]).keep();
  assert.throws(() => checkFiniteGrads(params), (e: unknown) => e instanceof NonFiniteGradientError && /layer\.b/.test(e.message) && !/layer\.a/.test(e.message));
  assert.throws(() => clipGradNorm(params, 1), /non-finite gradient.*layer\.b/);
  b.grad.data[0] = Infinity;
  assert.throws(() => clipGradNorm(params, 1), NonFiniteGradientError);
  assert.ok(Number.isNaN(clipGradNorm(params, 1, { errorIfNonFinite: false })) || !Number.isFinite(gradNorm(params)));
  a.dispose(); b.dispose();
});
