// End-to-end gradient check of a small GPT-2-style block built from engine ops: loss and the gradient
// of every parameter and of the input embeddings against a float64 plain-JS implementation of the same
// block (values directly, gradients by float64 central finite differences). Both backends when native loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scope, tensor, withBackend, getNativeKernels, storageStats, type BackendName, type Tensor } from '../../src/engine/index.js';
import { blockForward, blockLoss64, blockParamShapes, embed64, initBlockParams, toEngineParams, type BlockConfig } from './gpt-block.js';

function nativeAvailable(): boolean {
  try { return getNativeKernels() !== null; } catch { return false; }
}
const backends: BackendName[] = nativeAvailable() ? ['reference', 'native'] : ['reference'];

const cases: { label: string; cfg: BlockConfig; ids: number[]; targets: number[] }[] = [
  { label: 'T5 D8 H2 F16 V11', cfg: { T: 5, D: 8, H: 2, F: 16, V: 11 }, ids: [3, 7, 1, 3, 10], targets: [7, 1, 3, 10, 0] },
  { label: 'odd sizes T9 D12 H3 F20 V13', cfg: { T: 9, D: 12, H: 3, F: 20, V: 13 }, ids: [0, 12, 5, 5, 9, 1, 12, 3, 7], targets: [12, 5, 5, 9, 1, 12, 3, 7, 2] },
];

for (const { label, cfg, ids: idList, targets: tList } of cases) {
  const ids = Int32Array.from(idList), targets = Int32Array.from(tList);
  const p64 = initBlockParams(cfg, 7);

  /** Float64 central-difference gradient of the loss w.r.t. every element of parameter `name` (or x0). */
  function fdGrad(name: string): Float64Array {
    const h = 1e-5;
    const lossAt = (): number => blockLoss64(cfg, p64, embed64(cfg, p64.wte, ids), targets);
    if (name === 'x0') {
      const x0 = embed64(cfg, p64.wte, ids);
      const g = new Float64Array(x0.length);
      for (let i = 0; i < x0.length; i++) {
        const v = x0[i];
        x0[i] = v + h; const lp = blockLoss64(cfg, p64, x0, targets);
        x0[i] = v - h; const lm = blockLoss64(cfg, p64, x0, targets);
        x0[i] = v;
        g[i] = (lp - lm) / (2 * h);
      }
      return g;
    }
    const a = p64[name];
    const g = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      a[i] = v + h; const lp = lossAt();
      a[i] = v - h; const lm = lossAt();
      a[i] = v;
      g[i] = (lp - lm) / (2 * h);
    }
    return g;
  }

  const names = [...blockParamShapes(cfg).map(([n]) => n), 'x0'];
  const reference = new Map(names.map((n) => [n, fdGrad(n)]));
  const loss64 = blockLoss64(cfg, p64, embed64(cfg, p64.wte, ids), targets);

  interface EngineRun { loss: number; grads: Map<string, Float32Array> }

  function runEngine(): EngineRun {
    return scope(() => {
      const p = toEngineParams(cfg, p64);
      for (const t of Object.values(p)) t.requireGrad();
      const { loss, x0 } = blockForward(cfg, p, tensor(ids, [cfg.T]), tensor(targets, [cfg.T]), (x) => { x.requireGrad(); });
      loss.backward();
      const grads = new Map<string, Float32Array>();
      for (const [n, t] of Object.entries(p)) { assert.ok(t.grad, `parameter ${n} got no gradient`); grads.set(n, t.grad.toFlat() as Float32Array); }
      assert.ok(x0.grad, 'input embeddings got no gradient');
      grads.set('x0', x0.grad.toFlat() as Float32Array);
      const out = { loss: loss.item(), grads };
      for (const t of Object.values(p) as Tensor[]) t.dispose();
      x0.grad.dispose();
      return out;
    });
  }

  for (const backend of backends) {
    test(`GPT-2-style block (${label}) on ${backend}: loss and every gradient match float64 finite differences`, () => {
      const before = storageStats.live;
      const run = withBackend(backend, runEngine);
      assert.ok(Math.abs(run.loss - loss64) <= 1e-5 * Math.max(1, Math.abs(loss64)), `loss ${run.loss} vs float64 ${loss64}`);
      for (const n of names) {
        const g = run.grads.get(n)!, r = reference.get(n)!;
        assert.equal(g.length, r.length, `${n}: gradient size`);
        let scale = 0, worst = 0, at = -1;
        for (let i = 0; i < r.length; i++) scale = Math.max(scale, Math.abs(r[i]));
        for (let i = 0; i < r.length; i++) { const d = Math.abs(g[i] - r[i]); if (d > worst) { worst = d; at = i; } }
        assert.ok(scale > 1e-6, `${n}: reference gradient is all ~0, the check would be vacuous`);
        assert.ok(worst <= 2e-4 * scale + 1e-6, `${n}: gradient differs by ${worst.toExponential(2)} at ${at} (engine ${g[at]}, float64 ${r[at]}, scale ${scale.toExponential(2)})`);
      }
      assert.equal(storageStats.live, before, 'the block leaked storages');
    });
  }
}
