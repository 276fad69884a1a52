// Tokenizer and chat-template goldens: every encode/decode/offset and chat rendering of the three
// golden tokenizers (produced by HF tokenizers 0.22.2 / transformers 4.57.6) must match exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer, renderChatTemplate } from '../../src/models/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '../fixtures/tokenizers');
const NAMES = ['gpt2_bytelevel_bpe', 'llama3_bpe', 'sentencepiece_bpe'] as const;

interface Case {
  text: string;
  ids_with_special: number[]; tokens_with_special: string[];
  ids_no_special: number[]; tokens_no_special: string[];
  offsets_no_special: [number, number][];
  decode_ids_with_special_skip_special_false: string; decode_ids_with_special_skip_special_true: string;
  decode_ids_no_special_skip_special_false: string; decode_ids_no_special_skip_special_true: string;
  transformers_decode_ids_with_special_skip_special_false: string;
  transformers_decode_ids_with_special_skip_special_true: string;
}
interface Chat {
  name: string; messages: { role: string; content: string }[]; add_generation_prompt: boolean;
  rendered: string; ids: number[]; tokens: string[]; ids_if_encoded_with_add_special_tokens_true: number[];
  rendered_without_generation_prompt: string;
}
interface Golden { cases: Case[]; chat?: Chat[]; chat_template?: string }

function golden(name: string): Golden {
  return JSON.parse(fs.readFileSync(path.join(fixtures, name, 'golden.json'), 'utf8')) as Golden;
}

for (const name of NAMES) {
  test(`${name}: encode ids and tokens match the golden for all strings`, () => {
    const tok = loadTokenizer(path.join(fixtures, name));
    const g = golden(name);
    assert.equal(g.cases.length, 51);
    for (const c of g.cases) {
      assert.deepEqual(tok.encode(c.text), c.ids_with_special, `ids_with_special of ${JSON.stringify(c.text)}`);
      assert.deepEqual(tok.encode(c.text, { addSpecialTokens: false }), c.ids_no_special, `ids_no_special of ${JSON.stringify(c.text)}`);
      assert.deepEqual(tok.tokenize(c.text), c.tokens_with_special, `tokens_with_special of ${JSON.stringify(c.text)}`);
      assert.deepEqual(tok.tokenize(c.text, { addSpecialTokens: false }), c.tokens_no_special, `tokens of ${JSON.stringify(c.text)}`);
      c.ids_no_special.forEach((id, i) => assert.equal(tok.idToToken(id), c.tokens_no_special[i]));
    }
  });

  test(`${name}: decode matches the golden (skip_special_tokens false/true)`, () => {
    const tok = loadTokenizer(path.join(fixtures, name));
    for (const c of golden(name).cases) {
      const t = JSON.stringify(c.text);
      assert.equal(tok.decode(c.ids_with_special), c.decode_ids_with_special_skip_special_false, `decode with-special ${t}`);
      assert.equal(tok.decode(c.ids_with_special, { skipSpecialTokens: true }), c.decode_ids_with_special_skip_special_true, `skip ${t}`);
      assert.equal(tok.decode(c.ids_no_special), c.decode_ids_no_special_skip_special_false, `decode no-special ${t}`);
      assert.equal(tok.decode(c.ids_no_special, { skipSpecialTokens: true }), c.decode_ids_no_special_skip_special_true, `skip ${t}`);
    }
  });

  test(`${name}: transformers-style decode with clean-up matches transformers 4.57`, () => {
    const tok = loadTokenizer(path.join(fixtures, name));
    const cleanUp = tok.config['clean_up_tokenization_spaces'] === true;
    for (const c of golden(name).cases) {
      assert.equal(tok.decode(c.ids_with_special, { cleanUpTokenizationSpaces: cleanUp }),
        c.transformers_decode_ids_with_special_skip_special_false, `transformers decode ${JSON.stringify(c.text)}`);
      assert.equal(tok.decode(c.ids_with_special, { skipSpecialTokens: true, cleanUpTokenizationSpaces: cleanUp }),
        c.transformers_decode_ids_with_special_skip_special_true, `transformers decode skip ${JSON.stringify(c.text)}`);
    }
  });

  test(`${name}: offsets (code points) match the golden; UTF-16 offsets slice the same text`, () => {
    const tok = loadTokenizer(path.join(fixtures, name));
    for (const c of golden(name).cases) {
      const e = tok.encodeWithOffsets(c.text, { addSpecialTokens: false });
      assert.deepEqual(e.ids, c.ids_no_special);
      assert.deepEqual(e.offsets, c.offsets_no_special, `offsets of ${JSON.stringify(c.text)}`);
      const cps = [...c.text];
      e.offsetsUtf16!.forEach(([a, b], i) => {
        const [ca, cb] = e.offsets![i]!;
        assert.equal(c.text.slice(a, b), cps.slice(ca, cb).join(''));
      });
      const w = tok.encodeWithOffsets(c.text);
      assert.deepEqual(w.ids, c.ids_with_special);
      if (tok.addsBos) assert.deepEqual(w.offsets![0], [0, 0]);
    }
  });
}

