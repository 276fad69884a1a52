// Prompts for calibration evaluation: a system prompt per output format (tabc / tac / ta) that explains
// the tags, and the user turn `PROBLEM: …`, with an exact-match note and context paragraphs when given.
// Wording is this project's own, written in the spirit of the RLCR paper's prompts.
import type { ChatMessage } from '../providers/types.js';
import type { OutputFormat } from './parse.js';

const THINK = 'First reason about the problem step by step inside <think> </think> tags.';
const ANSWER = 'Then give only your final answer, as short as possible, inside <answer> </answer> tags.';
const ANALYSIS =
  'Next, inside <analysis> </analysis> tags, critique the answer you just gave: what could make it wrong, ' +
  'which steps or facts you are unsure of, and how likely it is to be right.';
const CONFIDENCE =
  'Finally, inside <confidence> </confidence> tags, state the probability that your answer is correct, ' +
  'as a plain number between 0 and 1 (for example 0.7). Be honest: this number is scored against whether ' +
  'you were right, so neither overstate nor understate it.';

/** The system prompt for an output format. */
export function systemPrompt(format: OutputFormat): string {
  const intro = 'You answer problems in a fixed format.';
  switch (format) {
    case 'tabc':
      return [intro, THINK, ANSWER, ANALYSIS, CONFIDENCE,
        'The layout is: <think> … </think> <answer> … </answer> <analysis> … </analysis> <confidence> … </confidence>, ' +
        'and nothing may follow the closing </confidence> tag.'].join(' ');
    case 'tac':
      return [intro, THINK, ANSWER, CONFIDENCE,
        'The layout is: <think> … </think> <answer> … </answer> <confidence> … </confidence>, ' +
        'and nothing may follow the closing </confidence> tag.'].join(' ');
    case 'ta':
      return [intro, THINK, ANSWER,
        'The layout is: <think> … </think> <answer> … </answer>, and nothing may follow the closing </answer> tag.'].join(' ');
    default:
      throw new Error(`systemPrompt: unknown format '${String(format)}' (expected tabc, tac or ta)`);
  }
}

export interface PromptItem {
  question: string;
  /** Supporting paragraphs (HotpotQA-style); the answer is then checked by exact match. */
  context?: string[] | string;
  /** Multiple-choice options, listed under the question. */
  choices?: string[];
}

/** The user turn: `PROBLEM: …`, choices when present, and context paragraphs when present. */
export function userPrompt(item: PromptItem): string {
  const parts = [`PROBLEM: ${item.question.trim()}`];
  if (item.choices && item.choices.length > 0) {
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    parts.push(['Choices:', ...item.choices.map((c, i) => `${letters[i] ?? String(i + 1)}. ${c}`)].join('\n'));
  }
  const paragraphs = item.context == null ? [] : Array.isArray(item.context) ? item.context : [item.context];
  if (paragraphs.length > 0) {
    parts.push(
      'Your answer will be graded by exact match against the reference answer, so give just the answer ' +
        '(a name, date, number or short phrase) with no extra words.',
    );
    parts.push(['Context paragraphs (some may be irrelevant, and the answer may not be in them):',
      ...paragraphs.map((p, i) => `[${i + 1}] ${p.trim()}`)].join('\n\n'));
  }
  return parts.join('\n\n');
}

/** System + user messages for one item in one format. */
export function buildMessages(item: PromptItem, format: OutputFormat): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(format) },
    { role: 'user', content: userPrompt(item) },
  ];
}
