// The organism corpus: determinism, deduplication, disjoint train/held-out, held-out templates never in
// train, fact exposures as asked, and the prose budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCorpus, chunkText, dedupDocuments, FACT_TEMPLATES, normalizedHash, renderFact, type Corpus } from '../../src/data/index.js';

// factRepeats covers every train template of both relations once per fact
const factRepeats = Math.max(FACT_TEMPLATES.elementSymbol.train.length, FACT_TEMPLATES.capital.train.length);
const options = { seed: 7, facts: { elementSymbol: 'all', capital: 30 } as const, factRepeats, maxProseChars: 3_000_000 };
let first: Corpus | undefined;
const corpus = () => (first ??= buildCorpus(options));

test('same seed, same corpus; another seed, another corpus', () => {
  const a = corpus();
  const b = buildCorpus(options);
  assert.equal(a.stats.hash, b.stats.hash);
  assert.deepEqual(a.train, b.train);
  assert.deepEqual(a.heldOut, b.heldOut);
  const c = buildCorpus({ ...options, seed: 8 });
  assert.notEqual(c.stats.hash, a.stats.hash);
});

test('train and held-out share no chunk, and held-out is a few percent of the prose', () => {
  const { train, heldOut, stats } = corpus();
  const trainHashes = new Set(train.map(normalizedHash));
  for (const h of heldOut) assert.ok(!trainHashes.has(normalizedHash(h)), `held-out chunk also in train: ${h.slice(0, 60)}`);
  assert.ok(heldOut.length > 50);
  const all = buildCorpus({ seed: 7, sources: ['mobyDick', 'sotu'] });
  const share = all.stats.heldOutChars / (all.stats.heldOutChars + all.stats.trainProseChars);
  assert.ok(share > 0.01 && share < 0.15, `held-out share ${share}`);
  assert.ok(stats.trainProseChars <= 3_000_000);
  assert.ok(stats.trainProseChars > 2_500_000);
});

test('held-out paraphrase templates never appear in train; train templates do', () => {
  const { train, factEval } = corpus();
  const text = train.join('\n');
  const heldOut = factEval.filter((p) => p.split === 'heldOut');
  const seen = factEval.filter((p) => p.split === 'train');
  assert.equal(heldOut.length, 118 * FACT_TEMPLATES.elementSymbol.heldOut.length + 30 * FACT_TEMPLATES.capital.heldOut.length);
  for (const p of heldOut) assert.ok(!text.includes(p.prompt + p.answer), `held-out sentence in train: ${p.prompt}${p.answer}`);
  for (const p of seen) assert.ok(text.includes(p.prompt + p.answer), `train sentence missing: ${p.prompt}${p.answer}`);
});

test('each fact is stated exactly factRepeats times in the fact documents', () => {
  const { train, facts, stats } = corpus();
  assert.equal(stats.factCount, 148);
  assert.equal(stats.factSentences, 148 * factRepeats);
  const gold = facts.find((f) => f.subject === 'Gold')!;
  const sentences = FACT_TEMPLATES.elementSymbol.train.map((t) => renderFact(t, gold));
  let n = 0;
  for (const doc of train) for (const s of sentences) n += doc.split(s).length - 1;
  assert.equal(n, factRepeats);
});

test('dedup drops documents and paragraphs equal up to case, punctuation and spacing', () => {
  const long = 'The quick brown fox jumps over the lazy dog near the river bank.';
  const docs = [
    { id: 'a', text: `${long}\n\nFirst unique paragraph that is long enough to count.` },
    { id: 'b', text: `${long.toUpperCase().replace(/\./g, '!')}\n\nSecond unique paragraph that is long enough too.` },
    { id: 'c', text: `  ${long}  \n\nfirst UNIQUE paragraph, that is long enough to count` },
    { id: 'd', text: 'Short.\n\nShort.' },
  ];
  const out = dedupDocuments(docs, 32);
  assert.deepEqual(out.docs.map((d) => d.id), ['a', 'b', 'd']);
  assert.equal(out.docs[1]!.text, 'Second unique paragraph that is long enough too.');
  assert.equal(out.docs[2]!.text, 'Short.\n\nShort.', 'short paragraphs are kept');
  assert.equal(out.duplicateParagraphs, 1);
  assert.equal(out.duplicateDocuments, 1);
  assert.equal(corpus().stats.duplicateDocuments + corpus().stats.duplicateParagraphs > 0, true);
});

test('chunkText keeps every word, in order, in chunks of bounded size', () => {
  const sentence = (i: number) => `Sentence number ${i} says something of moderate length here.`;
  const text = [Array.from({ length: 80 }, (_, i) => sentence(i)).join(' '), 'A short paragraph.', sentence(999)].join('\n\n');
  const chunks = chunkText(text, 500);
  assert.ok(chunks.length > 5);
  for (const c of chunks) assert.ok(c.length <= 500, `chunk of ${c.length}`);
  assert.deepEqual(chunks.join(' ').split(/\s+/), text.split(/\s+/));
  assert.deepEqual(chunkText('short', 500), ['short']);
});

test('bad options fail loudly', () => {
  assert.throws(() => buildCorpus({ seed: 1.5 }), /seed/);
  assert.throws(() => buildCorpus({ seed: 1, heldOutFraction: 1 }), /heldOutFraction/);
  assert.throws(() => buildCorpus({ seed: 1, sources: ['nope' as 'sotu'] }), /unknown prose source "nope"/);
});
