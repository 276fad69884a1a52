// Parsers for RLCR-style outputs (<think>…</think><answer>…</answer><analysis>…</analysis><confidence>…</confidence>).
// parseStrict is the training parser (format check + q ∈ [0,1]); parseLenient/extractConfidence reproduce the
// RLCR authors' evaluation extractor, and the re-prompt helpers build their two "Thinking time ended" follow-ups.

import type { ChatMessage, GenerateParams, GenerateRequest, Provider } from '../providers/types.js';

/** tabc = think, answer, analysis, confidence (RLCR); tac = think, answer, confidence; ta = think, answer (RLVR). */
export type OutputFormat = 'tabc' | 'tac' | 'ta';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['tabc', 'tac', 'ta'];

export function formatHasConfidence(format: OutputFormat): boolean {
  return format !== 'ta';
}

/**
 * The spec's format regexes (DOTALL), kept as the reference definition. `formatMatches` decides the same
 * language in linear time (tested equal on random tag soup), so a hostile completion cannot make it backtrack.
 */
export const FORMAT_REGEX: Readonly<Record<OutputFormat, RegExp>> = {
  tabc: /^[\s\S]*?<\/think>\s*<answer>[\s\S]*?<\/answer>\s*<analysis>[\s\S]*?<\/analysis>\s*<confidence>[\s\S]*?<\/confidence>\s*$/,
  tac: /^[\s\S]*?<\/think>\s*<answer>[\s\S]*?<\/answer>\s*<confidence>[\s\S]*?<\/confidence>\s*$/,
  ta: /^[\s\S]*?<\/think>\s*<answer>[\s\S]*?<\/answer>\s*$/,
};

// Each format is: anything, then a chain of glued "close-tag ws open-tag" joints separated by anything,
// then a final close tag followed only by whitespace.
const JOINTS: Readonly<Record<OutputFormat, { joints: RegExp[]; final: string }>> = {
  tabc: {
    joints: [/<\/think>\s*<answer>/g, /<\/answer>\s*<analysis>/g, /<\/analysis>\s*<confidence>/g],
    final: '</confidence>',
  },
  tac: { joints: [/<\/think>\s*<answer>/g, /<\/answer>\s*<confidence>/g], final: '</confidence>' },
  ta: { joints: [/<\/think>\s*<answer>/g], final: '</answer>' },
};

/**
 * True when `text` has the exact shape of `format` (opening <think> optional, nothing but whitespace after the
 * last tag). Greedy earliest matching of each joint is optimal because a joint's occurrences end in the same
 * order they start (no joint can overlap itself), so this equals FORMAT_REGEX[format].test(text).
 */
export function formatMatches(text: string, format: OutputFormat): boolean {
  const spec = JOINTS[format];
  if (!spec) throw new Error(`formatMatches: unknown format '${String(format)}' (expected tabc, tac or ta)`);
  let pos = 0;
  for (const joint of spec.joints) {
    joint.lastIndex = pos;
    const m = joint.exec(text);
    if (!m) return false;
    pos = m.index + m[0].length;
  }
  const body = text.trimEnd(); // linear, unlike /\s+$/ on long whitespace runs
  return body.endsWith(spec.final) && body.length - spec.final.length >= pos;
}

/** Contents of every closed `<tag>…</tag>` span, leftmost-first and lazy (Python re.findall with (.*?) and DOTALL). */
export function tagSpans(text: string, tag: string): string[] {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const out: string[] = [];
  let pos = 0;
  for (;;) {
    const s = text.indexOf(open, pos);
    if (s < 0) break;
    const e = text.indexOf(close, s + open.length);
    if (e < 0) break; // an unclosed opener has no span, and no later opener can close either
    out.push(text.slice(s + open.length, e));
    pos = e + close.length;
  }
  return out;
}

/** Content of the last closed span of `tag`, or null when there is none. */
export function lastTag(text: string, tag: string): string | null {
  const spans = tagSpans(text, tag);
  return spans.length ? spans[spans.length - 1]! : null;
}

