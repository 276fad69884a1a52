// Correctness checkers: SQuAD-normalised exact match with aliases, numeric/LaTeX equivalence for maths, and an
// LLM judge (YES/NO) through any Provider that records its identity (model + template hash) with each verdict.
// A Checker maps (prediction, gold or gold aliases) to a Verdict; it never throws on odd model text.

import { createHash } from 'node:crypto';
import type { Provider } from '../providers/types.js';

export interface JudgeIdentity {
  model: string;
  /** sha256 (hex) of the judge template, see judgeTemplateHash. */
  templateHash: string;
}

export interface Verdict {
  correct: boolean;
  /** Which rule decided: 'exact', 'numeric', 'latex', 'judge', 'empty', … */
  method: string;
  detail?: string;
  judge?: JudgeIdentity;
}

export interface CheckContext {
  question?: string;
  choices?: string[];
  signal?: AbortSignal;
}

export type Checker = (pred: string, gold: string | string[], ctx?: CheckContext) => Promise<Verdict> | Verdict;

function goldList(gold: string | string[]): string[] {
  const list = Array.isArray(gold) ? gold : [gold];
  if (list.length === 0) throw new Error('checker: gold answer list is empty');
  for (const g of list) if (typeof g !== 'string') throw new Error(`checker: gold answers must be strings, got ${typeof g}`);
  return list;
}

// ---- SQuAD exact match ----

const ASCII_PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** SQuAD normalisation: lower-case, drop ASCII punctuation, drop the words a/an/the, collapse whitespace. */
export function normalizeAnswer(s: string): string {
  return s
    .toLowerCase()
    .replace(ASCII_PUNCT, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .join(' ');
}

/** True when the normalised prediction equals any normalised gold alias. */
export function exactMatch(pred: string, gold: string | string[]): boolean {
  const p = normalizeAnswer(pred);
  return goldList(gold).some((g) => normalizeAnswer(g) === p);
}

export const exactMatchChecker: Checker = (pred, gold) => {
  const ok = exactMatch(pred, gold);
  return { correct: ok, method: 'exact', detail: ok ? undefined : `normalised '${normalizeAnswer(pred)}'` };
};

// ---- numeric / LaTeX equivalence ----

/** Content of the last \boxed{…} (or \fbox{…}) with balanced braces, or null. */
export function unboxed(s: string): string | null {
  const i = Math.max(s.lastIndexOf('\\boxed{'), s.lastIndexOf('\\fbox{'));
  if (i < 0) return null;
  let depth = 0;
  const start = s.indexOf('{', i);
  for (let j = start; j < s.length; j++) {
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return s.slice(start + 1, j);
  }
  return null;
}

/** Light LaTeX clean-up shared by numeric parsing and string comparison of maths answers. */
export function normalizeLatex(s: string): string {
  let t = unboxed(s) ?? s;
  t = t
    .replace(/\\[dt]frac/g, '\\frac')
    .replace(/\\left|\\right|\\displaystyle|\\!|\\,|\\;|\\:|\\ |~/g, '')
    .replace(/\$/g, '')
    .replace(/\\\(|\\\)|\\\[|\\\]/g, '')
    .replace(/\^\{?\\circ\}?|°/g, '')
    .replace(/\\%|%/g, '')
    .replace(/\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}/g, '$1')
    .replace(/\{,\}/g, ',')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.。]$/, '')
    .trim();
  return t;
}

const NUM = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const THOUSANDS = /^([+-]?)(\d{1,3}(?:,\d{3})+)(\.\d+)?$/;

/**
 * The value of a numeric answer, or null when it is not a plain number: integers, decimals, 1,000-style
 * separators, a/b, \frac{a}{b} (also \dfrac, \tfrac, \frac12), optional sign, $…$, \boxed{}, %, degrees,
 * `x = …` prefixes and trailing unit words ("42 inches", "\text{ cm}").
 */