test('special tokens and BOS handling come from tokenizer_config / special_tokens_map', () => {
  const gpt2 = loadTokenizer(path.join(fixtures, 'gpt2_bytelevel_bpe'));
  assert.equal(gpt2.bosTokenId, 999);
  assert.equal(gpt2.eosTokenId, 999);
  assert.equal(gpt2.padTokenId, null);
  assert.equal(gpt2.addsBos, false);
  assert.equal(gpt2.vocabSize, 1000);
  assert.deepEqual(gpt2.withBos([5, 6]), [999, 5, 6]);

  const llama = loadTokenizer(path.join(fixtures, 'llama3_bpe'));
  assert.equal(llama.bosToken, '<|begin_of_text|>');
  assert.equal(llama.bosTokenId, 995);
  assert.equal(llama.eosTokenId, 999);
  assert.equal(llama.addsBos, true);
  assert.equal(llama.addsEos, false);
  assert.deepEqual([...llama.specialTokenIds].sort(), [995, 996, 997, 998, 999]);
  assert.deepEqual(llama.withBos([995, 3]), [995, 3]);

  const sp = loadTokenizer(path.join(fixtures, 'sentencepiece_bpe'));
  assert.equal(sp.bosTokenId, 1);
  assert.equal(sp.eosTokenId, 2);
  assert.equal(sp.padTokenId, 0);
  assert.equal(sp.unkTokenId, 0);
  assert.equal(sp.addsBos, true);
  assert.deepEqual(sp.additionalSpecialTokens, ['<start_of_turn>', '<end_of_turn>']);
});

test('decode rejects ids outside the vocabulary and returns "" for no ids', () => {
  const tok = loadTokenizer(path.join(fixtures, 'llama3_bpe'));
  assert.equal(tok.decode([]), '');
  assert.throws(() => tok.decode([1000]), /ids\[0\] = 1000 is not a token id \(vocabulary has 1000\)/);
  assert.throws(() => tok.decode([3, -1]), /ids\[1\] = -1/);
  assert.throws(() => tok.decode([1.5]), /ids\[0\] = 1.5/);
});

