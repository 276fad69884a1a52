// Writes a trained byte-level BPE model as a Hugging Face tokenizer folder: tokenizer.json (model BPE, vocab,
// merges, ByteLevel pre-tokenizer / post-processor / decoder, special tokens as added tokens) and
// tokenizer_config.json (special-token names and a chat template).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHAT_TOKENS, type BpeModel } from './bpe.js';

export interface TokenizerFileOptions {
  /** Beginning/end-of-text token (default the first special token, "<|endoftext|>"). */
  eosToken?: string;
  bosToken?: string;
  /** Default "<|pad|>" when present, else the eos token. */
  padToken?: string;
  /** model_max_length in tokenizer_config.json (default 2048). */
  modelMaxLength?: number;
  /** Overrides the default chat template (ChatML when the model has the chat tokens, else "User:/Assistant:"). */
  chatTemplate?: string;
}

/** ChatML over <|im_start|> / <|im_end|>. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Plain-text turns for models without chat tokens: "System text\n\nUser: ...\nAssistant: ...<eos>\n". */
export const PLAIN_CHAT_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}" +
  "{% else %}{{ 'Assistant: ' + message['content'] + eos_token + '\\n' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

function addedToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** The tokenizer.json object for a model. */
export function tokenizerJson(model: BpeModel): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  model.tokens.forEach((t, id) => {
    if (Object.hasOwn(vocab, t)) throw new Error(`tokenizerJson: token ${JSON.stringify(t)} appears twice (ids ${vocab[t]} and ${id})`);
    vocab[t] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: model.specialTokens.map((t, id) => addedToken(id, t)),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab,
      // pairs as two-element arrays, the layout HF tokenizers >= 0.20 writes
      merges: model.merges.map(([l, r]) => [l, r]),
    },
  };
}

/** The tokenizer_config.json object for a model. */
export function tokenizerConfig(model: BpeModel, options: TokenizerFileOptions = {}): Record<string, unknown> {
  const has = (t: string) => model.specialTokens.includes(t);
  const eos = options.eosToken ?? model.specialTokens[0];
  if (eos === undefined || !has(eos)) throw new Error(`tokenizerConfig: eos token ${JSON.stringify(eos)} is not one of the special tokens ${JSON.stringify(model.specialTokens)}`);
  const pad = options.padToken ?? (has('<|pad|>') ? '<|pad|>' : eos);
  const bos = options.bosToken ?? eos;
  for (const [name, t] of [['pad', pad], ['bos', bos]] as const) {
    if (!has(t)) throw new Error(`tokenizerConfig: ${name} token ${JSON.stringify(t)} is not a special token`);
  }
  const chat = CHAT_TOKENS.every(has);
  const decoder: Record<string, unknown> = {};
  model.specialTokens.forEach((t, id) => {
    const { id: _id, ...rest } = addedToken(id, t);
    decoder[String(id)] = rest;
  });
  return {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: decoder,
    bos_token: bos,
    eos_token: eos,
    pad_token: pad,
    unk_token: null,
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 2048,
    tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: options.chatTemplate ?? (chat ? CHATML_TEMPLATE : PLAIN_CHAT_TEMPLATE),
  };
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** special_tokens_map.json: the named special tokens plus the rest as additional_special_tokens. */
export function specialTokensMap(config: Record<string, unknown>, model: BpeModel): Record<string, unknown> {
  const named = [config.bos_token, config.eos_token, config.pad_token];
  return {
    bos_token: config.bos_token, eos_token: config.eos_token, pad_token: config.pad_token,
    additional_special_tokens: model.specialTokens.filter((t) => !named.includes(t)),
  };
}

/** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir` (created if needed). */
export async function writeTokenizer(dir: string, model: BpeModel, options: TokenizerFileOptions = {}): Promise<{ tokenizerJson: string; tokenizerConfig: string; specialTokensMap: string }> {
  await mkdir(dir, { recursive: true });
  const paths = {
    tokenizerJson: join(dir, 'tokenizer.json'),
    tokenizerConfig: join(dir, 'tokenizer_config.json'),
    specialTokensMap: join(dir, 'special_tokens_map.json'),
  };
  const config = tokenizerConfig(model, options);
  await writeAtomic(paths.tokenizerJson, JSON.stringify(tokenizerJson(model)));
  await writeAtomic(paths.tokenizerConfig, JSON.stringify(config, null, 2));
  await writeAtomic(paths.specialTokensMap, JSON.stringify(specialTokensMap(config, model), null, 2));
  return paths;
}
