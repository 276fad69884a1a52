// GRPO loss maths against the golden set (test/fixtures/grpo, from TRL 1.13.0's own loss code): advantages,
// per-token log-probs on the gpt2 golden model, the three loss types and their gradient norms, saved
// gradients, and the off-policy case where clipping is active. Tolerances from the golden README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/models/index.js';
import { readF32Tensors, gradNorm } from '../../src/nn/index.js';
import { groupAdvantages, buildCompletionBatch, completionLogProbs, grpoLoss, unbiasedStd, type GrpoLossType } from '../../src/calibrate/grpo-loss.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../fixtures');
const golden = JSON.parse(fs.readFileSync(path.join(fixtures, 'grpo/golden.json'), 'utf8'));
const tensors = readF32Tensors(path.join(fixtures, 'grpo/tensors.safetensors')).tensors;
const G: number = golden.num_generations_G;

function close(a: number, b: number, abs: number, what: string): void {
  assert.ok(Math.abs(a - b) <= abs, `${what}: ${a} vs ${b} (|diff| ${Math.abs(a - b)} > ${abs})`);
}
function relClose(a: number, b: number, rel: number, what: string): void {
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b} (rel ${Math.abs(a - b) / Math.abs(b)} > ${rel})`);
}

test('advantages: r − group mean, and TRL group scaling (÷ Bessel std + 1e-4)', () => {
  const none = groupAdvantages(golden.rewards, G, 'none');
  const grp = groupAdvantages(golden.rewards, G, 'group');
  none.forEach((a, i) => close(a, golden.advantages_scale_none[i], 1e-6, `scale_none[${i}]`));
  grp.forEach((a, i) => close(a, golden.advantages_scale_group[i], 1e-6, `scale_group[${i}]`));
  close(unbiasedStd(golden.rewards), golden.reward_std_unbiased, 1e-6, 'std');
  // two groups are centred separately
  const two = groupAdvantages([1, 0, 5, 7], 2);
  assert.deepEqual(two, [0.5, -0.5, -1, 1]);
  assert.throws(() => groupAdvantages([1, NaN], 2), /finite/);
  assert.throws(() => groupAdvantages([1, 2, 3], 2), /groups of 2/);
});

function setup() {
  const model = loadModel(path.join(fixtures, 'models/gpt2'));
  for (const p of model.params.values()) p.requireGrad(true);
  const prompts = golden.completions.map(() => golden.prompt_ids as number[]);
  const batch = buildCompletionBatch(prompts, golden.completions, { padId: golden.pad_id, eosTokenIds: [2], minCompletionWidth: golden.max_completion_length });
  return { model, batch };
}

test('batch layout: completion mask and truncation flags', () => {
  const { model, batch } = setup();
  assert.deepEqual(batch.completionMask, golden.completion_mask);
  assert.deepEqual(batch.truncated, [false, false, false, true]);
  const masked = buildCompletionBatch(golden.completions.map(() => golden.prompt_ids), golden.completions, { padId: 0, eosTokenIds: [2], maskTruncated: true });
  assert.deepEqual(masked.completionMask[3], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(masked.completionMask[0], [1, 1, 1, 0, 0, 0]);
  batch.dispose(); masked.dispose(); model.dispose();
});

test('per-token log-probs on the gpt2 golden model (mask-1 entries, abs 2e-5)', () => {
  const { model, batch } = setup();
  const lp = completionLogProbs(model, batch);
  assert.deepEqual(lp.shape, [4, 6]);
  const flat = lp.toFlat();
  let checked = 0;
  for (let b = 0; b < 4; b++) for (let t = 0; t < 6; t++) {
    if (!golden.completion_mask[b][t]) continue;
    close(flat[b * 6 + t], golden.per_token_logps[b][t], 2e-5, `logp[${b},${t}]`);
    checked++;
  }
  assert.equal(checked, 18);
  // rows of different prompt lengths: a shorter prompt is left-padded and must give the same log-probs
  const short = buildCompletionBatch([golden.prompt_ids.slice(2), golden.prompt_ids], [golden.completions[1], golden.completions[1]], { padId: 0 });
  const alone = buildCompletionBatch([golden.prompt_ids.slice(2)], [golden.completions[1]], { padId: 0 });
  const a = completionLogProbs(model, short).toFlat(), b = completionLogProbs(model, alone).toFlat();
  for (let t = 0; t < 4; t++) close(a[t], b[t], 2e-5, `left-padded row t=${t}`);
  for (let t = 0; t < 4; t++) close(a[4 + t], golden.per_token_logps[1][t], 2e-5, `full row t=${t}`);
  lp.dispose(); batch.dispose(); short.dispose(); alone.dispose(); model.dispose();
});

function lossAndGrad(scaling: 'none' | 'group', type: GrpoLossType, offPolicy: boolean) {
  const { model, batch } = setup();
  const lp = completionLogProbs(model, batch);
  const advantages = scaling === 'none' ? golden.advantages_scale_none : golden.advantages_scale_group;
  let old: Float32Array | null = null;
  if (offPolicy) {
    const D = tensors.get('offpolicy_D')!.data;
    const cur = lp.toFlat();
    old = new Float32Array(24);
    for (let k = 0; k < 24; k++) old[k] = cur[k] + D[k];
  }
  const r = grpoLoss(lp, { advantages, completionMask: batch.completionMask, lossType: type, oldLogProbs: old, maxCompletionLength: golden.max_completion_length });
  const value = r.loss.item();
  r.loss.backward();
  const norm = gradNorm(model.params);
  const grads = new Map([...model.params].map(([n, p]) => [n, p.grad ? p.grad.toFlat() : null]));
  lp.dispose(); r.loss.dispose(); batch.dispose(); model.dispose();
  return { value, norm, grads, r };
}

for (const scaling of ['none', 'group'] as const) {
  for (const type of ['grpo', 'bnpo', 'dr_grpo'] as const) {
    test(`on-policy ${type} loss and gradient norm (scale_${scaling})`, () => {
      const want = golden.on_policy[`scale_${scaling}/${type}`];
      const { value, norm, grads, r } = lossAndGrad(scaling, type, false);
      close(value, want.loss, 1e-6, 'loss');
      relClose(norm, want.grad_norm, 1e-5, 'grad norm');
      assert.equal(r.clippedLow + r.clippedHigh, 0);
      assert.equal(r.activeTokens, 18);
      if (type === 'bnpo') {
        for (const [n, v] of Object.entries(want.grad_norm_per_param as Record<string, number>)) {
          const g = grads.get(n);
          assert.ok(g, `no gradient for ${n}`);
          let s = 0;
          for (const x of g) s += x * x;
          relClose(Math.sqrt(s), v, 1e-4, `per-param norm ${n}`);
        }
        for (const name of ['transformer.ln_f.weight', 'transformer.h.0.attn.c_attn.bias']) {
          const ref = tensors.get(`grad.scale_${scaling}.bnpo.${name}`)!.data;
          const got = grads.get(name)!;
          const maxAbs = Math.max(...Array.from(ref, Math.abs));
          for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(got[i] - ref[i]) <= 2e-5 * maxAbs, `${name}[${i}]: ${got[i]} vs ${ref[i]}`);
        }
      }
    });
  }
}

for (const type of ['grpo', 'bnpo', 'dr_grpo'] as const) {
  test(`off-policy ${type} with clipping active: 2 low + 2 high clipped tokens, loss and grad norm`, () => {
    const want = golden.offpolicy_extra.losses[type];
    const { value, norm, r } = lossAndGrad('group', type, true);
    assert.equal(r.clippedLow, golden.offpolicy_extra.n_low_clipped_tokens);
    assert.equal(r.clippedHigh, golden.offpolicy_extra.n_high_clipped_tokens);
    close(value, want.loss, 1e-6, 'loss');
    relClose(norm, want.grad_norm, 1e-5, 'grad norm');
  });
}

test('k3 KL: zero against itself, positive against a different reference, β adds it to the loss', () => {
  const { model, batch } = setup();
  const lp = completionLogProbs(model, batch);
  const cur = lp.toFlat();
  const adv = golden.advantages_scale_none;
  const same = grpoLoss(lp, { advantages: adv, completionMask: batch.completionMask, beta: 0.1, refLogProbs: cur });
  close(same.meanKl!, 0, 1e-7, 'KL to itself');
  const shifted = Float32Array.from(cur, (x, k) => x + ((k % 3) - 1) * 0.3);
  const base = grpoLoss(lp, { advantages: adv, completionMask: batch.completionMask }).loss.item();
  const withKl = grpoLoss(lp, { advantages: adv, completionMask: batch.completionMask, beta: 0.1, refLogProbs: shifted });
  assert.ok(withKl.meanKl! > 0.01);
  // k3 for d = ±0.3: e^d − d − 1; bnpo aggregation = mean over active tokens
  close(withKl.loss.item(), base + 0.1 * withKl.meanKl!, 1e-6, 'loss with KL');
  assert.throws(() => grpoLoss(lp, { advantages: adv, completionMask: batch.completionMask, beta: 0.1 }), /refLogProbs/);
  batch.dispose(); model.dispose();
});
