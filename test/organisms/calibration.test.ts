// Calibration recipes: the column-by-column reasoning reaches the right result, every SFT target parses
// with the calibrate layer's strict tabc parser to the gold answer, splits are deterministic and OOD is
// separate, and SFT sequences mask the prompt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseStrict } from '../../src/calibrate/parse.js';
import { loadTokenizer } from '../../src/models/index.js';
import { trainBpe } from '../../src/organisms/bpe.js';
import { writeTokenizer } from '../../src/organisms/bpe-files.js';
import { arithmeticReasoning, calibrationSets, formatCompletion, sftSequence, writeCalibrationSets } from '../../src/organisms/calibration.js';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-cal-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Re-does the column arithmetic the reasoning shows: the last column's result and the lower digits. */
function resultOfReasoning(text: string): number {
  const cols = text.split(', ').map((s) => Number(/=(\d+)/.exec(s)![1]));
  let v = 0;
  cols.forEach((c, i) => { v += (i === cols.length - 1 ? c : c % 10) * 10 ** i; });
  return v;
}

test('the column-by-column reasoning of sums and differences gives the right result', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), (a, b) => {
    assert.equal(resultOfReasoning(arithmeticReasoning(a, '+', b)), a + b);
    const [x, y] = a >= b ? [a, b] : [b, a];
    assert.equal(resultOfReasoning(arithmeticReasoning(x, '-', y)), x - y);
  }));
  assert.equal(arithmeticReasoning(47, '+', 38), '7+8=15 carry 1, 4+3+1=8');
  assert.equal(arithmeticReasoning(27, '*', 4), '20*4=80, 7*4=28, 80+28=108');
  assert.equal(arithmeticReasoning(3, '*', 4), '3*4=12');
});

test('arithmetic sets: deterministic, disjoint OOD splits, targets parse to the gold answer', () => {
  const s = calibrationSets({ seed: 3, sizes: { train: 200, test: 50, 'ood-subtraction': 20, 'ood-3digit': 20, 'ood-multiplication': 20 } });
  assert.deepEqual(calibrationSets({ seed: 3, sizes: { train: 200, test: 50, 'ood-subtraction': 20, 'ood-3digit': 20, 'ood-multiplication': 20 } }), s);
  assert.equal(s.train.length, 200);
  assert.equal(s.test.length, 50);
  assert.deepEqual(Object.keys(s.ood).sort(), ['ood-3digit', 'ood-multiplication', 'ood-subtraction']);
  assert.ok(new Set(s.train.map((x) => x.difficulty)).size === 3, 'three in-domain difficulty levels');
  for (const x of [...s.train, ...s.test, ...Object.values(s.ood).flat()]) {
    const p = parseStrict(x.completion, 'tabc');
    assert.equal(p.formatOk, true, x.completion);
    assert.equal(p.answer, x.answer);
    assert.equal(p.confidence, 0.5);
    assert.equal(x.messages.length, 1, 'compact prompt: one user turn');
    assert.equal(x.messages[0]!.content, x.question);
  }
  const byLevel = calibrationSets({ seed: 3, sizes: { train: 30, test: 0, 'ood-subtraction': 0, 'ood-3digit': 0, 'ood-multiplication': 0 }, format: 'tac', confidence: { kind: 'difficulty', byLevel: { 1: 0.9, 2: 0.6, 3: 0.3 } } });
  for (const x of byLevel.train) assert.equal(parseStrict(x.completion, 'tac').confidence, { 1: 0.9, 2: 0.6, 3: 0.3 }[x.difficulty]);
  assert.throws(() => formatCompletion({ reasoning: 'r', answer: '1', analysis: 'a' }, 'tabc', 1.5), /outside \[0, 1\]/);
  assert.equal(parseStrict(formatCompletion({ reasoning: 'r', answer: '1', analysis: 'a' }, 'ta', null), 'ta').formatOk, true);
});

test('context-QA sets carry their paragraphs in the prompt', () => {
  const s = calibrationSets({ seed: 1, task: 'context-qa', sizes: { train: 20, test: 5, ood: 5 } });
  assert.equal(s.train.length, 20);
  assert.ok(s.ood.ood!.length === 5);
  for (const x of s.train) {
    assert.match(x.messages[0]!.content, /^\[1\] /);
    assert.ok(x.messages[0]!.content.endsWith(x.question));
    assert.equal(parseStrict(x.completion).answer, x.answer);
  }
});

test('SFT sequences put the completion after the chat prompt, end with EOS, and mask the prompt', async () => {
  const tokDir = join(dir, 'tok');
  await writeTokenizer(tokDir, trainBpe(['What is 2 + 3? <think>2+3=5</think> <answer>5</answer>'], { vocabSize: 300 }));
  const tok = loadTokenizer(tokDir);
  const ex = calibrationSets({ seed: 0, sizes: { train: 1, test: 0, 'ood-subtraction': 0, 'ood-3digit': 0, 'ood-multiplication': 0 } }).train[0]!;
  const seq = sftSequence(tok, ex);
  const promptText = tok.decode(seq.ids.slice(0, seq.promptLen), { skipSpecialTokens: false });
  assert.equal(promptText, `User: ${ex.question}\nAssistant:`);
  assert.equal(tok.decode(seq.ids.slice(seq.promptLen, -1), { skipSpecialTokens: false }), ` ${ex.completion}`);
  assert.equal(seq.ids[seq.ids.length - 1], tok.eosTokenId);
  const files = writeCalibrationSets(join(dir, 'sets'), calibrationSets({ seed: 0, sizes: { train: 3, test: 2, 'ood-subtraction': 1, 'ood-3digit': 1, 'ood-multiplication': 1 } }));
  assert.deepEqual(files.map((f) => f.split('/').pop()), ['train.jsonl', 'test.jsonl', 'ood-subtraction.jsonl', 'ood-3digit.jsonl', 'ood-multiplication.jsonl']);
  assert.equal(readFileSync(files[0]!, 'utf8').trim().split('\n').length, 3);
});
