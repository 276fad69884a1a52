// Parsers: strict format check (linear scan == spec regex), strict q, the authors' lenient extractor, re-prompts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  appendAnswer, appendConfidence, answerRepromptPrefill, completeWithReprompts, confidenceRepromptPrefill,
  extractConfidence, FORMAT_REGEX, formatMatches, parseLenient, parseProbability, parseStrict, pythonFloat, tagSpans,
  ANSWER_REPROMPT_SUFFIX, CONFIDENCE_REPROMPT_SUFFIX,
} from '../../src/calibrate/parse.js';
import type { GenerateRequest, Provider } from '../../src/providers/types.js';

test('strict parser: shapes', () => {
  const ok = '<think>a</think> <answer>4</answer>\n<analysis>b</analysis> <confidence>0.25</confidence>\n';
  assert.deepEqual(parseStrict(ok), { format: 'tabc', formatOk: true, answer: '4', analysis: 'b', confidence: 0.25 });
  assert.equal(parseStrict('x</think><answer>4</answer><confidence>1</confidence>', 'tac').formatOk, true);
  assert.equal(parseStrict('x</think><answer>4</answer><confidence>1</confidence>', 'tabc').failure, 'shape');
  assert.equal(parseStrict('<think>x</think><answer>4</answer>', 'ta').formatOk, true);
  assert.equal(parseStrict('<think>x</think><answer>4</answer> ok', 'ta').formatOk, false);
  assert.equal(parseStrict('<answer>4</answer>', 'ta').formatOk, false); // no </think>
});

test('strict parser: last tags win', () => {
  const s = '<think>x</think><answer>1</answer><analysis>a</analysis><confidence>0.1</confidence>' +
    '<think>y</think><answer>2</answer><analysis>b</analysis><confidence>0.9</confidence>';
  const p = parseStrict(s);
  assert.equal(p.formatOk, true);
  assert.equal(p.answer, '2');
  assert.equal(p.confidence, 0.9);
});

test('strict q: only finite plain decimals in [0, 1]', () => {
  for (const [s, v] of [['0', 0], ['1', 1], [' 0.75 ', 0.75], ['.5', 0.5], ['1e-1', 0.1], ['1.0', 1], ['-0', 0]] as const) assert.equal(parseProbability(s), v, s);
  for (const s of ['90', '90%', 'nan', 'NaN', 'inf', 'high', '', ' ', '1.01', '-0.1', '0x1', '0.5 0.6', '1_0']) assert.equal(parseProbability(s), null, s);
});

test('property: linear format check equals the spec regex', () => {
  const piece = fc.constantFrom('<think>', '</think>', '<answer>', '</answer>', '<analysis>', '</analysis>', '<confidence>', '</confidence>', ' ', '\n', 'x', '0.5');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 16 }), fc.constantFrom('tabc' as const, 'tac' as const, 'ta' as const), (parts, f) => {
      const s = parts.join('');
      assert.equal(formatMatches(s, f), FORMAT_REGEX[f].test(s), JSON.stringify(s));
    }),
    { numRuns: 5000 },
  );
});

test('format check is linear on hostile input', () => {
  const s = '</think> <answer>'.repeat(20000) + ' '.repeat(100000) + 'x';
  assert.equal(formatMatches(s, 'tabc'), false);
  assert.equal(formatMatches('</think><answer></answer><analysis></analysis><confidence>' + '</confidence> '.repeat(50000), 'tabc'), true);
});

test('tag spans are lazy and leftmost like Python re.findall', () => {
  assert.deepEqual(tagSpans('<confidence>90. <confidence> 0.9 </confidence>', 'confidence'), ['90. <confidence> 0.9 ']);
  assert.deepEqual(tagSpans('<a>1</a><a>2</a><a>3', 'a'), ['1', '2']);
});

test('python float() emulation', () => {
  assert.equal(pythonFloat(' 100. '), 100);
  assert.equal(pythonFloat('+0.5'), 0.5);
  assert.equal(pythonFloat('1_0'), 10);
  assert.ok(Number.isNaN(pythonFloat('nan')!));
  assert.equal(pythonFloat('-Infinity'), -Infinity);
  assert.equal(pythonFloat(''), null);
  assert.equal(pythonFloat('  '), null);
  assert.equal(pythonFloat('0x1A'), null);
  assert.equal(pythonFloat('90%'), null);
  assert.equal(pythonFloat('1__0'), null);
});