export function parseNumber(input: string): number | null {
  let t = normalizeLatex(input);
  if (t.length > 400) return null; // no plain number is this long; also bounds the regex work below
  t = t.replace(/^[A-Za-z]\s*=\s*/, ''); // x = 5
  t = t.replace(/\s+[A-Za-z]+(?:\s+[A-Za-z]+)*$/, ''); // 42 inches
  t = t.replace(/\s+/g, '');
  if (t === '') return null;
  const sep = THOUSANDS.exec(t);
  if (sep) t = sep[1]! + sep[2]!.replace(/,/g, '') + (sep[3] ?? '');
  let m = new RegExp(`^${NUM}$`).exec(t);
  if (m) return finiteOrNull(Number(t));
  m = new RegExp(`^(${NUM})/(${NUM})$`).exec(t);
  if (m) return ratio(Number(m[1]), Number(m[2]));
  m = /^([+-]?)\\frac\{([^{}]+)\}\{([^{}]+)\}$/.exec(t) ?? /^([+-]?)\\frac(\d)(\d)$/.exec(t);
  if (m) {
    const a = parseNumber(m[2]!);
    const b = parseNumber(m[3]!);
    if (a === null || b === null) return null;
    const v = ratio(a, b);
    return v === null ? null : m[1] === '-' ? -v : v;
  }
  return null;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
function ratio(a: number, b: number): number | null {
  return b === 0 ? null : finiteOrNull(a / b);
}

/** |a − b| ≤ relTol·max(|a|, |b|) (exact equality when relTol = 0); absTol covers values near zero. */
export function numbersClose(a: number, b: number, relTol = 1e-9, absTol = 0): boolean {
  if (a === b) return true;
  const d = Math.abs(a - b);
  return d <= absTol || d <= relTol * Math.max(Math.abs(a), Math.abs(b));
}

/** Top-level comma split of a parenthesised/bracketed tuple, or null when `s` is not one. */
function tupleParts(s: string): string[] | null {
  const t = s.trim();
  const open = t[0];
  const close = t[t.length - 1];
  if (!((open === '(' || open === '[') && (close === ')' || close === ']'))) return null;
  const inner = t.slice(1, -1);
  const parts: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(inner.slice(last, i));
      last = i + 1;
    }
  }
  parts.push(inner.slice(last));
  return parts.length > 1 ? parts : null;
}

export interface NumericOptions {
  /** Relative tolerance for numbers (default 1e-9: equal up to float noise). */
  relTol?: number;
  absTol?: number;
  /**
   * When the gold is a number and the prediction is not, compare the last number in the prediction
   * ("The polygon has 15 sides." → 15), as math-verify's extraction does (default true).
   */
  lastNumberFallback?: boolean;
}

const LAST_NUMBER = /\\[dt]?frac\{[^{}]+\}\{[^{}]+\}|\\[dt]?frac\d\d|-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\/\d+)?/g;

/** The value of the last number-like token in free text (\frac{a}{b}, a/b, 1,000, -2.5), or null. */
export function lastNumber(text: string): number | null {
  const t = normalizeLatex(text);
  let last: string | null = null;
  for (const m of t.matchAll(LAST_NUMBER)) last = m[0];
  return last === null ? null : parseNumber(last);
}

/** Maths equivalence of one prediction against one gold: numbers, tuples of numbers, then LaTeX strings. */
export function mathEquivalent(pred: string, gold: string, opts: NumericOptions = {}): { equal: boolean; method: string } {
  const relTol = opts.relTol ?? 1e-9;
  const absTol = opts.absTol ?? 0;
  const a = parseNumber(pred);
  const b = parseNumber(gold);
  if (a !== null && b !== null) return { equal: numbersClose(a, b, relTol, absTol), method: 'numeric' };
  if (a === null && b !== null && (opts.lastNumberFallback ?? true)) {
    const l = lastNumber(pred);
    if (l !== null && numbersClose(l, b, relTol, absTol)) return { equal: true, method: 'last-number' };
  }
  const pa = tupleParts(normalizeLatex(pred));
  const pb = tupleParts(normalizeLatex(gold));
  if (pa && pb) {
    const equal = pa.length === pb.length && pa.every((x, i) => mathEquivalent(x, pb[i]!, opts).equal);
    return { equal, method: 'tuple' };
  }
  const sa = normalizeLatex(pred).replace(/\s+/g, '');
  const sb = normalizeLatex(gold).replace(/\s+/g, '');
  if (sa.length > 0 && sa === sb) return { equal: true, method: 'latex' };
  if (normalizeAnswer(pred) === normalizeAnswer(gold) && normalizeAnswer(gold) !== '') return { equal: true, method: 'exact' };
  return { equal: false, method: a !== null || b !== null ? 'numeric' : 'latex' };
}

