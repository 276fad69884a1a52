// Two AdamW steps on the golden models with glassbox's own gradients match torch.optim.AdamW
// (tolerances from the golden README: tight where |g| > 1e-5, loose where the gradient is rounding noise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, openSafetensors } from '../../src/models/index.js';
import { crossEntropy, scope, slice, reshape, tensor, type Tensor } from '../../src/engine/index.js';
import { AdamW } from '../../src/nn/index.js';

const FIX = path.resolve('test/fixtures/grad');

function lmLoss(logits: Tensor, ids: number[][]): Tensor {
  const B = ids.length, T = ids[0].length, V = logits.shape[2];
  return crossEntropy(reshape(slice(logits, 1, 0, T - 1), [B * (T - 1), V]), tensor(new Int32Array(ids.flatMap((r) => r.slice(1))), [B * (T - 1)]));
}

for (const c of ['gpt2', 'llama_gqa', 'qwen3']) {
  test(`golden AdamW ${c}: two steps with our gradients match torch (and the loss after step 1)`, () => {
    const g = JSON.parse(fs.readFileSync(path.join(FIX, c, 'golden.json'), 'utf8'));
    const m = loadModel(path.join(FIX, c));
    const gradsFile = openSafetensors(path.join(FIX, c, 'grads.safetensors'));
    try {
      for (const p of m.params.values()) p.requireGrad();
      const opt = new AdamW(m.params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
      const step = () => scope(() => { const l = lmLoss(m.forward(g.input_ids), g.input_ids); const v = l.item(); l.backward(); opt.step(); opt.zeroGrad(); return v; });
      const torchGrad = new Map<string, Float32Array>();
      for (const n of gradsFile.header.keys()) torchGrad.set(n, gradsFile.read(n).data as Float32Array);
      step();
      const check = (file: string, label: string) => {
        const f = openSafetensors(path.join(FIX, c, file));
        for (const name of f.header.keys()) {
          const want = f.read(name).data as Float32Array;
          const got = m.params.get(name)!.toFlat();
          const gr = torchGrad.get(name)!;
          let worstTight = 0, worstLoose = 0;
          for (let i = 0; i < want.length; i++) {
            const dd = Math.abs(got[i] - want[i]);
            if (Math.abs(gr[i]) > 1e-5) worstTight = Math.max(worstTight, dd); else worstLoose = Math.max(worstLoose, dd);
          }
          const tight = label === 'step 1' ? 1e-6 : 5e-6;
          assert.ok(worstTight <= tight, `${label} ${name}: |Δ| ${worstTight} where |g| > 1e-5`);
          assert.ok(worstLoose <= 4.2e-3, `${label} ${name}: |Δ| ${worstLoose} on near-zero gradients`);
        }
        f.close();
      };
      check('after_adamw.safetensors', 'step 1');
      const loss1 = step();
      assert.ok(Math.abs(loss1 - g.adamw.loss_after_step1) <= 2e-5, `loss after step 1 ${loss1} vs ${g.adamw.loss_after_step1}`);
      check('after_adamw_step2.safetensors', 'step 2');
      opt.dispose();
    } finally { gradsFile.close(); m.dispose(); }
  });
}
