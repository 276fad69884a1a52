// Byte-level BPE trainer (GPT-2 style): pre-tokenise with the GPT-2 regex, count words, then repeatedly merge
// the most frequent adjacent pair. Pair counts are updated incrementally, touching only the words that hold
// the merged pair, and the best pair comes from a lazy max-heap. Ties break on the pair's ids (lowest first).
import { BYTE_TO_CHAR, pretokenize, toByteChars } from './bpe-bytes.js';

export interface BpeTrainOptions {
  /** Final vocabulary size, counting special tokens and the 256 byte tokens. */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged (default 2). */
  minFrequency?: number;
  /** Special tokens, given the first ids in this order (default ["<|endoftext|>", "<|pad|>"]). */
  specialTokens?: readonly string[];
  /** Also add the chat tokens "<|im_start|>" and "<|im_end|>" (default false). */
  chatTokens?: boolean;
  /** Never merge two tokens that both hold a digit, so every number is written one digit per token, as Llama's
   * and Qwen's tokenizers do (default false). A tiny model can then find and compare digits by position. */
  splitDigits?: boolean;
  /** Called every 100 merges and at the end. */
  onProgress?: (info: { merges: number; targetMerges: number; elapsedMs: number }) => void;
}

export interface BpeModel {
  /** id -> token string (byte-level characters, or the special token's text). */
  tokens: string[];
  /** Merge rules in rank order, as [left, right] token strings. */
  merges: Array<[string, string]>;
  /** Special tokens; they hold ids 0..specialTokens.length-1. */
  specialTokens: string[];
}

export const DEFAULT_SPECIAL_TOKENS = ['<|endoftext|>', '<|pad|>'] as const;
export const CHAT_TOKENS = ['<|im_start|>', '<|im_end|>'] as const;

const DIGIT = /[0-9]/;
const KEY = 1 << 16; // pair key = left * KEY + right; internal ids stay below 2^16

/** Max-heap of (count, pair key); larger count first, then smaller key. Stale entries are skipped by the caller. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number { return this.counts.length; }
  private before(i: number, j: number): boolean {
    return this.counts[i]! > this.counts[j]! || (this.counts[i] === this.counts[j] && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.counts.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): { count: number; key: number } | undefined {
    const n = this.counts.length;
    if (n === 0) return undefined;
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!, lastKey = this.keys.pop()!;
    if (n > 1) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let best = i;
        if (l < n - 1 && this.before(l, best)) best = l;
        if (r < n - 1 && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** Word -> count over all texts, words being GPT-2 pre-tokens in byte-level characters. */
export function countWords(texts: Iterable<string>): Map<string, number> {
  const raw = new Map<string, number>();
  for (const text of texts) for (const w of pretokenize(text)) raw.set(w, (raw.get(w) ?? 0) + 1);
  const out = new Map<string, number>();
  for (const [w, c] of raw) {
    const k = toByteChars(w);
    out.set(k, (out.get(k) ?? 0) + c);
  }
  return out;
}

/** Trains a byte-level BPE model on `texts` (or on a word-count table from countWords). */
export function trainBpe(texts: Iterable<string> | Map<string, number>, options: BpeTrainOptions): BpeModel {
  const start = Date.now();
  const specialTokens = [...(options.specialTokens ?? DEFAULT_SPECIAL_TOKENS), ...(options.chatTokens ? CHAT_TOKENS : [])];
  if (new Set(specialTokens).size !== specialTokens.length) throw new Error(`trainBpe: duplicate special tokens ${JSON.stringify(specialTokens)}`);
  const minFrequency = options.minFrequency ?? 2;
  const targetMerges = options.vocabSize - specialTokens.length - 256;
  if (!Number.isInteger(options.vocabSize) || targetMerges < 0) {
    throw new Error(`trainBpe: vocabSize ${options.vocabSize} is smaller than ${specialTokens.length} special + 256 byte tokens`);
  }
  if (options.vocabSize - specialTokens.length > KEY) throw new Error(`trainBpe: vocabSize ${options.vocabSize} exceeds ${KEY + specialTokens.length}`);

  const wordCounts = texts instanceof Map ? texts : countWords(texts);
  // internal ids: 0..255 are bytes, 256.. are merged tokens
  const strings: string[] = [...BYTE_TO_CHAR];
  const idOf = new Map<string, number>(strings.map((s, i) => [s, i]));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    const symbols: number[] = [];
    for (const ch of w) {
      const id = idOf.get(ch);
      if (id === undefined) throw new Error(`trainBpe: word ${JSON.stringify(w)} holds a non byte-level character; pass texts or countWords() output`);
      symbols.push(id);
    }
    if (symbols.length > 1) { words.push(symbols); counts.push(c); }
  }

  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  for (let w = 0; w < words.length; w++) {
    const s = words[w]!;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i]! * KEY + s[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + counts[w]!);
      let set = where.get(key);
      if (!set) where.set(key, (set = new Set()));
      set.add(w);
    }
  }
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(c, key);

  const merges: Array<[string, string]> = [];
  const changed = new Map<number, number>();
  while (strings.length - 256 < targetMerges) {
    const top = heap.pop();
    if (!top) break;
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) { if (current > 0 && current < top.count) heap.push(current, top.key); continue; }
    if (current < minFrequency) break;
    const a = Math.floor(top.key / KEY), b = top.key % KEY;
    if (options.splitDigits && DIGIT.test(strings[a]!) && DIGIT.test(strings[b]!)) { pairCount.delete(top.key); continue; }
    const merged = strings[a]! + strings[b]!;
    let c = idOf.get(merged);
    if (c === undefined) { c = strings.length; strings.push(merged); idOf.set(merged, c); }
    merges.push([strings[a]!, strings[b]!]);

    changed.clear();
    const bump = (key: number, delta: number) => changed.set(key, (changed.get(key) ?? 0) + delta);
    for (const w of where.get(top.key) ?? []) {
      const s = words[w]!;
      let has = false;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) { has = true; break; }
      if (!has) continue;
      const n = counts[w]!;
      for (let i = 0; i + 1 < s.length; i++) bump(s[i]! * KEY + s[i + 1]!, -n);
      const next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { next.push(c); i++; }
        else next.push(s[i]!);
      }
      words[w] = next;
      for (let i = 0; i + 1 < next.length; i++) {
        const key = next[i]! * KEY + next[i + 1]!;
        bump(key, n);
        let set = where.get(key);
        if (!set) where.set(key, (set = new Set()));
        set.add(w);
      }
    }
    where.delete(top.key);
    for (const [key, delta] of changed) {
      if (delta === 0) continue;
      const v = (pairCount.get(key) ?? 0) + delta;
      if (v <= 0) pairCount.delete(key); else pairCount.set(key, v);
      if (delta > 0 && v > 0) heap.push(v, key);
    }
    pairCount.delete(top.key);
    if (merges.length % 100 === 0) options.onProgress?.({ merges: merges.length, targetMerges, elapsedMs: Date.now() - start });
  }
  options.onProgress?.({ merges: merges.length, targetMerges, elapsedMs: Date.now() - start });
  return { tokens: [...specialTokens, ...strings], merges, specialTokens };
}
