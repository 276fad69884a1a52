// A micro calibration organism for GRPO runs, tests and the demo when the organism factory has no cached
// model: graded-addition items (src/data), completions written in the tabc format, a byte-level BPE trained on
// them, and a tiny random Llama saved as a Hugging Face folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { arithmeticTasks, type ArithmeticItem, type ArithmeticSplit } from '../data/index.js';
import { trainBpe } from '../organisms/bpe.js';
import { writeTokenizer } from '../organisms/bpe-files.js';
import { createModel, loadModel, saveModel, type Model } from '../models/index.js';
import type { OutputFormat } from './parse.js';
import type { GrpoItem } from './grpo.js';
import { compactPromptText } from './grpo.js';

export interface CompletionParts { think: string; answer: string; analysis?: string; confidence?: number }

/** A completion in an output format: `<think>…</think><answer>…</answer>[<analysis>…</analysis>][<confidence>q</confidence>]`. */
export function formatCompletion(p: CompletionParts, format: OutputFormat): string {
  let s = `<think>${p.think}</think><answer>${p.answer}</answer>`;
  if (format === 'tabc') s += `<analysis>${p.analysis ?? ''}</analysis>`;
  if (format !== 'ta') s += `<confidence>${(p.confidence ?? 0.5).toFixed(1)}</confidence>`;
  return s;
}

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five'];

/** The analysis a tiny model can learn to write: the operand sizes and the operation (a perceivable difficulty cue). */
export function arithmeticAnalysis(item: Pick<ArithmeticItem, 'a' | 'b' | 'op'>): string {
  const da = String(item.a).length, db = String(item.b).length;
  const opWord = item.op === '+' ? 'sum' : item.op === '-' ? 'difference' : 'product';
  return `${DIGIT_WORDS[da] ?? da}-digit and ${DIGIT_WORDS[db] ?? db}-digit ${opWord}`;
}

/** GRPO / evaluation items from arithmetic items. */
export function arithmeticGrpoItems(items: readonly ArithmeticItem[]): GrpoItem[] {
  return items.map((it) => ({ id: it.id, question: it.question, answer: it.answer, difficulty: it.difficulty }));
}

/**
 * SFT examples in the tabc format: the correct answer, the analysis cue, and a confidence drawn from
 * {0.1, …, 0.9} independently of correctness (the SFT teaches the format and a spread of q, not calibration).
 */
export function arithmeticSftExamples(items: readonly ArithmeticItem[], format: OutputFormat, seed: number): { prompt: string; completion: string }[] {
  let s = (seed * 2654435761 + 12345) >>> 0;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  return items.map((it) => ({
    prompt: compactPromptText({ question: it.question }),
    completion: formatCompletion({ think: `${it.a} ${it.op} ${it.b}`, answer: it.answer, analysis: arithmeticAnalysis(it), confidence: (1 + Math.floor(next() * 9)) / 10 }, format),
  }));
}

/**
 * Splits training items into an SFT set (the first `sftCount`) and a disjoint RL prompt set (the rest, minus any
 * problem the SFT set already holds). Level-1 items are kept in both: there are only 100 one-digit sums. RL on
 * problems the SFT memorised would teach "always right, always sure", which held-out data then contradicts.
 */
export function splitSftRl(train: readonly ArithmeticItem[], sftCount: number): { sft: ArithmeticItem[]; rl: ArithmeticItem[] } {
  if (!Number.isInteger(sftCount) || sftCount < 1 || sftCount >= train.length) throw new Error(`splitSftRl: sftCount must be an integer in [1, ${train.length - 1}] (there are ${train.length} training items), got ${sftCount}`);
  const sft = train.slice(0, sftCount);
  const seen = new Set(sft.map((it) => `${it.a}${it.op}${it.b}`));
  const rl = train.slice(sftCount).filter((it) => it.difficulty === 1 || !seen.has(`${it.a}${it.op}${it.b}`));
  if (rl.length === 0) throw new Error('splitSftRl: no RL prompts left after removing problems the SFT set holds');
  return { sft, rl };
}

export interface MicroOrganismOptions {
  dir: string;
  seed?: number;
  vocabSize?: number;
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  intermediateSize?: number;
  maxPositions?: number;
  /** Arithmetic split sizes (default train 2000, test 400, each OOD split 200). */
  sizes?: Partial<Record<ArithmeticSplit, number>>;
}

export interface MicroOrganism {
  dir: string;
  model: Model;
  items: ArithmeticItem[];
  split(name: ArithmeticSplit): ArithmeticItem[];
}

/** Builds (or reuses, when `dir` already holds config.json) a micro organism: tokenizer + random tiny Llama. */
export async function buildMicroOrganism(opts: MicroOrganismOptions): Promise<MicroOrganism> {
  const seed = opts.seed ?? 0;
  const items = arithmeticTasks({ seed, sizes: { train: 2000, test: 400, 'ood-subtraction': 200, 'ood-3digit': 200, 'ood-multiplication': 200, ...opts.sizes } });
  const split = (name: ArithmeticSplit) => items.filter((i) => i.split === name);
  if (!fs.existsSync(path.join(opts.dir, 'config.json'))) {
    const texts = arithmeticSftExamples(items, 'tabc', seed).map((e) => e.prompt + e.completion);
    const bpe = trainBpe(texts, { vocabSize: opts.vocabSize ?? 384, minFrequency: 2 });
    const tmp = `${opts.dir.replace(/\/+$/, '')}.tok-${process.pid}`;
    await writeTokenizer(tmp, bpe);
    const eos = 0, pad = 1;
    const model = createModel({
      model_type: 'llama', vocab_size: bpe.tokens.length, hidden_size: opts.hiddenSize ?? 128, intermediate_size: opts.intermediateSize ?? 384,
      num_hidden_layers: opts.layers ?? 4, num_attention_heads: opts.heads ?? 4, num_key_value_heads: opts.heads ?? 4,
      max_position_embeddings: opts.maxPositions ?? 256, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: true,
      hidden_act: 'silu', bos_token_id: eos, eos_token_id: eos, pad_token_id: pad,
    }, { seed, std: 0.02 });
    model.dir = tmp;
    saveModel(model, opts.dir, { overwrite: true });
    model.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { dir: opts.dir, model: loadModel(opts.dir), items, split };
}
