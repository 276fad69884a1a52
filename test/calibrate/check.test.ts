// Correctness checkers: SQuAD exact match with aliases, numeric/LaTeX equivalence, and the LLM judge's identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  checkerByName, DEFAULT_JUDGE_TEMPLATE, exactMatch, judgeChecker, judgeTemplateHash, lastNumber, mathEquivalent,
  normalizeAnswer, numericChecker, parseNumber, parseYesNo, unboxed, type Verdict,
} from '../../src/calibrate/check.js';
import type { GenerateRequest, Provider } from '../../src/providers/types.js';

test('SQuAD normalisation and aliases', () => {
  assert.equal(normalizeAnswer('  The Eiffel  Tower. '), 'eiffel tower');
  assert.equal(normalizeAnswer('A cat, an apple & the dog!'), 'cat apple dog');
  assert.equal(normalizeAnswer('Theatre'), 'theatre'); // 'the' only as a word
  assert.ok(exactMatch('eiffel tower', 'The Eiffel Tower'));
  assert.ok(exactMatch('NYC', ['New York City', 'NYC']));
  assert.ok(!exactMatch('Lyon', ['Paris']));
  assert.throws(() => exactMatch('x', []), /gold answer list is empty/);
});

test('numbers: integers, decimals, fractions, separators, LaTeX', () => {
  const cases: [string, number][] = [
    ['42', 42], [' -7 ', -7], ['0.5', 0.5], ['.5', 0.5], ['1/2', 0.5], ['\\frac{1}{2}', 0.5], ['\\dfrac{3}{4}', 0.75],
    ['\\tfrac{3}{4}', 0.75], ['\\frac12', 0.5], ['-\\frac{1}{4}', -0.25], ['\\boxed{12}', 12], ['$\\boxed{\\frac{2}{3}}$', 2 / 3],
    ['1,000', 1000], ['12,345.5', 12345.5], ['1{,}000', 1000], ['11,\\! 111,\\! 111,\\! 100', 11111111100], ['$5$', 5],
    ['50\\%', 50], ['90^\\circ', 90], ['x = 5', 5], ['42 inches', 42], ['5\\text{ cm}', 5], ['1e3', 1000], ['7.', 7],
  ];
  for (const [s, v] of cases) assert.equal(parseNumber(s), v, s);
  for (const s of ['', 'abc', '1,2', '\\frac{\\pi}{2}', '2x', '(1,2)', '1/0', '\\sqrt{2}', '3 + 4i']) assert.equal(parseNumber(s), null, s);
  assert.equal(unboxed('so \\boxed{\\frac{1}{2}} done'), '\\frac{1}{2}');
  assert.equal(lastNumber('The value of $a$ is $-256$.'), -256);
  assert.equal(lastNumber('multiply $10$ by $\\frac{3}{2}$.'), 1.5);
  assert.equal(lastNumber('no digits'), null);
});

test('numeric checker: equivalence, tolerance, tuples, LaTeX strings', async () => {
  const check = numericChecker();
  const yes = (p: string, g: string | string[]) => (check(p, g) as Verdict).correct;
  assert.ok(yes('14/3', '\\frac{14}{3}'));
  assert.ok(yes('0.5', '\\frac12'));
  assert.ok(yes('1000', '1,000'));
  assert.ok(yes('26/36', '\\frac{13}{18}'));
  assert.ok(!yes('0.333', '\\frac{1}{3}'));
  assert.ok((numericChecker({ relTol: 1e-2 })('0.333', '\\frac{1}{3}') as Verdict).correct);
  assert.ok(!yes('1', '-1')); // the authors' SQuAD fallback drops the minus sign; we do not
  assert.ok(yes('(3, $\\frac{\\pi}{2}$)', '\\left( 3, \\frac{\\pi}{2} \\right)'));
  assert.ok(yes('(1/2, -13)', '\\left( \\frac{1}{2}, -13 \\right)'));
  assert.ok(!yes('(1, 2)', '(1, 2, 3)'));
  assert.ok(yes('6 + 9i', '6+9i'));
  assert.ok(yes('Evelyn', '\\text{Evelyn}'));
  assert.ok(yes('The polygon has 15 sides.', '15'));
  assert.ok(!(numericChecker({ lastNumberFallback: false })('The polygon has 15 sides.', '15') as Verdict).correct);
  assert.ok(yes('7', ['6', '7']));
  assert.equal(mathEquivalent('2', '3').method, 'numeric');
  const v = check('abc', '5') as Verdict;
  assert.equal(v.correct, false);
  assert.match(v.detail!, /not a number/);
  assert.equal((checkerByName('exact')('The cat', 'cat') as Verdict).correct, true);
  assert.equal((checkerByName('numeric')('1/2', '0.5') as Verdict).correct, true);
  assert.throws(() => checkerByName('bogus'), /unknown checker 'bogus'/);
});

test('judge: YES/NO parsing', () => {
  assert.equal(parseYesNo('YES'), true);
  assert.equal(parseYesNo('No.'), false);
  assert.equal(parseYesNo(' yes, it matches'), true);
  assert.equal(parseYesNo('maybe'), null);
  assert.equal(parseYesNo('Nope'), null);
});

test('judge checker records model and template hash with every verdict', async () => {
  const seen: GenerateRequest[] = [];
  const replies = ['YES', 'no', 'I cannot say'];
  const provider: Provider = {
    id: 'scripted', model: 'judge-model-1',
    async generate(req) { seen.push(req); return { text: replies[seen.length - 1]!, finishReason: 'stop' }; },
  };
  const judge = judgeChecker(provider);
  const hash = createHash('sha256').update(JSON.stringify([DEFAULT_JUDGE_TEMPLATE.system, DEFAULT_JUDGE_TEMPLATE.user])).digest('hex');
  assert.equal(judgeTemplateHash(DEFAULT_JUDGE_TEMPLATE), hash);
  const a = await judge('bank', ['Option A which is : bank'], { question: 'Where?' });
  const b = await judge('', 'x');
  const c = await judge('z', 'x');
  assert.deepEqual([a.correct, b.correct, c.correct], [true, false, false]);
  for (const v of [a, b, c]) assert.deepEqual(v.judge, { model: 'judge-model-1', templateHash: hash });
  assert.equal(a.method, 'judge');
  assert.match(c.detail!, /unreadable judge reply/);
  assert.match(seen[0]!.messages![1]!.content, /Question: Where\?\nGround-truth answers: Option A which is : bank\nModel answer: bank/);
  assert.match(seen[1]!.messages![1]!.content, /Model answer: I don't know/);
  assert.deepEqual(seen[0]!.params, { temperature: 0, maxTokens: 20 });
  const other = judgeChecker(provider, { template: { system: 's', user: '{pred}' } });
  provider.generate = async () => ({ text: 'YES', finishReason: 'stop' });
  assert.notEqual((await other('a', 'b')).judge!.templateHash, hash);
});
