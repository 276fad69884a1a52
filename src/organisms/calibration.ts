// Calibration organism recipes (data only; the SFT and GRPO trainers live elsewhere): graded-difficulty
// arithmetic, and fact QA whose answer is sometimes in the context, as chat examples whose assistant turn is
// in the RLCR tag format (tabc / tac / ta), with in-domain and out-of-domain test splits. Organisms have a
// 128-token context, so the default prompt is compact: the question alone as the user turn, no system
// prompt, and a short, templated reasoning / analysis. Pass `messages` to use another prompt (e.g. the
// calibrate layer's buildMessages) for bigger models.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { arithmeticTasks, contextQaTasks, type ArithmeticItem, type ContextQaItem } from '../data/index.js';
import type { Tokenizer } from '../models/index.js';
import type { ChatMessage } from '../providers/types.js';

export type CalibrationFormat = 'tabc' | 'tac' | 'ta';
export type CalibrationTask = 'arithmetic' | 'context-qa';

/** What the assistant's SFT target says as its confidence: a constant, a prior by difficulty level, or a function. */
export type ConfidenceRule = { kind: 'constant'; value: number } | { kind: 'difficulty'; byLevel: Record<number, number> } | ((ex: TaskItem) => number);

/** The task-independent view of one item, from which prompts and targets are made. */
export interface TaskItem {
  id: string;
  split: string;
  question: string;
  answer: string;
  /** 1 (easiest) upwards. */
  difficulty: number;
  /** Short reasoning the SFT target shows inside <think>. */
  reasoning: string;
  /** Short self-assessment the SFT target shows inside <analysis>. */
  analysis: string;
  context?: string[];
  meta: Record<string, unknown>;
}

export interface CalibrationExample extends TaskItem {
  /** Prompt messages (no assistant turn). */
  messages: ChatMessage[];
  /** The SFT target: the assistant turn in the chosen format. */
  completion: string;
  /** The confidence the target states (null for 'ta'). */
  targetConfidence: number | null;
}

export interface CalibrationSets {
  task: CalibrationTask;
  format: CalibrationFormat;
  prompt: 'compact' | 'custom';
  seed: number;
  /** SFT / RL training items. */
  train: CalibrationExample[];
  /** In-domain held-out test. */
  test: CalibrationExample[];
  /** Out-of-domain test splits by name. */
  ood: Record<string, CalibrationExample[]>;
}

export interface CalibrationRecipeOptions {
  seed: number;
  task?: CalibrationTask;
  format?: CalibrationFormat;
  /** Builds the prompt messages of an item (default: compactMessages). */
  messages?: (item: TaskItem) => ChatMessage[];
  confidence?: ConfidenceRule;
  /** Items per split, passed to the data generator (arithmetic: train/test/ood-*; context-qa: train/test/ood). */
  sizes?: Record<string, number>;
}

/** Default SFT confidence: 0.5 everywhere, so the SFT teaches the format and no calibration (RL must learn it). */
export const DEFAULT_CONFIDENCE: ConfidenceRule = { kind: 'constant', value: 0.5 };

/** The compact organism prompt: the question (and numbered context lines when given) as one user turn. */
export function compactMessages(item: Pick<TaskItem, 'question' | 'context'>): ChatMessage[] {
  const ctx = item.context?.length ? `${item.context.map((p, i) => `[${i + 1}] ${p}`).join('\n')}\n` : '';
  return [{ role: 'user', content: `${ctx}${item.question}` }];
}

const fmtConfidence = (q: number) => {
  if (!(q >= 0 && q <= 1)) throw new Error(`calibration recipe: confidence ${q} is outside [0, 1]`);
  return String(Math.round(q * 100) / 100);
};

/** The assistant turn in RLCR tag format, kept short: "<think>…</think> <answer>…</answer> <analysis>…</analysis> <confidence>…</confidence>". */
export function formatCompletion(item: Pick<TaskItem, 'reasoning' | 'answer' | 'analysis'>, format: CalibrationFormat, confidence: number | null): string {
  const parts = [`<think>${item.reasoning}</think>`, `<answer>${item.answer}</answer>`];
  if (format === 'tabc') parts.push(`<analysis>${item.analysis}</analysis>`);
  if (format === 'tabc' || format === 'tac') {
    if (confidence === null) throw new Error(`formatCompletion: format '${format}' needs a confidence`);
    parts.push(`<confidence>${fmtConfidence(confidence)}</confidence>`);
  }
  return parts.join(' ');
}

const digitsOf = (n: number) => String(n).split('').reverse().map(Number);

/** Column-by-column working of a sum or difference ("7+8=15 carry 1, 4+3+1=8"), or the product's parts. */
export function arithmeticReasoning(a: number, op: '+' | '-' | '*', b: number): string {
  if (op === '*') {
    if (a < 10 && b < 10) return `${a}*${b}=${a * b}`;
    const [big, small] = b < 10 ? [a, b] : a < 10 ? [b, a] : [a, b];
    if (small >= 10) return `${a}*${b}=${a * b}`;
    const tens = big - (big % 10), ones = big % 10;
    return `${tens}*${small}=${tens * small}, ${ones}*${small}=${ones * small}, ${tens * small}+${ones * small}=${a * b}`;
  }
  const da = digitsOf(a), db = digitsOf(b);
  const steps: string[] = [];
  let carry = 0;
  const n = Math.max(da.length, db.length);
  for (let i = 0; i < n; i++) {
    const x = da[i] ?? 0, y = db[i] ?? 0;
    if (op === '+') {
      const s = x + y + carry;
      steps.push(`${x}+${y}${carry ? '+1' : ''}=${s}${s >= 10 && i < n - 1 ? ' carry 1' : ''}`);
      carry = s >= 10 ? 1 : 0;
    } else {
      let d = x - y - carry;
      const borrow = d < 0;
      if (borrow) d += 10;
      steps.push(`${x}-${y}${carry ? '-1' : ''}${borrow ? ' borrow' : ''}=${d}`);
      carry = borrow ? 1 : 0;
    }
  }
  return steps.join(', ');
}

