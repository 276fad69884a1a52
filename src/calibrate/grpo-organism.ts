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
import type { SftExample } from './sft.js';
import { compactPromptText } from './grpo.js';
import { arithmeticReasoning } from '../organisms/calibration.js';

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
 * What the organism's `<analysis>` holds. 'sizes': the operand sizes only, a cue to how hard the problem is but
 * not to whether this sample's answer is right. 'check': the sizes, then the problem redone after the answer and
 * compared with it (arithmeticCheckAnalysis). The check is a per-sample cue: two samples of one problem can state different answers and get different
 * verdicts, which is what confidence-weighted voting needs to beat majority voting.
 */
export type ArithmeticAnalysisKind = 'sizes' | 'check';
export const ARITHMETIC_ANALYSIS_KINDS: readonly ArithmeticAnalysisKind[] = ['sizes', 'check'];

/**
 * Numbers in the check are written with at least three digits, one per word ("0 9 1"), so the total and the stated
 * answer line up digit by digit whatever the tokenizer: the GPT-2 pre-tokenizer keeps " 9" apart from " 1", while
 * "091" may be one BPE token. The answer itself stays in the tokenizer's own chunks, which is what keeps a tiny
 * model's one-shot answer error-prone while its digit-by-digit check stays easy.
 */
const spaced3 = (x: string) => (/^\d+$/.test(x) ? [...x.padStart(3, '0')].join(' ') : x);

/**
 * The 'check' analysis for a stated answer: the sizes, the column working redone, its total, the stated answer
 * copied beside it, a digit-by-digit comparison (1 = same digit, 0 = not), and the verdict:
 * "…; check 2+9=11 carry 1, 3+5+1=9 gives 0 9 1, stated 0 8 2, same 1 0 0, differs". Each step is one a tiny model
 * can learn: copying, then comparing two digits a fixed distance back, then reading three marks; asked for the
 * verdict straight after the two numbers, it only learned the base rate.
 */
export function arithmeticCheckAnalysis(item: Pick<ArithmeticItem, 'a' | 'b' | 'op' | 'answer'>, stated: string): string {
  const t = spaced3(item.answer), s = spaced3(stated.trim());
  const stated3 = s.split(' ');
  const same = t.split(' ').map((d, i) => (t.length === s.length && d === stated3[i] ? '1' : '0')).join(' ');
  return `${arithmeticAnalysis(item)}; check ${arithmeticReasoning(item.a, item.op, item.b)} gives ${t}, stated ${s}, same ${same}, ${t === s ? 'agrees' : 'differs'}`;
}

/** Generous token budget for one completion with each analysis kind (the micro tokenizer; the check adds the column working). */
export const ARITHMETIC_MAX_NEW_TOKENS: Record<ArithmeticAnalysisKind, number> = { sizes: 48, check: 96 };

/** A wrong answer near the right one, the kinds of slips a tiny model makes: off by 1, 2, 9, 10 or 11. */
function nearMiss(answer: string, r: number): string {
  const v = Number(answer) + [1, -1, 10, -10, 2, -2, 9, 11][r % 8];
  return String(v < 0 ? Number(answer) + 10 : v);
}

/**
 * How the SFT draws the q it writes. 'uniform': from {0.1, …, 0.9}, independently of everything. 'routed' (check
 * analysis only): from the even tenths {0.0, 0.2, …, 1.0} after an "agrees" verdict and from the odd tenths
 * {0.1, 0.3, …, 0.9} after "differs". Both sets have mean ½, so the SFT still teaches no calibration, but the only
 * way to write a q the SFT taught is to read the verdict first: RLCR then starts with a path from the q position to
 * the verdict and only has to move q along it. With 'uniform' q it has to build that path by policy gradient alone,
 * and on our organism it never did (q tracked the difficulty level and ignored the verdict).
 */
export type SftConfidencePrior = 'uniform' | 'routed';
export const SFT_CONFIDENCE_PRIORS: readonly SftConfidencePrior[] = ['uniform', 'routed'];

export interface ArithmeticSftOptions {
  /** What `<analysis>` holds (default 'sizes'). */
  analysis?: ArithmeticAnalysisKind;
  /** How q is drawn (default 'uniform'; 'routed' needs the check analysis). */
  confidencePrior?: SftConfidencePrior;
}

/**
 * SFT examples in the tabc format: the correct answer, the analysis, and a confidence drawn as `confidencePrior`
 * says (the SFT teaches the format and a spread of q, not calibration).
 * With the 'check' analysis each item also gives a second example, half of them with a near-miss wrong answer, whose
 * think and answer are context only (`lossFrom`: never trained on) and whose trained part is the honest check and
 * verdict. Without those the model only ever sees "agrees" and writes it whatever it answered. The context is
 * tokenized with the rest of the completion, as the model's own answers are: put in the prompt instead, its token
 * boundaries differ, and the model learns to tell the two kinds of example apart rather than to compare answers.
 */