for (const name of ['llama3_bpe', 'sentencepiece_bpe'] as const) {
  test(`${name}: chat template renders and tokenizes exactly as transformers`, () => {
    const tok = loadTokenizer(path.join(fixtures, name));
    const g = golden(name);
    assert.equal(tok.chatTemplate, g.chat_template);
    assert.equal(g.chat!.length, 3);
    for (const chat of g.chat!) {
      assert.equal(tok.applyChatTemplate(chat.messages, { addGenerationPrompt: true }), chat.rendered, chat.name);
      assert.equal(tok.applyChatTemplate(chat.messages), chat.rendered_without_generation_prompt, chat.name);
      const ids = tok.applyChatTemplate(chat.messages, { addGenerationPrompt: true, tokenize: true });
      assert.deepEqual(ids, chat.ids, chat.name);
      assert.deepEqual(tok.tokenize(chat.rendered, { addSpecialTokens: false }), chat.tokens, chat.name);
      // encoding the rendered text again with special tokens doubles the BOS, as the golden documents
      assert.deepEqual(tok.encode(chat.rendered), chat.ids_if_encoded_with_add_special_tokens_true, chat.name);
      assert.equal(chat.ids_if_encoded_with_add_special_tokens_true[1], tok.bosTokenId);
    }
  });
}

test('the Gemma-style template raises on non-alternating roles; no template gives a clear error', () => {
  const sp = loadTokenizer(path.join(fixtures, 'sentencepiece_bpe'));
  assert.throws(() => sp.applyChatTemplate([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }]),
    /Conversation roles must alternate/);
  const gpt2 = loadTokenizer(path.join(fixtures, 'gpt2_bytelevel_bpe'));
  assert.throws(() => gpt2.applyChatTemplate([{ role: 'user', content: 'a' }]), /no chat template/);
  assert.throws(() => sp.applyChatTemplate([{ role: 'user', content: 3 as unknown as string }]), /messages\[0\]\.content must be a string/);
});

test('chat_template.jinja overrides tokenizer_config; missing tokenizer.json is reported', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-tok-'));
  try {
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
      fs.copyFileSync(path.join(fixtures, 'llama3_bpe', f), path.join(dir, f));
    }
    fs.writeFileSync(path.join(dir, 'chat_template.jinja'), '{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}');
    const tok = loadTokenizer(dir);
    assert.equal(tok.applyChatTemplate([{ role: 'user', content: 'hi' }]), '<|begin_of_text|>[user]hi');
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    assert.throws(() => loadTokenizer(dir), /no tokenizer\.json/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('renderChatTemplate passes extra variables and strftime_now', () => {
  const out = renderChatTemplate("{{ bos_token }}{{ messages[0].content }}|{{ strftime_now('%Y-%m-%d') }}|{{ flag }}",
    [{ role: 'user', content: 'x' }], { bos_token: '<s>' }, { extra: { flag: 'on' } });
  assert.match(out, /^<s>x\|\d{4}-\d{2}-\d{2}\|on$/);
});

test('Llama/Gemma tokenizer classes follow add_bos_token / add_eos_token like transformers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-tok-'));
  try {
    for (const f of ['tokenizer.json', 'special_tokens_map.json']) fs.copyFileSync(path.join(fixtures, 'sentencepiece_bpe', f), path.join(dir, f));
    const cfg = JSON.parse(fs.readFileSync(path.join(fixtures, 'sentencepiece_bpe', 'tokenizer_config.json'), 'utf8'));
    const plain = loadTokenizer(path.join(fixtures, 'sentencepiece_bpe')).encode('hello', { addSpecialTokens: false });
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...cfg, tokenizer_class: 'LlamaTokenizerFast', add_bos_token: false, add_eos_token: true }));
    let tok = loadTokenizer(dir);
    assert.deepEqual(tok.encode('hello'), [...plain, 2]);
    assert.deepEqual(tok.tokenize('hello').at(-1), '</s>');
    assert.equal(tok.addsBos, false);
    assert.equal(tok.addsEos, true);
    assert.deepEqual(tok.encodeWithOffsets('hello').offsets!.at(-1), [0, 0]);
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...cfg, tokenizer_class: 'GemmaTokenizerFast' }));
    tok = loadTokenizer(dir);
    assert.deepEqual(tok.encode('hello'), [1, ...plain]);
    assert.equal(tok.addsBos, true);
    assert.deepEqual(tok.encode('hello', { addSpecialTokens: false }), plain);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
