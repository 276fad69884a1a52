// Arithmetic calibration tasks: correct answers, graded levels, disjoint train/test, OOD splits, determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARITHMETIC_SPLITS, arithmeticTasks } from '../../src/data/index.js';

test('answers are right and every split has its size', () => {
  const items = arithmeticTasks({ seed: 1, sizes: { train: 500, test: 200, 'ood-subtraction': 50, 'ood-3digit': 50, 'ood-multiplication': 50 } });
  const bySplit = (s: string) => items.filter((i) => i.split === s);
  assert.deepEqual(ARITHMETIC_SPLITS.map((s) => bySplit(s).length), [500, 200, 50, 50, 50]);
  for (const it of items) {
    const m = /^What is (\d+) ([-+*]) (\d+)\?$/.exec(it.question);
    assert.ok(m, it.question);
    const [a, op, b] = [Number(m[1]), m[2], Number(m[3])];
    assert.equal(Number(it.answer), op === '+' ? a + b : op === '-' ? a - b : a * b, it.question);
    assert.ok(Number(it.answer) >= 0);
  }
  for (const level of [1, 2, 3]) assert.ok(bySplit('train').filter((i) => i.difficulty === level).length > 100, `level ${level}`);
  assert.ok(bySplit('train').every((i) => i.op === '+' && i.digits <= 2));
  assert.ok(bySplit('ood-3digit').every((i) => i.a >= 100 && i.b >= 100 && i.op === '+'));
  assert.ok(bySplit('ood-subtraction').every((i) => i.op === '-'));
  assert.ok(bySplit('ood-multiplication').every((i) => i.op === '*'));
  const carry = items.find((i) => i.a === 76 && i.b === 98 && i.op === '+');
  if (carry) assert.equal(carry.carries, 2);
});

test('train and test are disjoint beyond the 100 one-digit sums (fully, with easyOverlap: false)', () => {
  const items = arithmeticTasks({ seed: 2 });
  const test_ = new Set(items.filter((i) => i.split === 'test').map((i) => i.question));
  const shared = items.filter((i) => i.split === 'train' && test_.has(i.question));
  assert.ok(shared.every((i) => i.difficulty === 1));
  const strict = arithmeticTasks({ seed: 2, easyOverlap: false, sizes: { train: 1000, test: 100 } });
  const strictTest = new Set(strict.filter((i) => i.split === 'test').map((i) => i.question));
  assert.equal(strict.filter((i) => i.split === 'train' && strictTest.has(i.question)).length, 0);
});

test('deterministic by seed', () => {
  assert.deepEqual(arithmeticTasks({ seed: 5 }), arithmeticTasks({ seed: 5 }));
  assert.notDeepEqual(arithmeticTasks({ seed: 5 }), arithmeticTasks({ seed: 6 }));
  assert.throws(() => arithmeticTasks({ seed: 1, sizes: { train: -1 } }), /train/);
});