test("authors' extractor: README cases", () => {
  const q = (inner: string) => extractConfidence(`<confidence>${inner}</confidence>`);
  assert.deepEqual([q('0.6').confidence, q('0.6').formatOk], [0.6, true]);
  assert.equal(q('100.').confidence, 1);
  assert.equal(q('90.').confidence, 0.9);
  assert.equal(q('1').confidence, 1);
  assert.equal(q('1.0').via, 'float');
  assert.equal(q(' I am 90% confident in this answer. ').confidence, 0.9);
  assert.equal(q('10. </think><answer> 12 </answer> …').confidence, 0.1);
  assert.equal(q('0. </think><confidence> 0.01 ').confidence, 0);
  assert.equal(extractConfidence('<confidence>90. <confidence> 0.9 </confidence>').confidence, 0.9);
  for (const bad of ['', 'nan', 'inf', '-5', '101', 'high', '250%']) {
    const r = q(bad);
    assert.deepEqual([r.confidence, r.formatOk], [0, false], bad);
  }
  assert.equal(q(' ').formatOk, false); // whitespace: float raises, no number
  assert.deepEqual(extractConfidence('no tag at all'), { confidence: 0, formatOk: false, raw: null, via: 'none' });
});

test('lenient parse flags the re-prompts', () => {
  const p = parseLenient('<think>x</think> no answer here');
  assert.equal(p.needsAnswerReprompt, true);
  assert.equal(p.needsConfidenceReprompt, true);
  assert.equal(p.answer, '');
  const r = parseLenient('<answer> 5 </answer><confidence></confidence>');
  assert.equal(r.needsAnswerReprompt, false);
  assert.equal(r.needsConfidenceReprompt, false); // a closed (empty) span exists: no re-prompt, q = 0, flag 0
  assert.equal(r.formatOk, false);
});

test('re-prompt texts match the authors exactly', () => {
  assert.equal(ANSWER_REPROMPT_SUFFIX, 'Thinking time ended \n\n. My final answer is ');
  assert.equal(CONFIDENCE_REPROMPT_SUFFIX, 'Thinking time ended \n\n. My verbalized confidence in my answer as a number between 0 and 100 is equal to ');
  assert.equal(answerRepromptPrefill('G'), 'GThinking time ended \n\n. My final answer is ');
  assert.equal(confidenceRepromptPrefill('T'), 'T' + CONFIDENCE_REPROMPT_SUFFIX);
  assert.equal(appendAnswer('G', '42'), 'G<answer> 42 </answer>');
  assert.equal(appendConfidence('T', '90.'), 'T<confidence>90.</confidence>');
});

test('completeWithReprompts runs answer then confidence re-prompt', async () => {
  const seen: GenerateRequest[] = [];
  const replies = ['42', '90.'];
  const provider: Provider = {
    id: 'scripted', model: 'scripted',
    async generate(req) { seen.push(req); return { text: replies[seen.length - 1]!, finishReason: 'stop' }; },
  };
  const r = await completeWithReprompts(provider, [{ role: 'user', content: 'q' }], '<think>hmm</think>');
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.prefill, '<think>hmm</think>' + ANSWER_REPROMPT_SUFFIX);
  assert.deepEqual(seen[0]!.params, { temperature: 0, maxTokens: 50 });
  assert.equal(seen[1]!.prefill, '<think>hmm</think><answer> 42 </answer>' + CONFIDENCE_REPROMPT_SUFFIX);
  assert.deepEqual(seen[1]!.params, { temperature: 0, maxTokens: 20 });
  assert.equal(r.text, '<think>hmm</think><answer> 42 </answer><confidence>90.</confidence>');
  assert.equal(r.answer, ' 42 ');
  assert.equal(r.confidence, 0.9);
  assert.equal(r.appendedAnswer && r.appendedConfidence, true);
});
