// The cross-backend op harness: enumerates OP_TABLE and checks every case forward and backward on the
// reference and native backends against each other, and the reference against central finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OP_TABLE, Tensor, Rng, withBackend, getNativeKernels, scope, empty, type OpCase } from '../../src/engine/index.js';

interface RunResult { out: Float32Array | Int32Array; shape: number[]; grads: (Float32Array | null)[] }

function seeded(seed: number): () => number { const r = new Rng(seed); return () => r.next(); }

function gradIndices(c: OpCase, inputs: Tensor[]): number[] {
  return c.diff ?? inputs.map((t, i) => (t.dtype === 'f32' ? i : -1)).filter((i) => i >= 0);
}

function runCase(c: OpCase, seed: number, backward: boolean): RunResult {
  return scope(() => {
    const inputs = c.make(seeded(seed));
    const di = gradIndices(c, inputs);
    if (backward) for (const i of di) inputs[i].requireGrad();
    const out = c.run(inputs);
    const res: RunResult = { out: out.toFlat(), shape: out.shape.slice(), grads: [] };
    if (backward && di.length > 0) {
      const gOut = empty(out.shape);
      const r = new Rng(seed + 1);
      for (let i = 0; i < gOut.size; i++) gOut.data[i] = r.normal();
      out.backward(gOut);
      res.grads = inputs.map((t, i) => (di.includes(i) ? (t.grad ? (t.grad.toFlat() as Float32Array) : new Float32Array(t.size)) : null));
    }
    for (const t of inputs) t.dispose();
    return res;
  });
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6, d = 0;
  for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i])); d = Math.max(d, Math.abs(a[i] - b[i])); }
  return d / Math.max(scale, 1);
}

/** loss(inputs) = sum(out * gOut) in float64, with input `which` element `k` shifted by h. */
function lossWithShift(c: OpCase, seed: number, which: number, k: number, h: number): number {
  return scope(() => {
    const inputs = c.make(seeded(seed));
    (inputs[which].data as Float32Array)[inputs[which].offset + k] += h;
    const out = c.run(inputs);
    const o = out.toFlat();
    const r = new Rng(seed + 1);
    let s = 0;
    for (let i = 0; i < o.length; i++) s += o[i] * r.normal();
    for (const t of inputs) t.dispose();
    return s;
  });
}

const native = getNativeKernels();

for (const op of OP_TABLE) {
  for (const [ci, c] of op.cases.entries()) {
    const seed = 1000 + ci * 17 + op.name.length;
    const needGrad = op.differentiable && (c.diff === undefined || c.diff.length > 0);
    test(`op ${op.name} / ${c.label}: reference vs native, forward${needGrad ? ' + backward' : ''}`, { skip: native ? false : 'native addon not built' }, () => {
      const ref = withBackend('reference', () => runCase(c, seed, needGrad));
      const nat = withBackend('native', () => runCase(c, seed, needGrad));
      assert.deepEqual(nat.shape, ref.shape);
      if (ref.out instanceof Int32Array) assert.deepEqual(Array.from(nat.out), Array.from(ref.out), 'integer outputs differ');
      else assert.ok(maxRelDiff(ref.out, nat.out) <= (c.tol ?? 1e-5), `forward differs: ${maxRelDiff(ref.out, nat.out)}`);
      for (let i = 0; i < ref.grads.length; i++) {
        const a = ref.grads[i], b = nat.grads[i];
        if (!a || !b) continue;
        const d = maxRelDiff(a, b);
        assert.ok(d <= 1e-4, `grad of input ${i} differs by ${d}`);
      }
    });
    if (needGrad && !c.noFiniteDiff) {
      test(`op ${op.name} / ${c.label}: gradient vs central finite differences`, () => {
        withBackend('reference', () => {
          const an = runCase(c, seed, true);
          const probe = seeded(seed + 99);
          for (let i = 0; i < an.grads.length; i++) {
            const g = an.grads[i];
            if (!g) continue;
            const picks = new Set<number>();
            const n = Math.min(g.length, 8);
            while (picks.size < n) picks.add(Math.floor(probe() * g.length));
            for (const k of picks) {
              const h = 1e-2;
              const fd = (lossWithShift(c, seed, i, k, h) - lossWithShift(c, seed, i, k, -h)) / (2 * h);
              const tol = 2e-2 + 2e-2 * Math.abs(fd);
              assert.ok(Math.abs(fd - g[k]) <= tol, `input ${i} element ${k}: analytic ${g[k]} vs finite difference ${fd}`);
            }
          }
        });
      });
    }
  }
}

test('every op in the table has at least one case and a unique name', () => {
  const names = OP_TABLE.map((o) => o.name);
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.length >= 40, `only ${names.length} ops`);
});
