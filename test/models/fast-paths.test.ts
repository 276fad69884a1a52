// The decoder's speed/memory paths must not change results: `lastOnly` logits equal the last row of the full
// logits (hooks on unembed.hook_out see the right position); freeing each block's intermediates when no hook
// is installed leaves outputs and gradients bit-identical and leaks nothing; the KV cache accepts strided k/v;
// greedy generation (which uses lastOnly) equals a cache-free argmax loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel, generate, KVCache, steer } from '../../src/models/index.js';
import { noGrad, scope, slice, reshape, tensor, argmax, storageStats, transpose, contiguous, randn, Rng, Tensor, linear, matmul, withBackend, getNativeKernels } from '../../src/engine/index.js';

const cfg = { model_type: 'qwen2', vocab_size: 61, hidden_size: 32, intermediate_size: 40, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6, tie_word_embeddings: true };
const ids = [[3, 17, 5, 42, 9, 1], [8, 8, 30, 2, 59, 11]];

function flat(t: Tensor): number[] { return Array.from(t.toFlat()); }

/** Equal up to float rounding: BLAS may sum in another order for another row count (M = B vs M = B*T). */
function close(a: number[], b: number[], what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('lastOnly logits equal the last position of the full logits', () => {
  const m = createModel(cfg, { seed: 11, std: 0.2 });
  noGrad(() => scope(() => {
    const full = m.forward(ids);
    const last = m.forward(ids, { lastOnly: true });
    assert.deepEqual(last.shape, [2, 1, 61]);
    close(flat(last), flat(slice(full, 1, 5, 6)), 'last-position logits');
  }));
  m.dispose();
});

test('lastOnly: a position-specific hook on unembed.hook_out sees the last position', () => {
  const m = createModel(cfg, { seed: 12, std: 0.2 });
  noGrad(() => scope(() => {
    const vec = tensor(Array.from({ length: 61 }, (_, i) => (i % 7) - 3));
    const hooks = [steer('unembed.hook_out', vec, { positions: [5] })];
    const full = m.forward(ids, { hooks });
    const last = m.forward(ids, { hooks, lastOnly: true });
    const plain = m.forward(ids, { lastOnly: true });
    close(flat(last), flat(slice(full, 1, 5, 6)), 'steered last-position logits');
    const steered = flat(last), unsteered = flat(plain);
    assert.ok(Math.abs(steered[1] - unsteered[1] - ((1 % 7) - 3)) < 1e-4, 'the steering vector was added at the last position');
  }));
  m.dispose();
});

test('per-block freeing (no hooks) gives the same logits and gradients as the hooked path, and leaks nothing', () => {
  const m = createModel(cfg, { seed: 13, std: 0.2 });
  for (const p of m.params.values()) p.requireGrad();
  const run = (withHook: boolean) => scope(() => {
    // a no-op hook disables the per-block freeing
    const hooks = withHook ? [{ name: 'blocks.0.hook_resid_pre', fn: () => undefined }] : [];
    const logits = m.forward(ids, { hooks });
    const loss = logits.sum();
    loss.backward();
    const grads = new Map<string, number[]>();
    for (const [n, p] of m.params) { grads.set(n, flat(p.grad!)); p.grad!.dispose(); p.grad = null; }
    return { logits: flat(logits), grads };
  });
  const live0 = storageStats.live;
  const a = run(false);
  assert.equal(storageStats.live, live0, 'storages leaked by the forward/backward without hooks');
  const b = run(true);
  assert.deepEqual(a.logits, b.logits);
  for (const [n, g] of a.grads) assert.deepEqual(g, b.grads.get(n), `gradient of ${n}`);
  m.dispose();
});

test('KVCache.write copies strided k/v the same as contiguous ones', () => {
  const c1 = new KVCache(1, 2, 8, 2, 4), c2 = new KVCache(1, 2, 8, 2, 4);
  scope(() => {
    const k = randn([2, 3, 4, 2], new Rng(1)), v = randn([2, 3, 4, 2], new Rng(2)); // [B, T, Dh, Hkv]: transposed below
    const kt = transpose(k, 2, 3), vt = transpose(v, 2, 3);
    c1.write(0, kt, vt);
    c2.write(0, contiguous(kt), contiguous(vt));
    const [K1, V1] = c1.view(0, 3), [K2, V2] = c2.view(0, 3);
    assert.deepEqual(flat(K1), flat(K2));
    assert.deepEqual(flat(V1), flat(V2));
    assert.deepEqual(flat(K1), flat(contiguous(kt)));
  });
  c1.dispose(); c2.dispose();
});

test('greedy generation (lastOnly + cache) equals an argmax loop over full forwards', () => {
  const m = createModel(cfg, { seed: 14, std: 0.3 });
  const prompt = [4, 19, 33, 7];
  const res = generate(m, [prompt], { maxNewTokens: 6, eosTokenIds: [] });
  const seq = prompt.slice();
  noGrad(() => {
    for (let i = 0; i < 6; i++) {
      const next = scope(() => {
        const logits = m.forward([seq]);
        const T = logits.shape[1];
        return argmax(reshape(slice(logits, 1, T - 1, T), [1, 61])).item();
      });
      seq.push(next);
    }
  });
  assert.deepEqual(res.tokens[0], seq.slice(prompt.length));
  m.dispose();
});

test('decode-shaped matmuls (1..16 rows times a wide weight, plain and transposed) match the reference backend', { skip: getNativeKernels() ? false : 'native addon not built' }, () => {
  for (const [M, N, K] of [[1, 300, 40], [2, 300, 40], [5, 513, 70], [16, 260, 33], [1, 7, 5], [3, 9, 4]]) {
    const run = (backend: 'native' | 'reference') => withBackend(backend, () => scope(() => {
      const rng = new Rng(M * 1000 + N);
      const x = randn([M, K], rng), W = randn([N, K], rng), b = randn([N], rng), Wt = randn([K, N], rng);
      const xT = transpose(randn([K, M], rng), 0, 1); // op(A) transposed: rows strided
      return [flat(linear(x, W)), flat(linear(x, W, b)), flat(matmul(x, Wt)), flat(matmul(xT, Wt)), flat(linear(xT, W))];
    }));
    const nat = run('native'), ref = run('reference');
    nat.forEach((v, i) => close(v, ref[i], `M=${M} N=${N} K=${K} case ${i}`));
  }
});
