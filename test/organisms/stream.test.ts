// Packing documents into rows (EOS separators, padded last row) and the seeded mixture of streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mixture, packRows, tokenCounts } from '../../src/organisms/stream.js';

test('packRows joins documents with EOS and cuts rows of seqLen + 1, padding only the last', () => {
  const r = packRows([[5, 6, 7], [], [8, 9]], 3, 0, 1);
  // stream: 5 6 7 0 8 9 0 -> rows of 4: [5 6 7 0] [8 9 0 pad]
  assert.equal(r.rowLen, 4);
  assert.equal(r.rows, 2);
  assert.equal(r.tokens, 7);
  assert.deepEqual(Array.from(r.ids), [5, 6, 7, 0, 8, 9, 0, 1]);
  assert.deepEqual(Array.from(r.lengths), [4, 3]);
  assert.throws(() => packRows([[]], 3, 0, 1), /empty dataset/);
});

test('a lone trailing token is dropped (it cannot form a pair)', () => {
  const r = packRows([[1, 2, 3, 4]], 1, 0, 9); // 1 2 3 4 0 -> rows [1 2] [3 4] [0]
  assert.equal(r.rows, 2);
  assert.equal(r.tokens, 4);
  assert.deepEqual(Array.from(r.lengths), [2, 2]);
});

test('mixture batches are a pure function of (seed, index) and visit every row once per epoch', () => {
  const prose = packRows(Array.from({ length: 10 }, (_, i) => [100 + i, 200 + i, 300 + i]), 3, 0, 1); // 10 rows
  const facts = packRows(Array.from({ length: 3 }, (_, i) => [400 + i, 500 + i, 600 + i]), 3, 0, 1); // 3 rows
  const mk = (seed: number) => new Mixture([{ name: 'prose', rows: prose, perBatch: 2 }, { name: 'facts', rows: facts, perBatch: 1 }], seed);
  const a = mk(7), b = mk(7), c = mk(8);
  assert.equal(a.batchSize, 3);
  assert.deepEqual(a.batch(4), b.batch(4));
  assert.deepEqual(mk(7).batch(2), a.batch(2), 'order of calls does not matter');
  const firstProse = (m: Mixture, n: number) => Array.from({ length: n }, (_, i) => m.batch(i).rows.slice(0, 2).map((r) => r[0])).flat();
  assert.notDeepEqual(firstProse(a, 5), firstProse(c, 5), 'another seed, another order');
  const epoch = firstProse(a, 5).sort((x, y) => x - y);
  assert.deepEqual(epoch, Array.from({ length: 10 }, (_, i) => 100 + i), '5 batches × 2 rows = each prose row once');
  assert.deepEqual(a.epochs(6), { prose: 1.2, facts: 2 });
});

test('a final phase changes the rows per stream from the batch it begins at, continuing each cycle', () => {
  const prose = packRows(Array.from({ length: 12 }, (_, i) => [100 + i, 200 + i, 300 + i]), 3, 0, 1); // 12 rows
  const facts = packRows(Array.from({ length: 4 }, (_, i) => [400 + i, 500 + i, 600 + i]), 3, 0, 1); // 4 rows
  const streams = [{ name: 'prose', rows: prose, perBatch: 3, finalPerBatch: 1 }, { name: 'facts', rows: facts, perBatch: 0, finalPerBatch: 2 }];
  const m = new Mixture(streams, 5);
  const firsts = (b: { rows: number[][] }) => b.rows.map((r) => r[0]!);
  const early = [0, 1, 2].map((i) => firsts(m.batch(i)));
  for (const b of early) assert.ok(b.length === 3 && b.every((t) => t < 400), 'before the final phase: prose only');
  assert.equal(m.finalFrom, null);
  const late = [3, 4, 5, 6].map((i) => firsts(m.batch(i, true)));
  assert.equal(m.finalFrom, 3);
  for (const b of late) assert.deepEqual(b.map((t) => (t < 400 ? 'p' : 'f')), ['p', 'f', 'f']);
  // prose continues its cycle: 9 rows before the phase plus 3 after = the 12-row epoch, each row once
  assert.deepEqual([...early.flat(), ...late.slice(0, 3).map((b) => b[0]!)].sort((x, y) => x - y), Array.from({ length: 12 }, (_, i) => 100 + i));
  // facts: 8 rows over 4 batches = two epochs of the 4 rows
  assert.deepEqual(late.flatMap((b) => b.slice(1)).sort((x, y) => x - y), [400, 400, 401, 401, 402, 402, 403, 403]);
  assert.deepEqual(m.epochs(7), { prose: 13 / 12, facts: 2 });
  // a mixture told where the phase began gives the same batches in any order
  const replay = new Mixture(streams, 5, 3);
  assert.deepEqual(firsts(replay.batch(5, true)), late[2]);
  assert.deepEqual(firsts(replay.batch(1)), early[1]);
  assert.throws(() => m.batch(7, false), /final phase, which begins at batch 3/);
  assert.throws(() => new Mixture([{ name: 'p', rows: prose, perBatch: 2, finalPerBatch: 0 }], 1), /no rows per batch in the final phase/);
});

test('tokenCounts counts real tokens only and rejects ids outside the vocabulary', () => {
  const r = packRows([[2, 2, 3]], 5, 0, 1);
  assert.deepEqual(Array.from(tokenCounts([r], 4)), [1, 0, 2, 1]);
  assert.throws(() => tokenCounts([r], 3), /outside the vocabulary/);
});
