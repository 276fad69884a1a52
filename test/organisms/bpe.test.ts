// Byte-level BPE trainer: the incremental trainer equals a naive recount-every-step trainer; the written
// tokenizer.json loads in @huggingface/tokenizers, round-trips arbitrary text (fast-check, unicode, emoji),
// makes common words single tokens, and has the same component layout as a golden HF GPT-2 tokenizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Tokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { loadBrown, loadMobyDick } from '../../src/data/index.js';
import { BYTE_TO_CHAR, fromByteChars, pretokenize, toByteChars } from '../../src/organisms/bpe-bytes.js';
import { countWords, trainBpe, type BpeModel } from '../../src/organisms/bpe.js';
import { tokenizerConfig, tokenizerJson, writeTokenizer } from '../../src/organisms/bpe-files.js';
import { loadTokenizer } from '../../src/models/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'glassbox-bpe-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const text = [...loadBrown().slice(0, 120).map((t) => t.text), ...loadMobyDick().slice(0, 40).map((s) => s.text)];
let trained: BpeModel | undefined;
const model = () => (trained ??= trainBpe(text, { vocabSize: 2000, chatTokens: true }));
const load = (m: BpeModel) => new Tokenizer(tokenizerJson(m), tokenizerConfig(m));

/** Reference trainer: recount every pair of every word at every step (slow, obviously right). */
function naiveMerges(words: Map<string, number>, nMerges: number): Array<[string, string]> {
  const strings = [...BYTE_TO_CHAR];
  const idOf = new Map(strings.map((s, i) => [s, i]));
  let table = [...words].map(([w, c]) => ({ s: [...w].map((ch) => idOf.get(ch)!), c }));
  const merges: Array<[string, string]> = [];
  while (merges.length < nMerges) {
    const counts = new Map<number, number>();
    for (const { s, c } of table) for (let i = 0; i + 1 < s.length; i++) counts.set(s[i]! * 65536 + s[i + 1]!, (counts.get(s[i]! * 65536 + s[i + 1]!) ?? 0) + c);
    let best = -1, bestCount = 0;
    for (const [k, c] of counts) if (c > bestCount || (c === bestCount && k < best)) { best = k; bestCount = c; }
    if (bestCount < 2) break;
    const a = Math.floor(best / 65536), b = best % 65536;
    const merged = strings[a]! + strings[b]!;
    let id = idOf.get(merged);
    if (id === undefined) { id = strings.length; strings.push(merged); idOf.set(merged, id); }
    merges.push([strings[a]!, strings[b]!]);
    table = table.map(({ s, c }) => {
      const next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { next.push(id!); i++; } else next.push(s[i]!);
      }
      return { s: next, c };
    });
  }
  return merges;
}

test('byte map: 256 distinct printable characters, space -> Ġ, newline -> Ċ, reversible', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(BYTE_TO_CHAR[32], 'Ġ');
  assert.equal(BYTE_TO_CHAR[10], 'Ċ');
  assert.equal(BYTE_TO_CHAR[65], 'A');
  assert.deepEqual(pretokenize("Hello world, it's 2024!"), ['Hello', ' world', ',', ' it', "'s", ' 2024', '!']);
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => fromByteChars(toByteChars(s)) === s));
});

test('incremental pair counting gives exactly the merges of a naive recount', () => {
  const words = countWords(text.slice(0, 15));
  const fast = trainBpe(words, { vocabSize: 2 + 256 + 300, minFrequency: 2 });
  assert.deepEqual(fast.merges, naiveMerges(words, 300));
  const aaa = new Map([[toByteChars('aaaa'), 5], [toByteChars(' aaa'), 3], [toByteChars('aab'), 2]]);
  assert.deepEqual(trainBpe(aaa, { vocabSize: 2 + 256 + 6 }).merges, naiveMerges(aaa, 6));
});

test('vocabulary: exact size, specials first, every merge result in the vocab, deterministic', () => {
  const m = model();
  assert.equal(m.tokens.length, 2000);
  assert.deepEqual(m.tokens.slice(0, 4), ['<|endoftext|>', '<|pad|>', '<|im_start|>', '<|im_end|>']);
  assert.equal(new Set(m.tokens).size, m.tokens.length);
  const vocab = new Set(m.tokens);
  for (const [l, r] of m.merges) assert.ok(vocab.has(l) && vocab.has(r) && vocab.has(l + r), `${l} ${r}`);
  assert.deepEqual(trainBpe(text.slice(0, 30), { vocabSize: 700 }), trainBpe(text.slice(0, 30), { vocabSize: 700 }));
  assert.throws(() => trainBpe(['x'], { vocabSize: 100 }), /smaller than 2 special \+ 256 byte tokens/);
});

