// Loss masking and mixed-length collation: pad and prompt positions never train.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, scope, tensor, randn, crossEntropy } from '../../src/engine/index.js';
import { collateCausal, maskedTokenLoss, IGNORE_INDEX } from '../../src/nn/index.js';

test('collateCausal: right padding, shifted targets, pad and prompt targets are -100', () => {
  scope(() => {
    const b = collateCausal([[5, 6, 7, 8], { ids: [1, 2, 3, 4, 9, 9], promptLen: 3 }, [4, 3]], { padId: 0 });
    assert.deepEqual(b.inputIds.shape, [3, 5]);
    assert.deepEqual(b.inputIds.toArray(), [[5, 6, 7, 0, 0], [1, 2, 3, 4, 9], [4, 0, 0, 0, 0]]);
    assert.deepEqual(b.targets.toArray(), [[6, 7, 8, -100, -100], [-100, -100, 4, 9, 9], [3, -100, -100, -100, -100]]);
    assert.deepEqual(b.attentionMask.toArray(), [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]);
    assert.equal(b.tokens, 3 + 3 + 1);
    assert.equal(b.inputTokens, 3 + 5 + 1);
    const t = collateCausal([[1, 2, 3, 4, 5]], { padId: 0, maxLen: 3 });
    assert.deepEqual(t.targets.toArray(), [[2, 3]]);
  });
  assert.throws(() => collateCausal([[1]], { padId: 0 }), /at least 2 are needed/);
  assert.throws(() => collateCausal([], { padId: 0 }), /empty batch/);
});

test('maskedTokenLoss: mean over trained positions only; pad logits get no gradient', () => {
  scope(() => {
    const rng = new Rng(1);
    const logits = randn([2, 3, 5], rng).requireGrad();
    const targets = tensor(new Int32Array([1, 2, 3, 4, 0, 2]), [2, 3]);
    const mask = tensor(new Int32Array([1, 1, 0, 1, 0, 0]), [2, 3]);
    const loss = maskedTokenLoss(logits, targets, mask);
    // reference: log-softmax by hand over the 3 kept rows
    const l = logits.toFlat();
    let want = 0;
    for (const r of [0, 1, 3]) {
      const row = Array.from(l.subarray(r * 5, r * 5 + 5));
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
      want += lse - row[targets.toFlat()[r]];
    }
    assert.ok(Math.abs(loss.item() - want / 3) < 1e-5, `${loss.item()} vs ${want / 3}`);
    loss.backward();
    const g = logits.grad!.toFlat();
    for (const r of [2, 4, 5]) assert.ok(g.subarray(r * 5, r * 5 + 5).every((v) => v === 0), `masked row ${r} has zero gradient`);
    assert.ok(g.subarray(0, 5).some((v) => v !== 0));
    // without a mask, -100 targets are ignored the same way
    const t2 = tensor(new Int32Array([1, 2, IGNORE_INDEX, 4, IGNORE_INDEX, IGNORE_INDEX]), [2, 3]);
    assert.ok(Math.abs(maskedTokenLoss(logits, t2).item() - loss.item()) < 1e-7);
    assert.equal(maskedTokenLoss(logits, t2).item(), crossEntropy(logits, t2).item());
    assert.throws(() => maskedTokenLoss(logits, targets, tensor(new Int32Array([1, 1]), [2])), /does not match targets/);
  });
});

test('a right-padded mixed-length batch gives the token-weighted mean of the unpadded sequences', async () => {
  const { makeCharModel, disposeAll } = await import('./helpers.js');
  const model = makeCharModel(new Rng(3), 11, 8);
  const seqs = [{ ids: [1, 2, 3, 4, 5, 6, 7], promptLen: 2 }, { ids: [9, 8, 7] }, { ids: [4, 4, 5, 6], promptLen: 3 }];
  scope(() => {
    const b = collateCausal(seqs, { padId: 0 });
    const batchLoss = maskedTokenLoss(model.forward(b.inputIds), b.targets).item();
    let sum = 0, n = 0;
    for (const s of seqs) {
      const one = collateCausal([s], { padId: 0 });
      sum += maskedTokenLoss(model.forward(one.inputIds), one.targets).item() * one.tokens;
      n += one.tokens;
    }
    assert.equal(b.tokens, n);
    assert.ok(Math.abs(batchLoss - sum / n) < 1e-5, `${batchLoss} vs ${sum / n}`);
  });
  disposeAll(model.params);
});
