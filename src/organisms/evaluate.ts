// Evaluation of a trained organism: held-out perplexity over windows (and the same tokens' perplexity under
// a unigram model of the training data, the baseline), and fact recall on cloze prompts, by greedy
// completion (exact: the continuation starts with the answer) and by ranking the answer against distractors.
import { crossEntropy, noGrad, reshape, scope } from '../engine/index.js';
import { generate, scoreContinuations, type Model, type Tokenizer } from '../models/index.js';
import { collateCausal } from '../nn/index.js';
import { makeRng, type FactPrompt } from '../data/index.js';

export interface PerplexityResult {
  perplexity: number;
  /** Mean negative log-likelihood per predicted token (nats). */
  nll: number;
  /** Tokens predicted. */
  tokens: number;
}

/**
 * Windows of `window + 1` tokens overlapping by one, so every token but the first is predicted once, each
 * from the tokens before it in its window: [0..W], [W..2W], … (what models' perplexity() does, batched).
 * `maxTokens` caps the tokens predicted.
 */
export function evalWindows(ids: ArrayLike<number>, window: number, maxTokens = Infinity): number[][] {
  if (!Number.isInteger(window) || window < 1) throw new Error(`evalWindows: window must be a positive integer, got ${window}`);
  const out: number[][] = [];
  let predicted = 0;
  for (let s = 0; s + 1 < ids.length && predicted < maxTokens; s += window) {
    const end = Math.min(ids.length, s + window + 1, s + 1 + (maxTokens - predicted));
    out.push(Array.from({ length: end - s }, (_, i) => ids[s + i]!));
    predicted += end - s - 1;
  }
  return out;
}

/** The tokens evalWindows' windows predict, in order. */
export function predictedTokens(windows: readonly (readonly number[])[]): number[] {
  return windows.flatMap((w) => w.slice(1));
}

/** exp(mean NLL) of the model over the windows (batched forward passes, no gradients). */
export function windowPerplexity(model: Model, windows: readonly (readonly number[])[], opts: { batchSize?: number; padId?: number } = {}): PerplexityResult {
  const bs = opts.batchSize ?? 8;
  const pad = opts.padId ?? model.config.padTokenId ?? 0;
  let total = 0, n = 0;
  for (let i = 0; i < windows.length; i += bs) {
    const rows = windows.slice(i, i + bs).filter((w) => w.length >= 2);
    if (rows.length === 0) continue;
    const { sum, count } = noGrad(() => scope(() => {
      const b = collateCausal(rows, { padId: pad });
      const [B, T] = b.inputIds.shape;
      const logits = model.forward(b.inputIds, { attentionMask: b.attentionMask });
      const V = logits.shape[2]!;
      const loss = crossEntropy(reshape(logits, [B! * T!, V]), reshape(b.targets, [B! * T!]), { reduction: 'sum' });
      return { sum: loss.item(), count: b.tokens };
    }));
    total += sum; n += count;
  }
  if (n === 0) throw new Error('windowPerplexity: no tokens to predict (need windows of at least 2 tokens)');
  return { perplexity: Math.exp(total / n), nll: total / n, tokens: n };
}

/** Perplexity of a unigram model (add-`alpha` smoothed counts over the vocabulary) on `targets`. */
export function unigramPerplexity(counts: ArrayLike<number>, targets: readonly number[], opts: { alpha?: number } = {}): PerplexityResult {
  const alpha = opts.alpha ?? 1;
  if (!(alpha > 0)) throw new Error(`unigramPerplexity: alpha must be > 0 (so no token has probability 0), got ${alpha}`);
  const V = counts.length;
  let total = 0;
  for (let i = 0; i < V; i++) total += counts[i]!;
  const denom = total + alpha * V;
  let nll = 0;
  for (const t of targets) {
    if (!(t >= 0 && t < V)) throw new Error(`unigramPerplexity: token ${t} is outside the vocabulary of ${V}`);
    nll -= Math.log((counts[t]! + alpha) / denom);
  }
  if (targets.length === 0) throw new Error('unigramPerplexity: no target tokens');
  return { perplexity: Math.exp(nll / targets.length), nll: nll / targets.length, tokens: targets.length };
}

/** Whether a generated continuation gives the answer: it starts with it (leading spaces ignored) and the answer ends a word there. */
export function answerMatches(generated: string, answer: string): boolean {
  const g = generated.trimStart(), a = answer.trim();
  if (a === '' || !g.startsWith(a)) return false;
  const next = g.charAt(a.length);
  return next === '' || !/[\p{L}\p{N}]/u.test(next);
}

export interface RecallCell { correct: number; total: number; accuracy: number }

export interface RecallReport {
  /** All prompts given. */
  overall: RecallCell;
  /** relation -> template split -> cell. */
  byRelation: Record<string, Record<string, RecallCell>>;
  /** A few prompts with what the model said, for the report. */
  examples: { prompt: string; answer: string; output: string; correct: boolean; split: string }[];
}