test('@huggingface/tokenizers loads the written files; ids match; common words are one token', async () => {
  const m = model();
  const paths = await writeTokenizer(dir, m);
  const tok = new Tokenizer(JSON.parse(readFileSync(paths.tokenizerJson, 'utf8')), JSON.parse(readFileSync(paths.tokenizerConfig, 'utf8')));
  assert.equal(tok.token_to_id('Ġthe'), m.tokens.indexOf('Ġthe'));
  for (const w of [' the', ' of', ' and', ' to', ' in', ' was', ' that', ' his', 'The', ' said', ' would']) {
    assert.equal(tok.encode(w).ids.length, 1, `${JSON.stringify(w)} -> ${tok.tokenize(w).join(' | ')}`);
  }
  const enc = tok.encode('<|im_start|>user\nHi<|im_end|><|endoftext|>');
  assert.equal(enc.ids[0], 2);
  assert.ok(enc.ids.includes(3) && enc.ids.at(-1) === 0);
  assert.equal(tok.decode(enc.ids, { skip_special_tokens: true }), 'user\nHi');
});

test('encode/decode round-trips arbitrary text, including unicode and emoji', () => {
  const tok = load(model());
  const samples = ['Hello, world!', '  leading and trailing  ', 'tabs\tand\nnewlines\r\n', 'naïve café — “quotes” 😀👍🏽 日本語 עברית', "it's 1,234.56%"];
  for (const s of samples) assert.equal(tok.decode(tok.encode(s).ids), s);
  // tokenizers.js refuses to decode an empty id list, so the empty string is checked on its own
  assert.deepEqual(tok.encode('').ids, []);
  fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), (s) => tok.decode(tok.encode(s).ids) === s), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (s) => tok.decode(tok.encode(s).ids) === s), { numRuns: 500 });
});

test('component layout matches a golden HF GPT-2 byte-level tokenizer.json', () => {
  const golden = JSON.parse(readFileSync(join(here, '../fixtures/tokenizers/gpt2_bytelevel_bpe/tokenizer.json'), 'utf8'));
  const ours = tokenizerJson(model()) as Record<string, any>;
  for (const k of ['pre_tokenizer', 'post_processor', 'decoder', 'normalizer']) assert.deepEqual(ours[k], golden[k], k);
  const strip = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'vocab' && k !== 'merges'));
  assert.deepEqual(strip(ours.model), strip(golden.model));
  assert.deepEqual(Object.keys(ours.added_tokens[0]).sort(), Object.keys(golden.added_tokens[0]).sort());
  assert.ok(Array.isArray(ours.model.merges[0]) && Array.isArray(golden.model.merges[0]));
});

test('chat templates render with @huggingface/jinja', () => {
  const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: '2+2?' }];
  const chatml = tokenizerConfig(model()) as { chat_template: string; eos_token: string };
  assert.equal(
    new Template(chatml.chat_template).render({ messages, add_generation_prompt: true, eos_token: chatml.eos_token }),
    '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n',
  );
  const plainModel = trainBpe(text.slice(0, 5), { vocabSize: 300 });
  const plain = tokenizerConfig(plainModel) as { chat_template: string; eos_token: string; pad_token: string };
  assert.equal(plain.pad_token, '<|pad|>');
  assert.equal(
    new Template(plain.chat_template).render({ messages, add_generation_prompt: true, eos_token: plain.eos_token }),
    'Be brief.\n\nUser: Hi\nAssistant: Hello<|endoftext|>\nUser: 2+2?\nAssistant:',
  );
  assert.throws(() => tokenizerConfig(plainModel, { eosToken: '</s>' }), /not one of the special tokens/);
});

test('the models layer loads the written folder like any HF tokenizer', async () => {
  const out = join(dir, 'models-layer');
  await writeTokenizer(out, model());
  const tok = loadTokenizer(out);
  assert.equal(tok.vocabSize, 2000);
  assert.deepEqual([tok.eosTokenId, tok.padTokenId], [0, 1]);
  const ids = tok.encode('The whale, 😀 and the sea.');
  assert.equal(tok.decode(ids), 'The whale, 😀 and the sea.');
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'special_tokens_map.json'), 'utf8')).additional_special_tokens, ['<|im_start|>', '<|im_end|>']);
});

test('splitDigits: no token holds two digits, numbers still round-trip, and without it digits do merge', () => {
  const sums = Array.from({ length: 400 }, (_, i) => `${(i * 37) % 100} + ${(i * 11) % 100} = ${((i * 37) % 100) + ((i * 11) % 100)}`);
  const split = trainBpe(sums, { vocabSize: 320, splitDigits: true });
  const plain = trainBpe(sums, { vocabSize: 320 });
  const twoDigits = (m: BpeModel) => m.tokens.filter((t) => (t.match(/[0-9]/g) ?? []).length >= 2);
  assert.deepEqual(twoDigits(split), []);
  assert.ok(twoDigits(plain).length > 0, 'the plain trainer merges digit pairs on this text, so the option is what stops them');
  const tok = load(split);
  for (const s of ['12 + 345 = 357', 'x 9081 y']) {
    assert.equal(tok.decode(tok.encode(s).ids), s);
    for (const t of tok.tokenize(s)) assert.ok((t.match(/[0-9]/g) ?? []).length <= 1, `${s}: token ${t}`);
  }
});