/** Numeric/LaTeX checker for maths answers; correct if any gold alias is equivalent. */
export function numericChecker(opts: NumericOptions = {}): Checker {
  return (pred, gold) => {
    let method = 'numeric';
    for (const g of goldList(gold)) {
      const r = mathEquivalent(pred, g, opts);
      if (r.equal) return { correct: true, method: r.method };
      method = r.method;
    }
    const v = parseNumber(pred);
    return { correct: false, method, detail: v === null ? `not a number: '${normalizeLatex(pred)}'` : `value ${v}` };
  };
}

// ---- LLM judge ----

export interface JudgeTemplate {
  system: string;
  /** User message with {question}, {gold} and {pred} placeholders. */
  user: string;
}

/** Default YES/NO judge prompt (in this project's words), after the paper's Llama-3.1-8B-Instruct judge. */
export const DEFAULT_JUDGE_TEMPLATE: JudgeTemplate = {
  system:
    'You grade answers. Decide whether the model answer means the same as any one of the ground-truth answers. ' +
    'Ignore formatting and wording differences that do not change the meaning. Reply with one word: YES or NO.',
  user: 'Question: {question}\nGround-truth answers: {gold}\nModel answer: {pred}\nDoes the model answer match? (YES/NO)',
};

/** sha256 hex of the template, hashed as JSON [system, user] so both parts count. */
export function judgeTemplateHash(t: JudgeTemplate): string {
  return createHash('sha256').update(JSON.stringify([t.system, t.user])).digest('hex');
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(question|gold|pred)\}/g, (_, k: string) => vars[k] ?? '');
}

/** Reads a YES/NO reply: the first standalone yes/no word wins; neither → null. */
export function parseYesNo(reply: string): boolean | null {
  const m = /\b(yes|no)\b/i.exec(reply);
  return m ? m[1]!.toLowerCase() === 'yes' : null;
}

export interface JudgeOptions {
  template?: JudgeTemplate;
  /** Max tokens for the reply (default 20, greedy). */
  maxTokens?: number;
  /** What to show the judge for an empty prediction (the authors used "I don't know"). */
  emptyAnswer?: string;
}

/** An LLM-judge checker: greedy YES/NO; every verdict carries {model, templateHash}. */
export function judgeChecker(provider: Provider, opts: JudgeOptions = {}): Checker {
  const template = opts.template ?? DEFAULT_JUDGE_TEMPLATE;
  const judge: JudgeIdentity = { model: provider.model, templateHash: judgeTemplateHash(template) };
  return async (pred, gold, ctx) => {
    const golds = goldList(gold);
    const shown = pred.trim() === '' ? (opts.emptyAnswer ?? "I don't know") : pred.trim();
    const user = fill(template.user, { question: ctx?.question ?? '', gold: golds.join(' | '), pred: shown });
    const r = await provider.generate({
      messages: [
        { role: 'system', content: template.system },
        { role: 'user', content: user },
      ],
      params: { temperature: 0, maxTokens: opts.maxTokens ?? 20 },
    });
    const yes = parseYesNo(r.text);
    return {
      correct: yes === true,
      method: 'judge',
      detail: yes === null ? `unreadable judge reply: ${JSON.stringify(r.text.slice(0, 200))}` : r.text.trim().slice(0, 200),
      judge,
    };
  };
}

// ---- by name ----

export type CheckerName = 'exact' | 'numeric';

/** The built-in deterministic checkers by name (the judge needs a provider: use judgeChecker). */
export function checkerByName(name: string, opts: NumericOptions = {}): Checker {
  if (name === 'exact') return exactMatchChecker;
  if (name === 'numeric' || name === 'math') return numericChecker(opts);
  throw new Error(`unknown checker '${name}' (expected exact, numeric, or judge via judgeChecker(provider))`);
}
