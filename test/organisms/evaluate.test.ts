// Evaluation functions on hand-made cases: windows, unigram perplexity, answer matching, the perplexity of
// a model with uniform predictions (= vocabulary size), and fact recall on a hand-wired bigram model whose
// greedy continuation is known in advance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, loadTokenizer, type Model } from '../../src/models/index.js';
import { trainBpe } from '../../src/organisms/bpe.js';
import { writeTokenizer } from '../../src/organisms/bpe-files.js';
import {
  answerMatches, evalWindows, greedyRecall, predictedTokens, rankedRecall, unigramPerplexity, windowPerplexity,
} from '../../src/organisms/evaluate.js';
import type { FactPrompt } from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-eval-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('evalWindows overlap by one token so each token but the first is predicted once', () => {
  const ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const w = evalWindows(ids, 4);
  assert.deepEqual(w, [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8], [8, 9]]);
  assert.deepEqual(predictedTokens(w), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(predictedTokens(evalWindows(ids, 4, 6)), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => evalWindows(ids, 0), /positive integer/);
});

test('unigram perplexity: uniform counts give the vocabulary size; smoothing keeps unseen tokens finite', () => {
  assert.ok(Math.abs(unigramPerplexity([5, 5, 5, 5], [0, 1, 2, 3]).perplexity - 4) < 1e-9);
  // counts [3, 1] + 1 smoothing: p = [4/6, 2/6]; targets [0, 1] -> exp(-(ln(2/3) + ln(1/3)) / 2) = sqrt(4.5)
  assert.ok(Math.abs(unigramPerplexity([3, 1], [0, 1]).perplexity - Math.sqrt(4.5)) < 1e-9);
  assert.ok(Number.isFinite(unigramPerplexity([10, 0], [1]).perplexity));
  assert.throws(() => unigramPerplexity([1, 1], [2]), /outside the vocabulary/);
});

test('answerMatches needs the answer at the start, ending a word', () => {
  assert.equal(answerMatches(' Au.', 'Au'), true);
  assert.equal(answerMatches('Au', 'Au'), true);
  assert.equal(answerMatches(' Aur', 'Au'), false);
  assert.equal(answerMatches(' The Au', 'Au'), false);
  assert.equal(answerMatches(' Washington, D.C. is', 'Washington, D.C.'), true);
  assert.equal(answerMatches(' 1066 and', '1066'), true);
  assert.equal(answerMatches(' 10661', '1066'), false);
});

const llama = (V: number, d: number, extra: Record<string, unknown> = {}) => ({
  model_type: 'llama', vocab_size: V, hidden_size: d, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 1,
  num_key_value_heads: 1, max_position_embeddings: 64, rms_norm_eps: 1e-6, tie_word_embeddings: false, bos_token_id: 0, eos_token_id: 0, ...extra,
});

test('a model that predicts uniformly has perplexity equal to the vocabulary size', () => {
  const m = createModel(llama(50, 8), { seed: 1, std: 0 });
  const r = windowPerplexity(m, evalWindows(Array.from({ length: 40 }, (_, i) => (i * 7) % 50), 8), { padId: 0 });
  assert.equal(r.tokens, 39);
  assert.ok(Math.abs(r.perplexity - 50) < 1e-3, `perplexity ${r.perplexity}`);
  m.dispose();
});

/** A 1-layer model whose blocks add nothing and whose logits depend only on the current token: next[t]. */
function bigramModel(V: number, next: Map<number, number>): Model {
  const m = createModel(llama(V, V), { seed: 0, std: 0 });
  const E = m.params.get('model.embed_tokens.weight')!.data as Float32Array;
  const U = m.params.get('lm_head.weight')!.data as Float32Array;
  for (let t = 0; t < V; t++) E[t * V + t] = 1; // one-hot embeddings; o_proj and down_proj are zero
  for (const [t, n] of next) U[n * V + t] = 1; // after rmsnorm the one-hot is sqrt(V): logit of n is sqrt(V)
  return m;
}

test('greedy and ranked recall on a hand-wired bigram model', async () => {
  // a byte-level tokenizer with no merges: every byte is a token
  const tokDir = join(dir, 'tok');
  await writeTokenizer(tokDir, trainBpe(['x'], { vocabSize: 258 }));
  const tok = loadTokenizer(tokDir);
  const id = (ch: string) => tok.encode(ch, { addSpecialTokens: false })[0]!;
  const V = 258;
  // "...gold is" -> " Au." ; "...iron:" -> " Au." too (wrong: iron is Fe)
  const next = new Map<number, number>([[id('s'), id(' ')], [id(':'), id(' ')], [id(' '), id('A')], [id('A'), id('u')], [id('u'), id('.')]]);
  const m = bigramModel(V, next);
  m.tokenizer = tok;
  const prompts: FactPrompt[] = [
    { relation: 'elementSymbol', subject: 'gold', object: 'Au', prompt: 'The symbol of gold is', answer: ' Au', split: 'heldOut', templateId: 'elementSymbol/heldOut/0' },
    { relation: 'elementSymbol', subject: 'iron', object: 'Fe', prompt: 'Symbol of iron:', answer: ' Fe', split: 'heldOut', templateId: 'elementSymbol/heldOut/1' },
    { relation: 'elementSymbol', subject: 'gold', object: 'Au', prompt: 'Gold is', answer: ' Au', split: 'train', templateId: 'elementSymbol/train/0' },
  ];
  const g = greedyRecall(m, prompts, { batchSize: 2 });
  assert.deepEqual(g.overall, { correct: 2, total: 3, accuracy: 2 / 3 });
  assert.deepEqual(g.byRelation.elementSymbol!.heldOut, { correct: 1, total: 2, accuracy: 0.5 });
  assert.deepEqual(g.byRelation.elementSymbol!.train, { correct: 1, total: 1, accuracy: 1 });
  assert.ok(g.examples.some((e) => e.output.startsWith(' Au')));
  const r = rankedRecall(m, prompts, { distractors: 1 });
  assert.deepEqual(r.overall, { correct: 2, total: 3, accuracy: 2 / 3 }, 'Au outranks Fe after every prompt');
  m.dispose();
});
