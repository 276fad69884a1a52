// Storage reuse: native buffers released by disposed tensors are recycled, yet every new tensor still starts
// zero-filled, the live counters return to baseline, and a disposed tensor's data stays unreachable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { empty, zeros, storageStats, matmul, tensor, scope } from '../../src/engine/index.js';

test('recycled buffers come back zero-filled, counters return to baseline', () => {
  const live0 = storageStats.live, bytes0 = storageStats.liveBytes;
  for (const n of [1, 7, 896, 4864, 151936]) {
    for (let round = 0; round < 3; round++) {
      const a = empty([n]);
      a.data.fill(round + 1.5);
      a.dispose();
      const b = round % 2 ? zeros([n]) : empty([n]);
      let nonzero = 0;
      for (let i = 0; i < n; i++) if (b.data[i] !== 0) nonzero++;
      assert.equal(nonzero, 0, `a new [${n}] tensor after a disposed one of the same size has ${nonzero} non-zero values`);
      assert.throws(() => a.data, /disposed/);
      b.dispose();
    }
  }
  assert.equal(storageStats.live, live0);
  assert.equal(storageStats.liveBytes, bytes0);
});

test('gemm outputs left uncleared are still fully written (a recycled buffer full of NaN underneath)', () => {
  scope(() => {
    const junk = empty([2, 3]);
    junk.data.fill(NaN);
    junk.dispose(); // its buffer is what the product below most likely receives
    const y = matmul(tensor([[1, 2], [3, 4]]), tensor([[1, 0, 2], [0, 1, 3]]));
    assert.deepEqual(Array.from(y.data), [1, 2, 8, 3, 4, 18]);
  });
});