function cell(correct: number, total: number): RecallCell {
  return { correct, total, accuracy: total > 0 ? correct / total : 0 };
}

function summarize(prompts: readonly FactPrompt[], correct: boolean[], outputs: string[], nExamples: number): RecallReport {
  const tally = new Map<string, [number, number]>();
  prompts.forEach((p, i) => {
    for (const key of [`${p.relation}\u0000${p.split}`, `${p.relation}\u0000all`]) {
      const t = tally.get(key) ?? [0, 0];
      t[0] += correct[i] ? 1 : 0; t[1]++;
      tally.set(key, t);
    }
  });
  const byRelation: Record<string, Record<string, RecallCell>> = {};
  for (const [key, [c, n]] of tally) {
    const [rel, split] = key.split('\u0000') as [string, string];
    (byRelation[rel] ??= {})[split] = cell(c, n);
  }
  const step = Math.max(1, Math.floor(prompts.length / Math.max(1, nExamples)));
  const examples = [];
  for (let i = 0; i < prompts.length && examples.length < nExamples; i += step) {
    examples.push({ prompt: prompts[i]!.prompt, answer: prompts[i]!.answer, output: outputs[i]!, correct: correct[i]!, split: prompts[i]!.split });
  }
  return { overall: cell(correct.filter(Boolean).length, correct.length), byRelation, examples };
}

/** Token ids of a cloze prompt as the organisms see a document start: the separator token, then the text. */
export function promptIds(tok: Tokenizer, prompt: string, startId: number | null): number[] {
  const ids = tok.encode(prompt, { addSpecialTokens: false });
  return startId === null ? ids : [startId, ...ids];
}

export interface RecallOptions {
  batchSize?: number;
  /** Prepended to every prompt (the organisms' EOS/document separator); null for none. Default: the model's first EOS id. */
  startId?: number | null;
  examples?: number;
}

/** Greedy completion: correct when the continuation starts with the answer (see answerMatches). */
export function greedyRecall(model: Model, prompts: readonly FactPrompt[], opts: RecallOptions = {}): RecallReport {
  const tok = model.tokenizer;
  if (!tok) throw new Error('greedyRecall: the model has no tokenizer');
  const start = opts.startId === undefined ? (model.config.eosTokenIds[0] ?? null) : opts.startId;
  const bs = opts.batchSize ?? 32;
  const correct: boolean[] = [], outputs: string[] = [];
  for (let i = 0; i < prompts.length; i += bs) {
    const batch = prompts.slice(i, i + bs);
    const ids = batch.map((p) => promptIds(tok, p.prompt, start));
    const maxNew = Math.max(...batch.map((p) => tok.encode(p.answer, { addSpecialTokens: false }).length)) + 1;
    const r = generate(model, ids, { maxNewTokens: maxNew, temperature: 0 });
    batch.forEach((p, j) => {
      const text = r.texts?.[j] ?? tok.decode(r.tokens[j]!);
      outputs.push(text);
      correct.push(answerMatches(text, p.object));
    });
  }
  return summarize(prompts, correct, outputs, opts.examples ?? 8);
}

/**
 * Ranking: the answer's log-probability (as " object") against `distractors` other objects of the same
 * relation, drawn with a seeded RNG; correct when the answer scores highest. Chance is 1/(distractors+1).
 */
export function rankedRecall(model: Model, prompts: readonly FactPrompt[], opts: RecallOptions & { distractors?: number; seed?: number } = {}): RecallReport {
  const tok = model.tokenizer;
  if (!tok) throw new Error('rankedRecall: the model has no tokenizer');
  const start = opts.startId === undefined ? (model.config.eosTokenIds[0] ?? null) : opts.startId;
  const k = opts.distractors ?? 4;
  const objects = new Map<string, string[]>();
  for (const p of prompts) {
    const l = objects.get(p.relation) ?? [];
    if (!l.includes(p.object)) l.push(p.object);
    objects.set(p.relation, l);
  }
  const rng = makeRng(opts.seed ?? 0).fork('distractors');
  const correct: boolean[] = [], outputs: string[] = [];
  for (const p of prompts) {
    const pool = objects.get(p.relation)!.filter((o) => o !== p.object);
    const cands = [p.object, ...rng.shuffle(pool).slice(0, k)];
    const context = promptIds(tok, p.prompt, start);
    const lead = p.answer.slice(0, p.answer.length - p.object.length);
    const scores = scoreContinuations(model, cands.map((c) => ({ context, continuation: tok.encode(lead + c, { addSpecialTokens: false }) })), { batchSize: opts.batchSize ?? 8 });
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]!.logprob > scores[best]!.logprob) best = i;
    correct.push(best === 0);
    outputs.push(cands[best]!);
  }
  return summarize(prompts, correct, outputs, opts.examples ?? 8);
}