// A plain decimal as Python float() accepts it (digit-group underscores included), without inf/nan.
const PY_DECIMAL = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const PY_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;
// Python str.strip() whitespace: JS whitespace plus the separators \x1c-\x1f and NEL that Python also strips.
const isPyWs = (ch: string): boolean => /[\s\u001c-\u001f\u0085]/.test(ch) && ch !== '\ufeff';
function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPyWs(s[a]!)) a++;
  while (b > a && isPyWs(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/**
 * Python `float(s)` for ASCII input: the number, or null where Python would raise. Returns NaN/±Infinity for
 * 'nan'/'inf'. (Python also accepts non-ASCII Unicode digits; this does not.)
 */
export function pythonFloat(s: string): number | null {
  const t = pyStrip(s);
  if (PY_DECIMAL.test(t)) return Number(t.replace(/_/g, ''));
  const sp = PY_SPECIAL.exec(t);
  if (sp) {
    if (sp[2]!.toLowerCase() === 'nan') return NaN;
    return sp[1] === '-' ? -Infinity : Infinity;
  }
  return null;
}

/** A strictly well-formed probability: a plain decimal (no %, words, inf/nan) that is finite and in [0, 1]. */
export function parseProbability(raw: string): number | null {
  const t = raw.trim();
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return null;
  const q = Number(t);
  if (!Number.isFinite(q) || q < 0 || q > 1) return null;
  return q === 0 ? 0 : q; // fold -0 into 0
}

export interface StrictParse {
  format: OutputFormat;
  /** Shape matches the format and (for tabc/tac) q is a finite number in [0, 1]. */
  formatOk: boolean;
  /** Content of the last <answer> span (raw, untrimmed), or null. */
  answer: string | null;
  /** Content of the last <analysis> span, or null. */
  analysis: string | null;
  /** q from the last <confidence> span when it is a valid probability, else null. Always null for 'ta'. */
  confidence: number | null;
  /** Why formatOk is false: 'shape' or 'confidence'. */
  failure?: 'shape' | 'confidence';
}

/** The strict training parser: last <answer>/<confidence> win; malformed q is a format failure. */
export function parseStrict(completion: string, format: OutputFormat = 'tabc'): StrictParse {
  if (typeof completion !== 'string') throw new Error(`parseStrict: completion must be a string, got ${typeof completion}`);
  const answer = lastTag(completion, 'answer');
  const analysis = format === 'tabc' ? lastTag(completion, 'analysis') : null;
  const shapeOk = formatMatches(completion, format);
  let confidence: number | null = null;
  if (formatHasConfidence(format)) {
    const raw = lastTag(completion, 'confidence');
    confidence = raw === null ? null : parseProbability(raw);
  }
  if (!shapeOk) return { format, formatOk: false, answer, analysis, confidence, failure: 'shape' };
  if (formatHasConfidence(format) && confidence === null) {
    return { format, formatOk: false, answer, analysis, confidence, failure: 'confidence' };
  }
  return { format, formatOk: true, answer, analysis, confidence };
}

export interface ExtractedConfidence {
  /** q in [0, 1]; 0 when nothing usable was found. */
  confidence: number;
  /** The authors' format-adherence flag: true when a usable confidence was found. */
  formatOk: boolean;
  /** Content of the last closed <confidence> span, or null. */
  raw: string | null;
  /** Which rule produced q. */
  via: 'float' | 'float-percent' | 'first-number' | 'first-number-percent' | 'none';
}

/**
 * The RLCR authors' confidence extractor (eval/check_functions.py, described in rlcr-outputs/README.md):
 * last closed span; float() of it with (1,100] → /100 tested before [0,1]; if float() raises, the first
 * `-?\d+(\.\d+)?` with [0,1] tested first; anything else (empty, negative, >100, inf, nan) → q = 0, flag 0.
 */
export function extractConfidence(text: string): ExtractedConfidence {
  const raw = lastTag(text, 'confidence');
  if (raw === null || raw === '') return { confidence: 0, formatOk: false, raw, via: 'none' };
  const v = pythonFloat(raw);
  if (v !== null) {
    if (v > 1 && v <= 100) return { confidence: v / 100, formatOk: true, raw, via: 'float-percent' };
    if (v >= 0 && v <= 1) return { confidence: v, formatOk: true, raw, via: 'float' };
    return { confidence: 0, formatOk: false, raw, via: 'none' };
  }
  const m = /-?\d+(?:\.\d+)?/.exec(raw);
  if (!m) return { confidence: 0, formatOk: false, raw, via: 'none' };
  const w = Number(m[0]);
  if (w >= 0 && w <= 1) return { confidence: w, formatOk: true, raw, via: 'first-number' };
  if (w > 1 && w <= 100) return { confidence: w / 100, formatOk: true, raw, via: 'first-number-percent' };
  return { confidence: 0, formatOk: false, raw, via: 'none' };
}

/** The authors' answer extraction: content of the last closed <answer> span, or '' when there is none. */
export function extractAnswer(text: string): string {
  return lastTag(text, 'answer') ?? '';
}

export interface LenientParse {
  /** Last <answer> content ('' if none). */
  answer: string;
  /** Authors' extractor result (0 when absent). */
  confidence: number;
  /** Authors' confidence format-adherence flag. */
  formatOk: boolean;
  /** No closed <answer> span: run the answer re-prompt (ans_at_end). */
  needsAnswerReprompt: boolean;
  /** No closed <confidence> span: run the confidence re-prompt (confidence_at_end). */
  needsConfidenceReprompt: boolean;
  confidenceVia: ExtractedConfidence['via'];
}

/** The lenient evaluation parser. Apply it to the text after any re-prompt appends, as the authors did. */
export function parseLenient(text: string): LenientParse {
  const c = extractConfidence(text);
  return {
    answer: extractAnswer(text),
    confidence: c.confidence,
    formatOk: c.formatOk,
    needsAnswerReprompt: lastTag(text, 'answer') === null,
    needsConfidenceReprompt: c.raw === null,
    confidenceVia: c.via,
  };
}

// ---- re-prompts (evaluation.py: ans_at_end, confidence_at_end) ----

/** Appended after the generation when it has no closed <answer> span. */
export const ANSWER_REPROMPT_SUFFIX = 'Thinking time ended \n\n. My final answer is ';
/** Appended after the (answer-completed) text when it has no closed <confidence> span. */
export const CONFIDENCE_REPROMPT_SUFFIX =
  'Thinking time ended \n\n. My verbalized confidence in my answer as a number between 0 and 100 is equal to ';
/** Greedy, 50 tokens for the answer; greedy, 20 tokens for the confidence. */
export const ANSWER_REPROMPT_PARAMS: Readonly<GenerateParams> = { temperature: 0, maxTokens: 50 };
export const CONFIDENCE_REPROMPT_PARAMS: Readonly<GenerateParams> = { temperature: 0, maxTokens: 20 };

/** The assistant prefill for the answer re-prompt: the generation, then the suffix. */
export function answerRepromptPrefill(generation: string): string {
  return generation + ANSWER_REPROMPT_SUFFIX;
}
/** The assistant prefill for the confidence re-prompt: the step-1 text, then the suffix. */
export function confidenceRepromptPrefill(text: string): string {
  return text + CONFIDENCE_REPROMPT_SUFFIX;
}
/** What the authors append after the answer re-prompt (note the single spaces inside the tags). */
export function appendAnswer(generation: string, continuation: string): string {
  return `${generation}<answer> ${continuation} </answer>`;
}
/** What the authors append after the confidence re-prompt (no added spaces). */
export function appendConfidence(text: string, continuation: string): string {
  return `${text}<confidence>${continuation}</confidence>`;
}

/** A ready GenerateRequest for the answer re-prompt of `generation` answered to `messages`. */
export function answerRepromptRequest(messages: ChatMessage[], generation: string): GenerateRequest {
  return { messages, prefill: answerRepromptPrefill(generation), params: { ...ANSWER_REPROMPT_PARAMS } };
}
/** A ready GenerateRequest for the confidence re-prompt. */
export function confidenceRepromptRequest(messages: ChatMessage[], text: string): GenerateRequest {
  return { messages, prefill: confidenceRepromptPrefill(text), params: { ...CONFIDENCE_REPROMPT_PARAMS } };
}

export interface RepromptResult extends LenientParse {
  /** The generation plus whatever the re-prompts appended: the text the parse ran on. */
  text: string;
  appendedAnswer: boolean;
  appendedConfidence: boolean;
}

/**
 * Runs the authors' post-generation steps in their order: answer re-prompt if no closed <answer>, then
 * (when `wantConfidence`) confidence re-prompt if no closed <confidence>; then parses leniently.
 */
export async function completeWithReprompts(
  provider: Provider,
  messages: ChatMessage[],
  generation: string,
  opts: { wantConfidence?: boolean } = {},
): Promise<RepromptResult> {
  let text = generation;
  let appendedAnswer = false;
  let appendedConfidence = false;
  if (lastTag(text, 'answer') === null) {
    const r = await provider.generate(answerRepromptRequest(messages, text));
    text = appendAnswer(text, r.text);
    appendedAnswer = true;
  }
  if ((opts.wantConfidence ?? true) && lastTag(text, 'confidence') === null) {
    const r = await provider.generate(confidenceRepromptRequest(messages, text));
    text = appendConfidence(text, r.text);
    appendedConfidence = true;
  }
  return { ...parseLenient(text), text, appendedAnswer, appendedConfidence };
}