const LEVEL_NAMES: Record<number, string> = { 1: 'one-digit', 2: 'two-and-one-digit', 3: 'two-digit', 4: 'large' };

function arithmeticItem(x: ArithmeticItem): TaskItem {
  const opName = x.op === '+' ? 'sum' : x.op === '-' ? 'difference' : 'product';
  const carries = x.op === '*' ? '' : `, ${x.carries} ${x.op === '+' ? 'carr' : 'borrow'}${x.carries === 1 ? (x.op === '+' ? 'y' : '') : x.op === '+' ? 'ies' : 's'}`;
  return {
    id: x.id, split: x.split, question: x.question, answer: x.answer, difficulty: x.difficulty,
    reasoning: arithmeticReasoning(x.a, x.op, x.b),
    analysis: `${LEVEL_NAMES[x.difficulty] ?? 'large'} ${opName}${carries}`,
    meta: { op: x.op, a: x.a, b: x.b, digits: x.digits, carries: x.carries },
  };
}

function contextQaItem(x: ContextQaItem): TaskItem {
  return {
    id: x.id, split: x.split, question: x.question, answer: x.answer, difficulty: x.answerInContext ? 1 : 2,
    context: x.paragraphs,
    reasoning: x.answerInContext ? `the context says it` : `the context does not say; from memory`,
    analysis: x.answerInContext ? 'the answer is stated in the context' : 'the answer is not in the context, so this is a guess',
    meta: { relation: x.relation, subject: x.subject, answerInContext: x.answerInContext },
  };
}

function confidenceFor(rule: ConfidenceRule, item: TaskItem): number {
  if (typeof rule === 'function') return rule(item);
  if (rule.kind === 'constant') return rule.value;
  const q = rule.byLevel[item.difficulty];
  if (q === undefined) throw new Error(`calibration recipe: no confidence for difficulty level ${item.difficulty} (levels given: ${Object.keys(rule.byLevel).join(', ')})`);
  return q;
}

/** Train, in-domain test and OOD test sets for a calibration organism. Deterministic given the seed. */
export function calibrationSets(opts: CalibrationRecipeOptions): CalibrationSets {
  const task = opts.task ?? 'arithmetic';
  const format = opts.format ?? 'tabc';
  const rule = opts.confidence ?? DEFAULT_CONFIDENCE;
  const messages = opts.messages ?? compactMessages;
  let items: TaskItem[];
  if (task === 'arithmetic') items = arithmeticTasks({ seed: opts.seed, sizes: opts.sizes }).map(arithmeticItem);
  else if (task === 'context-qa') items = contextQaTasks({ seed: opts.seed, sizes: opts.sizes, paragraphsPerItem: 2 }).map(contextQaItem);
  else throw new Error(`unknown calibration task '${String(task)}'; known: arithmetic, context-qa`);
  const toExample = (it: TaskItem): CalibrationExample => {
    const q = format === 'ta' ? null : confidenceFor(rule, it);
    return { ...it, messages: messages(it), completion: formatCompletion(it, format, q), targetConfidence: q };
  };
  const sets: CalibrationSets = { task, format, prompt: opts.messages ? 'custom' : 'compact', seed: opts.seed, train: [], test: [], ood: {} };
  for (const it of items) {
    const ex = toExample(it);
    if (it.split === 'train') sets.train.push(ex);
    else if (it.split === 'test') sets.test.push(ex);
    else (sets.ood[it.split] ??= []).push(ex);
  }
  return sets;
}

/**
 * Token ids for SFT: the prompt through the chat template with the generation prompt, then the completion
 * (after one space, as "Assistant: <think>…") and EOS. `promptLen` marks the tokens not trained on.
 */
export function sftSequence(tok: Tokenizer, ex: Pick<CalibrationExample, 'messages' | 'completion'>): { ids: number[]; promptLen: number } {
  const prompt = tok.applyChatTemplate(ex.messages.map((m) => ({ role: m.role, content: m.content })), { addGenerationPrompt: true, tokenize: true });
  const eos = tok.eosTokenId;
  if (eos === null) throw new Error('sftSequence: the tokenizer has no EOS token to end the completion with');
  const completion = tok.encode(` ${ex.completion}`, { addSpecialTokens: false });
  return { ids: [...prompt, ...completion, eos], promptLen: prompt.length };
}

/** Writes train.jsonl, test.jsonl and ood-<name>.jsonl (question, answer, messages, completion, …) into `dir`. */
export function writeCalibrationSets(dir: string, sets: CalibrationSets): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, xs: CalibrationExample[]) => {
    const f = join(dir, `${name}.jsonl`);
    writeFileSync(f, xs.map((x) => JSON.stringify(x)).join('\n') + (xs.length ? '\n' : ''));
    files.push(f);
  };
  write('train', sets.train);
  write('test', sets.test);
  for (const [name, xs] of Object.entries(sets.ood)) write(name.startsWith('ood') ? name : `ood-${name}`, xs);
  return files;
}
