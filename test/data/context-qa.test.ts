// Context QA: the answer paragraph is present for about two thirds of items and absent (with no trace of
// the answer) for the rest; train/test subjects disjoint; OOD relation; deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextQaTasks } from '../../src/data/index.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const mentions = (text: string, word: string) => new RegExp(`(^|[^\\p{L}])${escape(word)}([^\\p{L}]|$)`, 'u').test(text);

test('answer in context for ~2/3 of items, and nowhere in context otherwise', () => {
  const items = contextQaTasks({ seed: 4, sizes: { train: 900, test: 300, ood: 300 } });
  for (const split of ['train', 'test', 'ood'] as const) {
    const xs = items.filter((i) => i.split === split);
    const missing = xs.filter((i) => !i.answerInContext).length / xs.length;
    assert.ok(missing > 0.25 && missing < 0.42, `${split}: missing share ${missing}`);
  }
  for (const it of items) {
    assert.equal(it.paragraphs.length, 4);
    assert.equal(it.context, it.paragraphs.join('\n\n'));
    assert.equal(mentions(it.context, it.answer), it.answerInContext, `${it.id}: ${it.question} -> ${it.answer}\n${it.context}`);
    // context is plain statements: no question-answer or "Label: value" training forms
    assert.ok(!/[?:]/.test(it.context), `${it.id}: context has a question or label form\n${it.context}`);
  }
});

test('in-domain train and test use disjoint subjects; OOD uses another relation', () => {
  const items = contextQaTasks({ seed: 4 });
  const trainSubjects = new Set(items.filter((i) => i.split === 'train').map((i) => i.subject));
  for (const it of items.filter((i) => i.split === 'test')) assert.ok(!trainSubjects.has(it.subject), it.subject);
  assert.ok(items.filter((i) => i.split !== 'ood').every((i) => i.relation === 'capital'));
  assert.ok(items.filter((i) => i.split === 'ood').every((i) => i.relation === 'elementSymbol'));
  const q = items.find((i) => i.split === 'train')!;
  assert.match(q.question, /capital of/);
});

test('deterministic by seed; bad options fail loudly', () => {
  assert.deepEqual(contextQaTasks({ seed: 9, sizes: { train: 50, test: 20, ood: 20 } }), contextQaTasks({ seed: 9, sizes: { train: 50, test: 20, ood: 20 } }));
  assert.throws(() => contextQaTasks({ seed: 1, relations: ['nope' as 'capital'] }), /unknown relation "nope"/);
  assert.throws(() => contextQaTasks({ seed: 1, missingFraction: 2 }), /missingFraction/);
});
