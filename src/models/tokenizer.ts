// Tokenizers from a Hugging Face folder (tokenizer.json + tokenizer_config.json [+ special_tokens_map.json]),
// wrapping @huggingface/tokenizers: encode/decode with the tokenizers-library semantics, special tokens,
// BOS handling, code-point offsets, and chat templates.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { renderChatTemplate, type ChatMessage, type RenderChatOptions } from './chat-template.js';

export interface EncodeOptions {
  /** Run the post-processor (adds BOS etc. as the tokenizer defines). Default true, as in HF. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** transformers' clean_up_tokenization_spaces step (" ." -> "." ...). Default false: the tokenizers-library decode. */
  cleanUpTokenizationSpaces?: boolean;
}

export interface EncodingWithOffsets {
  ids: number[];
  tokens: string[];
  /** [start, end) in Unicode code points of the input (as the Python binding reports), or null when the
   *  tokens cannot be aligned to the text (e.g. a normalizer changed it). Post-processor tokens get [0, 0]. */
  offsets: [number, number][] | null;
  /** The same offsets in UTF-16 code units (for String.prototype.slice), or null. */
  offsetsUtf16: [number, number][] | null;
}

export interface ApplyChatTemplateOptions extends RenderChatOptions {
  /** Return token ids (encoded with addSpecialTokens=false, as transformers does) instead of text. */
  tokenize?: boolean;
  /** Named template when tokenizer_config has a list of templates (default "default"). */
  templateName?: string;
}

type SpecialName = 'bos' | 'eos' | 'pad' | 'unk';

/** transformers tokenizer classes whose constructor replaces the post-processor by
 *  [bos if add_bos_token (default true)] $A [eos if add_eos_token (default false)]. */
const REBUILDS_POST_PROCESSOR = new Set([
  'LlamaTokenizerFast', 'LlamaTokenizer', 'CodeLlamaTokenizerFast', 'CodeLlamaTokenizer', 'GemmaTokenizerFast', 'GemmaTokenizer',
]);

// GPT-2 byte <-> unicode map: printable bytes map to themselves, the rest to U+0100 upwards.
let unicodeToByte: Map<string, number> | null = null;
function byteLevelMap(): Map<string, number> {
  if (unicodeToByte) return unicodeToByte;
  const m = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    m.set(String.fromCodePoint(printable ? b : 256 + extra++), b);
  }
  unicodeToByte = m;
  return m;
}

function findDecoderType(d: unknown, type: string): boolean {
  if (!d || typeof d !== 'object') return false;
  const o = d as { type?: string; decoders?: unknown[]; pretokenizers?: unknown[] };
  if (o.type === type) return true;
  return [...(o.decoders ?? []), ...(o.pretokenizers ?? [])].some((x) => findDecoderType(x, type));
}

function specialContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not a valid JSON object (${(e as Error).message})`);
  }
}

export class Tokenizer {
  readonly dir: string;
  /** Number of ids (model vocab plus added tokens): valid ids are 0 .. vocabSize-1. */
  readonly vocabSize: number;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly unkToken: string | null;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly unkTokenId: number | null;
  readonly additionalSpecialTokens: string[];
  /** Ids of every token marked special (skipped by decode with skipSpecialTokens). */
  readonly specialTokenIds: ReadonlySet<number>;
  /** Whether encode(text, {addSpecialTokens: true}) puts BOS first / EOS last. */
  readonly addsBos: boolean;
  readonly addsEos: boolean;
  readonly chatTemplate: string | null;
  readonly chatTemplates: Readonly<Record<string, string>>;
  readonly config: Readonly<Record<string, unknown>>;

  private readonly hf: HfTokenizer;
  private readonly mode: 'bytelevel' | 'metaspace' | 'plain';
  private readonly byteFallback: boolean;
  private readonly addedContent: Map<number, string>;
  /** Llama/Gemma tokenizer classes rebuild the post-processor from add_bos_token/add_eos_token. */
  private readonly bosEosPolicy: { bos: boolean; eos: boolean } | null;

  constructor(dir: string, tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>,
    specialTokensMap: Record<string, unknown> = {}, chatTemplateFile: string | null = null) {
    this.dir = dir;
    this.config = tokenizerConfig;
    try {
      this.hf = new HfTokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new Error(`${path.join(dir, 'tokenizer.json')}: @huggingface/tokenizers cannot load it: ${(e as Error).message}`);
    }
    const vocab = this.hf.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;

    this.addedContent = new Map();
    const special = new Set<number>();
    for (const [id, tok] of this.hf.get_added_tokens_decoder()) {
      this.addedContent.set(id, tok.content);
      if (tok.special) special.add(id);
    }
    this.specialTokenIds = special;

    const pick = (name: SpecialName): string | null =>
      specialContent(tokenizerConfig[`${name}_token`]) ?? specialContent(specialTokensMap[`${name}_token`]);
    const idOf = (t: string | null, name: SpecialName): number | null => {
      if (t === null) return null;
      const id = this.hf.token_to_id(t);
      if (id === undefined) throw new Error(`${dir}: ${name}_token "${t}" is not in the vocabulary`);
      return id;
    };
    this.bosToken = pick('bos'); this.bosTokenId = idOf(this.bosToken, 'bos');
    this.eosToken = pick('eos'); this.eosTokenId = idOf(this.eosToken, 'eos');
    this.padToken = pick('pad'); this.padTokenId = idOf(this.padToken, 'pad');
    this.unkToken = pick('unk'); this.unkTokenId = idOf(this.unkToken, 'unk');
    const extra = tokenizerConfig['additional_special_tokens'] ?? specialTokensMap['additional_special_tokens'] ?? [];
    this.additionalSpecialTokens = Array.isArray(extra) ? extra.map(specialContent).filter((s): s is string => s !== null) : [];

    const cls = tokenizerConfig['tokenizer_class'];
    this.bosEosPolicy = typeof cls === 'string' && REBUILDS_POST_PROCESSOR.has(cls)
      ? { bos: tokenizerConfig['add_bos_token'] !== false, eos: tokenizerConfig['add_eos_token'] === true }
      : null;
    if (this.bosEosPolicy?.bos && this.bosTokenId === null) throw new Error(`${dir}: add_bos_token is set but there is no bos_token`);
    if (this.bosEosPolicy?.eos && this.eosTokenId === null) throw new Error(`${dir}: add_eos_token is set but there is no eos_token`);

    const empty = this.encodeRaw('', true).ids;
    this.addsBos = this.bosTokenId !== null && empty[0] === this.bosTokenId;
    this.addsEos = this.eosTokenId !== null && empty[empty.length - 1] === this.eosTokenId;

    // chat templates: chat_template.jinja overrides tokenizer_config; a list form holds named templates
    const templates: Record<string, string> = {};
    const ct = tokenizerConfig['chat_template'];
    if (typeof ct === 'string') templates['default'] = ct;
    else if (Array.isArray(ct)) {
      for (const e of ct) {
        const o = e as { name?: unknown; template?: unknown };
        if (typeof o?.name === 'string' && typeof o.template === 'string') templates[o.name] = o.template;
      }
    }
    if (chatTemplateFile !== null) templates['default'] = chatTemplateFile;
    this.chatTemplates = templates;
    this.chatTemplate = templates['default'] ?? null;

    const model = (tokenizerJson['model'] ?? {}) as { byte_fallback?: boolean };
    this.byteFallback = model.byte_fallback === true;
    if (findDecoderType(tokenizerJson['decoder'], 'ByteLevel') || findDecoderType(tokenizerJson['pre_tokenizer'], 'ByteLevel')) this.mode = 'bytelevel';
    else if (findDecoderType(tokenizerJson['pre_tokenizer'], 'Metaspace') || findDecoderType(tokenizerJson['decoder'], 'Metaspace')
      || findDecoderType(tokenizerJson['decoder'], 'Replace')) this.mode = 'metaspace';
    else this.mode = 'plain';
  }

  /** Token ids for text. With addSpecialTokens (default true) the tokenizer's post-processor adds BOS etc. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new Error(`encode: text must be a string, got ${typeof text}`);
    return this.encodeRaw(text, opts.addSpecialTokens ?? true).ids;
  }

  /** Token strings for text (the vocabulary's spelling, e.g. "Ġworld", "▁he", "<0xE4>"). */
  tokenize(text: string, opts: EncodeOptions = {}): string[] {
    return this.encodeRaw(text, opts.addSpecialTokens ?? true).tokens;
  }

  /** ids, token strings and character offsets of each token in text. */
  encodeWithOffsets(text: string, opts: EncodeOptions = {}): EncodingWithOffsets {
    const plain = this.hf.encode(text, { add_special_tokens: false });
    const core = this.alignOffsets(text, plain.ids, plain.tokens);
    if (!(opts.addSpecialTokens ?? true)) return { ids: plain.ids, tokens: plain.tokens, ...core };
    const full = this.encodeRaw(text, true);
    // the plain encoding sits inside the full one; tokens added by the post-processor get [0, 0]
    const n = plain.ids.length;
    let at = -1;
    for (let k = 0; k + n <= full.ids.length && at < 0; k++) {
      let ok = true;
      for (let j = 0; j < n && ok; j++) ok = full.ids[k + j] === plain.ids[j];
      if (ok) at = k;
    }
    const wrap = (o: [number, number][] | null): [number, number][] | null =>
      o === null || at < 0 ? null : full.ids.map((_: number, i: number): [number, number] => (i >= at && i < at + n ? o[i - at]! : [0, 0]));
    return { ids: full.ids, tokens: full.tokens, offsets: wrap(core.offsets), offsetsUtf16: wrap(core.offsetsUtf16) };
  }

  private encodeRaw(text: string, addSpecialTokens: boolean): { ids: number[]; tokens: string[] } {
    const p = this.bosEosPolicy;
    if (!addSpecialTokens || p === null) {
      const e = this.hf.encode(text, { add_special_tokens: addSpecialTokens });
      return { ids: e.ids, tokens: e.tokens };
    }
    const e = this.hf.encode(text, { add_special_tokens: false });
    const ids = [...(p.bos ? [this.bosTokenId!] : []), ...e.ids, ...(p.eos ? [this.eosTokenId!] : [])];
    const tokens = [...(p.bos ? [this.bosToken!] : []), ...e.tokens, ...(p.eos ? [this.eosToken!] : [])];
    return { ids, tokens };
  }

  /** Text for ids. Default: the tokenizers-library decode (no clean-up), keeping special tokens. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new Error(`decode: ids[${i}] = ${id} is not a token id (vocabulary has ${this.vocabSize})`);
      }
    });
    if (ids.length === 0) return '';
    return this.hf.decode([...ids], {
      skip_special_tokens: opts.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: opts.cleanUpTokenizationSpaces ?? false,
    });
  }

  /** The vocabulary spelling of one id, or undefined when there is no such id. */
  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** Adds BOS in front when the tokenizer's post-processor would not and the text lacks it (for models that need it). */
  withBos(ids: readonly number[]): number[] {
    if (this.bosTokenId === null || ids[0] === this.bosTokenId) return [...ids];
    return [this.bosTokenId, ...ids];
  }

  /**
   * Renders the chat template (transformers' apply_chat_template). With tokenize, the rendered text is
   * encoded with addSpecialTokens=false, because templates already contain the BOS text.
   */
  applyChatTemplate(messages: ChatMessage[], opts: ApplyChatTemplateOptions & { tokenize: true }): number[];
  applyChatTemplate(messages: ChatMessage[], opts?: ApplyChatTemplateOptions): string;
  applyChatTemplate(messages: ChatMessage[], opts: ApplyChatTemplateOptions = {}): string | number[] {
    const name = opts.templateName ?? 'default';
    const template = this.chatTemplates[name];
    if (template === undefined) {
      const have = Object.keys(this.chatTemplates);
      throw new Error(`${this.dir}: no chat template${name === 'default' ? '' : ` named "${name}"`} in tokenizer_config.json` +
        (have.length ? ` (have: ${have.join(', ')})` : ''));
    }
    const text = renderChatTemplate(template, messages, {
      bos_token: this.bosToken, eos_token: this.eosToken, unk_token: this.unkToken, pad_token: this.padToken,
      additional_special_tokens: this.additionalSpecialTokens,
    }, opts);
    return opts.tokenize ? this.encode(text, { addSpecialTokens: false }) : text;
  }

  /** Bytes (UTF-8) a token stands for, or null for an added token (matched literally). */
  private tokenBytes(id: number, token: string): Uint8Array | null {
    const added = this.addedContent.get(id);
    if (added !== undefined) return null;
    if (this.mode === 'bytelevel') {
      const map = byteLevelMap();
      const out: number[] = [];
      for (const ch of token) {
        const b = map.get(ch);
        if (b === undefined) return Buffer.from(token, 'utf8');
        out.push(b);
      }
      return Uint8Array.from(out);
    }
    if (this.mode === 'metaspace') {
      const m = this.byteFallback ? /^<0x([0-9A-Fa-f]{2})>$/.exec(token) : null;
      if (m) return Uint8Array.of(parseInt(m[1]!, 16));
      return Buffer.from(token, 'utf8'); // matched against the text with spaces shown as U+2581
    }
    return Buffer.from(token.startsWith('##') ? token.slice(2) : token, 'utf8');
  }

  private alignOffsets(text: string, ids: number[], tokens: string[]): Pick<EncodingWithOffsets, 'offsets' | 'offsetsUtf16'> {
    // Metaspace tokens spell spaces as U+2581; match them against the text spelled the same way
    // (one code point for one code point, so offsets carry over unchanged)
    const spelled = this.mode === 'metaspace' ? text.replaceAll(' ', '\u2581') : text;
    const prefix = this.mode === 'metaspace' ? Buffer.from('\u2581', 'utf8') : Uint8Array.of(0x20);
    const bytes = Buffer.from(spelled, 'utf8');
    // code point index and UTF-16 index of the character each byte belongs to
    const cpOf = new Int32Array(bytes.length + 1);
    const u16Of = new Int32Array(bytes.length + 1);
    const u16Len: number[] = [];
    let bi = 0;
    let cp = 0;
    let u16 = 0;
    for (const ch of spelled) {
      const n = Buffer.byteLength(ch, 'utf8');
      for (let k = 0; k < n; k++) { cpOf[bi + k] = cp; u16Of[bi + k] = u16; }
      u16Len.push(ch.length);
      bi += n; cp++; u16 += ch.length;
    }
    cpOf[bytes.length] = cp;
    u16Of[bytes.length] = u16;
    const nCp = cp;
    const matches = (b: Uint8Array, at: number): boolean => {
      if (at + b.length > bytes.length) return false;
      for (let k = 0; k < b.length; k++) if (bytes[at + k] !== b[k]) return false;
      return true;
    };
    const offsets: [number, number][] = [];
    const offsets16: [number, number][] = [];
    let pos = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.tokenBytes(ids[i]!, tokens[i]!) ?? Buffer.from(this.addedContent.get(ids[i]!)!, 'utf8');
      let start: number;
      let end: number;
      if (matches(b, pos)) { start = pos; end = pos + b.length; }
      else if (startsWith(b, prefix) && matches(b.subarray(prefix.length), pos)) {
        start = pos; end = pos + b.length - prefix.length; // a prefix space the pre-tokenizer inserted
      }
      else return { offsets: null, offsetsUtf16: null };
      if (end > start) {
        const c0 = cpOf[start]!;
        const c1 = cpOf[end - 1]! + 1;
        offsets.push([c0, c1]);
        offsets16.push([u16Of[start]!, u16Of[end - 1]! + u16Len[c1 - 1]!]);
      } else {
        // a zero-width token (an inserted prefix) is aligned with the character that follows it
        const c0 = cpOf[start]!;
        offsets.push([c0, Math.min(c0 + 1, nCp)]);
        offsets16.push([u16Of[start]!, c0 < nCp ? u16Of[start]! + u16Len[c0]! : u16Of[start]!]);
      }
      pos = end;
    }
    if (pos !== bytes.length) return { offsets: null, offsetsUtf16: null };
    return { offsets, offsetsUtf16: offsets16 };
  }
}

function startsWith(b: Uint8Array, p: Uint8Array): boolean {
  if (b.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (b[i] !== p[i]) return false;
  return true;
}

/**
 * Loads the tokenizer of a Hugging Face folder: tokenizer.json (required), tokenizer_config.json,
 * special_tokens_map.json and chat_template.jinja (optional).
 */
export function loadTokenizer(dir: string): Tokenizer {
  const tj = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(tj)) {
    const hint = ['tokenizer.model', 'vocab.json'].filter((f) => fs.existsSync(path.join(dir, f)));
    throw new Error(`${dir}: no tokenizer.json` + (hint.length ? ` (found ${hint.join(', ')}; convert it to tokenizer.json with transformers' fast tokenizer)` : ''));
  }
  const cfgPath = path.join(dir, 'tokenizer_config.json');
  const stmPath = path.join(dir, 'special_tokens_map.json');
  const jinjaPath = path.join(dir, 'chat_template.jinja');
  return new Tokenizer(
    dir,
    readJsonFile(tj),
    fs.existsSync(cfgPath) ? readJsonFile(cfgPath) : {},
    fs.existsSync(stmPath) ? readJsonFile(stmPath) : {},
    fs.existsSync(jinjaPath) ? fs.readFileSync(jinjaPath, 'utf8') : null,
  );
}