export function arithmeticSftExamples(items: readonly ArithmeticItem[], format: OutputFormat, seed: number, options: ArithmeticAnalysisKind | ArithmeticSftOptions = {}): (SftExample & { prompt: string })[] {
  const o: ArithmeticSftOptions = typeof options === 'string' ? { analysis: options } : options;
  const analysis = o.analysis ?? 'sizes', prior = o.confidencePrior ?? 'uniform';
  if (!ARITHMETIC_ANALYSIS_KINDS.includes(analysis)) throw new Error(`arithmeticSftExamples: analysis must be one of ${ARITHMETIC_ANALYSIS_KINDS.join(', ')}, got "${analysis}"`);
  if (!SFT_CONFIDENCE_PRIORS.includes(prior)) throw new Error(`arithmeticSftExamples: confidencePrior must be one of ${SFT_CONFIDENCE_PRIORS.join(', ')}, got "${prior}"`);
  if (prior === 'routed' && (analysis !== 'check' || format !== 'tabc')) throw new Error("arithmeticSftExamples: confidencePrior 'routed' routes q through the check's verdict, so it needs analysis 'check' and the tabc format");
  let s = (seed * 2654435761 + 12345) >>> 0;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const q = (agrees: boolean) => prior === 'uniform' ? (1 + Math.floor(next() * 9)) / 10
    : agrees ? (2 * Math.floor(next() * 6)) / 10 : (1 + 2 * Math.floor(next() * 5)) / 10;
  const analysisOf = (it: ArithmeticItem, stated: string) => analysis === 'check' ? arithmeticCheckAnalysis(it, stated) : arithmeticAnalysis(it);
  const out = items.map((it) => ({
    prompt: compactPromptText({ question: it.question }),
    completion: formatCompletion({ think: `${it.a} ${it.op} ${it.b}`, answer: it.answer, analysis: analysisOf(it, it.answer), confidence: q(true) }, format),
  }));
  if (analysis !== 'check' || format !== 'tabc') return out;
  const verdicts = items.map((it, i) => {
    const stated = i % 2 === 0 ? nearMiss(it.answer, i >> 1) : it.answer;
    const completion = formatCompletion({ think: `${it.a} ${it.op} ${it.b}`, answer: stated, analysis: analysisOf(it, stated), confidence: q(stated === it.answer) }, format);
    return { prompt: compactPromptText({ question: it.question }), completion, lossFrom: completion.indexOf('<analysis>') };
  });
  return [...out, ...verdicts];
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
  /** Write every number one digit per token (default false). */
  splitDigits?: boolean;
  /** The analysis the tokenizer is trained to write compactly (default 'sizes'). */
  analysis?: ArithmeticAnalysisKind;
}

export interface MicroOrganism {
  dir: string;
  model: Model;
  items: ArithmeticItem[];
  split(name: ArithmeticSplit): ArithmeticItem[];
}

/** The file beside config.json that records how a micro organism's tokenizer and model were made. */
export const MICRO_ORGANISM_RECIPE_FILE = 'glassbox-micro-organism.json';

/**
 * Builds (or reuses, when `dir` already holds config.json) a micro organism: tokenizer + random tiny Llama.
 * A reused folder must have been built with the same analysis, digit splitting and shape (recorded in
 * MICRO_ORGANISM_RECIPE_FILE; a folder without it was built before the record existed, with the default analysis and
 * BPE digits): anything else would silently train on a tokenizer made for other text, so it throws instead.
 */
export async function buildMicroOrganism(opts: MicroOrganismOptions): Promise<MicroOrganism> {
  const seed = opts.seed ?? 0;
  const items = arithmeticTasks({ seed, sizes: { train: 2000, test: 400, 'ood-subtraction': 200, 'ood-3digit': 200, 'ood-multiplication': 200, ...opts.sizes } });
  const split = (name: ArithmeticSplit) => items.filter((i) => i.split === name);
  const recipe = {
    analysis: opts.analysis ?? 'sizes', splitDigits: opts.splitDigits ?? false, seed, vocabSize: opts.vocabSize ?? 384, hiddenSize: opts.hiddenSize ?? 128,
    intermediateSize: opts.intermediateSize ?? 384, layers: opts.layers ?? 4, heads: opts.heads ?? 4, maxPositions: opts.maxPositions ?? 256,
  };
  const recipePath = path.join(opts.dir, MICRO_ORGANISM_RECIPE_FILE);
  if (fs.existsSync(path.join(opts.dir, 'config.json'))) {
    let built: Record<string, unknown> = { analysis: 'sizes', splitDigits: false };
    if (fs.existsSync(recipePath)) {
      try { built = JSON.parse(fs.readFileSync(recipePath, 'utf8')); } catch (e) { throw new Error(`buildMicroOrganism: ${recipePath} is not valid JSON (${(e as Error).message}); delete the folder ${opts.dir} to rebuild it`); }
    }
    const differ = (Object.keys(recipe) as (keyof typeof recipe)[]).filter((k) => k in built && built[k] !== recipe[k]);
    if (differ.length) throw new Error(`buildMicroOrganism: ${opts.dir} holds a micro organism built with ${differ.map((k) => `${k} ${JSON.stringify(built[k])}`).join(', ')}, not ${differ.map((k) => `${k} ${JSON.stringify(recipe[k])}`).join(', ')}; delete the folder to rebuild it, or use another one`);
  } else {
    const texts = arithmeticSftExamples(items, 'tabc', seed, recipe.analysis).map((e) => e.prompt + e.completion);
    const bpe = trainBpe(texts, { vocabSize: recipe.vocabSize, minFrequency: 2, splitDigits: recipe.splitDigits });
    const tmp = `${opts.dir.replace(/\/+$/, '')}.tok-${process.pid}`;
    await writeTokenizer(tmp, bpe);
    const eos = 0, pad = 1;
    const model = createModel({
      model_type: 'llama', vocab_size: bpe.tokens.length, hidden_size: recipe.hiddenSize, intermediate_size: recipe.intermediateSize,
      num_hidden_layers: recipe.layers, num_attention_heads: recipe.heads, num_key_value_heads: recipe.heads,
      max_position_embeddings: recipe.maxPositions, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: true,
      hidden_act: 'silu', bos_token_id: eos, eos_token_id: eos, pad_token_id: pad,
    }, { seed, std: 0.02 });
    model.dir = tmp;
    saveModel(model, opts.dir, { overwrite: true });
    model.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.writeFileSync(recipePath, JSON.stringify(recipe, null, 1) + '\n');
  }
  return { dir: opts.dir, model: loadModel(opts.dir), items, split };
}
