/**
 * Generation with a KV cache: batches with left padding and attention masks, greedy / temperature /
 * top-k / top-p sampling from a seeded Rng, EOS and stop strings, a streaming callback, and hooks active
 * at every step (steering during generation).
 */
import { Tensor, empty, noGrad, scope, slice, reshape, sampleLogits, Rng } from '../engine/index.js';
import { KVCache } from './kv-cache.js';
import type { Model } from './model.js';
import type { Hook } from './hooks.js';

export interface GenerateOptions {
  maxNewTokens?: number; // default 32
  temperature?: number; // 0 = greedy (default)
  topK?: number;
  topP?: number;
  seed?: number;
  /** Token ids that end a row (default: the model's EOS ids). Pass [] to never stop on EOS. */
  eosTokenIds?: number[];
  /** Stop strings (need a tokenizer): the row ends when its decoded text contains one; the text is cut before it. */
  stop?: string[];
  hooks?: Hook[];
  /** Called for each new token of each row, in order. */
  onToken?: (row: number, token: number) => void;
  /** Id used for left padding (default: pad, else EOS, else 0). Masked out either way. */
  padTokenId?: number;
}

export interface GenerateResult {
  /** New tokens per row (EOS included when it ended the row, stop-string tokens excluded from text only). */
  tokens: number[][];
  /** Decoded new text per row (when the model has a tokenizer), cut at a stop string. */
  texts: string[] | null;
  finishReasons: ('eos' | 'stop' | 'length')[];
}

/** Generates continuations of token-id prompts (rows may differ in length: they are left-padded). */
export function generate(model: Model, prompts: number[][], opts: GenerateOptions = {}): GenerateResult {
  const cfg = model.config;
  const B = prompts.length;
  if (B === 0) return { tokens: [], texts: [], finishReasons: [] };
  if (prompts.some((p) => p.length === 0)) throw new Error('generate: every prompt needs at least one token (add BOS)');
  const maxNew = opts.maxNewTokens ?? 32;
  const eos = new Set(opts.eosTokenIds ?? (model.generationConfig?.eosTokenIds.length ? model.generationConfig.eosTokenIds : cfg.eosTokenIds));
  const pad = opts.padTokenId ?? cfg.padTokenId ?? [...eos][0] ?? 0;
  if (opts.stop?.length && !model.tokenizer) throw new Error('generate: stop strings need a tokenizer (tokenizer.json in the model folder)');
  const Tp = Math.max(...prompts.map((p) => p.length));
  if (cfg.positional === 'learned' && Tp + maxNew > cfg.maxPositions) throw new Error(`generate: ${Tp + maxNew} tokens exceed the model's ${cfg.maxPositions} positions`);
  const rng = new Rng(opts.seed ?? 0);
  const cache = new KVCache(cfg.nLayers, B, Tp + maxNew, cfg.nKvHeads, cfg.dHead);
  const out: number[][] = prompts.map(() => []);
  const done: (GenerateResult['finishReasons'][number] | null)[] = prompts.map(() => null);
  const texts: string[] = prompts.map(() => '');
  const nextPos = prompts.map((p) => p.length); // position id of the next token per row
  try {
    noGrad(() => {
      // prefill
      let last = scope(() => {
        const ids = empty([B, Tp], 'i32'), pos = empty([B, Tp], 'i32');
        const mask: number[][] = [];
        for (let b = 0; b < B; b++) {
          const p = prompts[b], off = Tp - p.length;
          const row: number[] = [];
          for (let t = 0; t < Tp; t++) {
            const real = t >= off;
            ids.data[b * Tp + t] = real ? p[t - off] : pad;
            pos.data[b * Tp + t] = real ? t - off : 0;
            row.push(real ? 1 : 0);
          }
          mask.push(row);
        }
        const logits = model.forward(ids, { cache, positions: pos, attentionMask: mask, hooks: opts.hooks, lastOnly: true });
        return lastLogits(logits, B);
      });
      for (let step = 0; step < maxNew; step++) {
        const next = scope(() => sampleLogits(last, rng, { temperature: opts.temperature ?? 0, topK: opts.topK, topP: opts.topP }).toFlat());
        last.dispose();
        for (let b = 0; b < B; b++) {
          if (done[b]) continue;
          const tok = next[b];
          out[b].push(tok);
          opts.onToken?.(b, tok);
          if (eos.has(tok)) { done[b] = 'eos'; continue; }
          if (opts.stop?.length) {
            const text = model.tokenizer!.decode(out[b], { skipSpecialTokens: false });
            const hit = firstStop(text, opts.stop);
            if (hit >= 0) { done[b] = 'stop'; texts[b] = text.slice(0, hit); }
          }
        }
        if (done.every((d) => d) || step === maxNew - 1) break;
        last = scope(() => {
          const ids = empty([B, 1], 'i32'), pos = empty([B, 1], 'i32');
          for (let b = 0; b < B; b++) { ids.data[b] = done[b] ? pad : next[b]; pos.data[b] = nextPos[b]++; }
          const logits = model.forward(ids, { cache, positions: pos, hooks: opts.hooks, lastOnly: true });
          return lastLogits(logits, B);
        });
      }
    });
  } finally {
    cache.dispose();
  }
  const finishReasons = done.map((d) => d ?? 'length');
  let decoded: string[] | null = null;
  if (model.tokenizer) {
    decoded = out.map((toks, b) => (finishReasons[b] === 'stop' ? texts[b] : model.tokenizer!.decode(toks.filter((t) => !eos.has(t)), { skipSpecialTokens: true })));
  }
  return { tokens: out, texts: decoded, finishReasons };
}

/** [B, V] logits of the last position (a view when the forward already returned only that one). */
function lastLogits(logits: Tensor, B: number): Tensor {
  const T = logits.shape[1], V = logits.shape[2];
  return T === 1 ? reshape(logits, [B, V]) : reshape(slice(logits, 1, T - 1, T), [B, V]).contiguous();
}

function firstStop(text: string, stops: string[]): number {
  let best = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

export interface GenerateTextOptions extends GenerateOptions {
  /** Wrap each prompt as a user message with the model's chat template. */
  chat?: boolean;
  system?: string;
}

/** Text in, text out: tokenizes (BOS as the model expects, or the chat template), generates, decodes. */
export function generateText(model: Model, prompts: string[], opts: GenerateTextOptions = {}): GenerateResult {
  const tok = model.tokenizer;
  if (!tok) throw new Error('generateText: the model folder has no tokenizer.json');
  const ids = prompts.map((p) => {
    if (!opts.chat) return tok.encode(p, { addSpecialTokens: true });
    const messages = [...(opts.system ? [{ role: 'system' as const, content: opts.system }] : []), { role: 'user' as const, content: p }];
    return tok.applyChatTemplate(messages, { addGenerationPrompt: true, tokenize: true }) as number[];
  });
  return generate(model, ids, opts);
}
