// Autograd end to end against transformers + torch autograd (test/fixtures/grad): loss, every parameter's
// gradient (tied weights summed), the input-embedding gradient, a steering hook's logits and greedy tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, openSafetensors, steer, generate } from '../../src/models/index.js';
import { crossEntropy, scope, slice, reshape, tensor, embedding, Tensor, noGrad } from '../../src/engine/index.js';

const FIX = path.resolve('test/fixtures/grad');

function lmLoss(logits: Tensor, ids: number[][]): Tensor {
  const B = ids.length, T = ids[0].length, V = logits.shape[2];
  const pred = reshape(slice(logits, 1, 0, T - 1), [B * (T - 1), V]);
  const tgt = tensor(new Int32Array(ids.flatMap((r) => r.slice(1))), [B * (T - 1)]);
  return crossEntropy(pred, tgt);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): [number, number] {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return [d, m];
}

for (const c of ['gpt2', 'llama_gqa', 'qwen3']) {
  test(`golden grad ${c}: loss and every parameter gradient match torch autograd`, () => {
    const g = JSON.parse(fs.readFileSync(path.join(FIX, c, 'golden.json'), 'utf8'));
    const m = loadModel(path.join(FIX, c));
    try {
      for (const p of m.params.values()) p.requireGrad();
      scope(() => {
        const loss = lmLoss(m.forward(g.input_ids), g.input_ids);
        assert.ok(Math.abs(loss.item() - g.loss) <= 1e-5, `loss ${loss.item()} vs ${g.loss}`);
        loss.backward();
      });
      const grads = openSafetensors(path.join(FIX, c, 'grads.safetensors'));
      assert.equal(grads.header.size, m.params.size, 'same parameter set');
      for (const name of grads.header.keys()) {
        const want = grads.read(name).data as Float32Array;
        const p = m.params.get(name);
        assert.ok(p && p.grad, `no gradient for ${name}`);
        const [d, mx] = maxAbs(p.grad.toFlat(), want);
        assert.ok(d <= 1e-5 * mx + 1e-6, `${name}: max |Δgrad| ${d} (max |g| ${mx})`);
      }
      grads.close();
    } finally { m.dispose(); }
  });
}

test('golden grad llama_gqa: gradient w.r.t. input embeddings', () => {
  const m = loadModel(path.join(FIX, 'llama_gqa'));
  const g = JSON.parse(fs.readFileSync(path.join(FIX, 'llama_gqa', 'golden.json'), 'utf8'));
  const f = openSafetensors(path.join(FIX, 'llama_gqa', 'inputs_embeds_grad.safetensors'));
  try {
    const emb = noGrad(() => embedding(m.params.get('model.embed_tokens.weight')!, tensor(new Int32Array(g.input_ids.flat()), [2, 12]))).keep().requireGrad();
    scope(() => { lmLoss(m.forward(null, { inputsEmbeds: emb }), g.input_ids).backward(); });
    const [d, mx] = maxAbs(emb.grad!.toFlat(), f.read('inputs_embeds_grad').data as Float32Array);
    assert.ok(d <= 1e-5 * mx + 1e-7, `inputs_embeds grad differs by ${d} (max ${mx})`);
    emb.dispose();
  } finally { f.close(); m.dispose(); }
});

test('golden steering llama_gqa: adding v after layer 1 gives the steered logits and greedy tokens', () => {
  const m = loadModel(path.join(FIX, 'llama_gqa'));
  const g = JSON.parse(fs.readFileSync(path.join(FIX, 'llama_gqa', 'golden.json'), 'utf8'));
  try {
    const v = tensor(g.steering.vector.values).keep();
    const hook = steer('blocks.1.hook_resid_post', v);
    noGrad(() => scope(() => {
      const logits = m.forward(g.input_ids, { hooks: [hook] }).toFlat();
      const [d] = maxAbs(logits, (g.steering.steered_logits as number[][][]).flat(2));
      assert.ok(d <= 1e-4, `steered logits differ by ${d}`);
    }));
    for (const row of g.steering.generate_with_steering) {
      const r = generate(m, [row.prompt], { maxNewTokens: 8, hooks: [hook], eosTokenIds: [] });
      assert.deepEqual(r.tokens[0], row.generate_new_tokens);
    }
    v.dispose();
  } finally { m.dispose(); }
});
