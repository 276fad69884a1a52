// The calibration evaluation harness: ask a provider every question of a JSONL dataset N times in an
// RLCR output format, complete missing tags with the authors' re-prompts, check answers, stream one
// record per sample into a run ('calibrate-eval') and write a summary (metrics with CIs, reliability
// bins, histogram, voting curves). Also: re-scoring a finished run, thresholds, and report data.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import type { Completion, GenerateParams, Provider } from '../providers/types.js';
import type { RunStore } from '../runs/index.js';
import { exactMatchChecker, type Checker, type Verdict } from './check.js';
import { aggregateMetrics, computeMetrics, type CalibrationMetrics } from './metrics.js';
import { completeWithReprompts, parseLenient, parseStrict, type OutputFormat } from './parse.js';
import { buildMessages } from './prompts.js';
import type { CalibrationReportData, ReportCurve } from './report.js';
import { accuracyVsN, VOTE_METHODS, type CheckedSample } from './scaling.js';

// ---- datasets ----

const goldValue = z.union([z.string(), z.number()]);
const ItemSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  question: z.string().min(1).optional(),
  problem: z.string().min(1).optional(),
  answer: z.union([goldValue, z.array(goldValue).min(1)]).optional(),
  answers: z.array(goldValue).min(1).optional(),
  context: z.union([z.string(), z.array(z.string())]).optional(),
  paragraphs: z.array(z.string()).optional(),
  choices: z.array(z.string()).optional(),
  dataset: z.string().optional(),
});

/** One evaluation item, normalised from a JSONL line. */
export interface CalibrationItem {
  id: string;
  question: string;
  /** Gold answer and its aliases (at least one). */
  gold: string[];
  context?: string[];
  choices?: string[];
  /** Dataset name for per-dataset metrics (default: the file's base name). */
  dataset: string;
}

/**
 * Validates and normalises raw items: `question` (or `problem`), `answer` (string/number or list) or
 * `answers`, optional `context`/`paragraphs`, `choices`, `id`, `dataset`. Errors name the item and field.
 */
export function normalizeItems(raw: readonly unknown[], source = 'dataset'): CalibrationItem[] {
  return raw.map((r, i) => {
    const where = `${source} item ${i + 1}`;
    const p = ItemSchema.safeParse(r);
    if (!p.success) {
      const issue = p.error.issues[0]!;
      throw new Error(`${where}: ${issue.path.map(String).join('.') || 'item'}: ${issue.message}`);
    }
    const d = p.data;
    const question = d.question ?? d.problem;
    if (!question) throw new Error(`${where}: question: missing (give 'question' or 'problem')`);
    const goldRaw = d.answers ?? (d.answer === undefined ? undefined : Array.isArray(d.answer) ? d.answer : [d.answer]);
    if (!goldRaw) throw new Error(`${where}: answer: missing (give 'answer' or 'answers')`);
    const context = d.paragraphs ?? (d.context === undefined ? undefined : Array.isArray(d.context) ? d.context : [d.context]);
    return {
      id: d.id === undefined ? String(i) : String(d.id),
      question,
      gold: goldRaw.map(String),
      ...(context && context.length ? { context } : {}),
      ...(d.choices ? { choices: d.choices } : {}),
      dataset: d.dataset ?? source,
    };
  });
}

/** Reads a JSONL dataset file (blank lines skipped); errors name the file and line. */
export function loadCalibrationDataset(path: string): CalibrationItem[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`dataset ${path}: cannot read (${(e as Error).message})`);
  }
  const raw: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      raw.push(JSON.parse(line));
    } catch (e) {
      throw new Error(`dataset ${path}: line ${i + 1} is not valid JSON (${(e as Error).message})`);
    }
  });
  if (raw.length === 0) throw new Error(`dataset ${path}: no items`);
  return normalizeItems(raw, basename(path).replace(/\.jsonl?$/, ''));
}

// ---- records and summary ----

/** One evaluated sample, as logged (one JSONL line in the run). */
export interface EvalSampleRecord {
  type: 'sample';
  /** item·samples + sample: a stable position in the run. */
  index: number;
  item: number;
  sample: number;
  id: string;
  dataset: string;
  question: string;
  gold: string[];
  /** The raw generation. */
  completion: string;
  /** Generation plus whatever the re-prompts appended (what was parsed). */
  text: string;
  answer: string;
  confidence: number;
  correct: boolean;
  /** Strict (training) format adherence of the raw generation. */
  strictFormat: boolean;
  /** The authors' confidence format-adherence flag (lenient parse). */
  confidenceFlag: boolean;
  repromptedAnswer: boolean;
  repromptedConfidence: boolean;
  verdict: Verdict;
  finishReason: Completion['finishReason'];
  usage?: Completion['usage'];
  cached: boolean;
  [field: string]: unknown;
}

export interface EvalErrorRecord {
  type: 'error';
  item: number;
  sample: number;
  id: string;
  message: string;
  [field: string]: unknown;
}

export interface ScalingCurve {
  N: number[];
  majority: number[];
  weighted: number[];
  'max-confidence': number[];
  trials: number;
}

/** The summary written to the run (fits the lab's CalibrationSummary). */
export interface CalibrationEvalSummary {
  metrics: Record<string, number | null | { value: number | null; lo?: number | null; hi?: number | null }>;
  reliability: { bin: number; lo: number; hi: number; n: number; conf: number | null; acc: number | null }[];
  histogram: { edges: number[]; counts: number[] };
  scaling?: ScalingCurve;
  /** Full metrics of all samples (and per dataset when there are several). */
  detail: CalibrationMetrics;
  perDataset?: Record<string, CalibrationMetrics>;
  errors: number;
  [field: string]: unknown;
}

export interface SummaryOptions {
  bootstrap?: number;
  seed?: number;
  /** Trials per N for the voting curves (default 20). */
  scalingTrials?: number;
}

/** Metrics, reliability, histogram and (with several samples per item) voting curves from sample records. */
export function summarizeSamples(records: readonly EvalSampleRecord[], errors = 0, opts: SummaryOptions = {}): CalibrationEvalSummary {
  if (records.length === 0) throw new Error(`no successful samples to summarise (${errors} failed)`);
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const mopts = { bootstrap: opts.bootstrap ?? 1000, seed: opts.seed ?? 0 };
  const m = computeMetrics(sorted, mopts);
  const ci = (k: 'accuracy' | 'brier' | 'ece' | 'auroc', v: number | null) =>
    m.ci?.[k] ? { value: v, lo: m.ci[k]!.lo, hi: m.ci[k]!.hi } : v;
  const rate = (f: (r: EvalSampleRecord) => boolean) => sorted.filter(f).length / sorted.length;
  const tokens = sorted.reduce((t, r) => ({ p: t.p + (r.usage?.promptTokens ?? 0), c: t.c + (r.usage?.completionTokens ?? 0) }), { p: 0, c: 0 });
  const summary: CalibrationEvalSummary = {
    metrics: {
      accuracy: ci('accuracy', m.accuracy),
      brier: ci('brier', m.brier),
      ece: ci('ece', m.ece),
      auroc: ci('auroc', m.auroc),
      eceEqualMass: m.eceEqualMass,
      mce: m.mce,
      rmsce: m.rmsce,
      aurc: m.aurc,
      meanConfidence: m.collapse.meanConfidence,
      distinctConfidences: m.collapse.distinctConfidences,
      shareExtreme: m.collapse.shareExtreme,
      strictFormatRate: rate((r) => r.strictFormat),
      confidenceFlagRate: rate((r) => r.confidenceFlag),
      answerRepromptRate: rate((r) => r.repromptedAnswer),
      confidenceRepromptRate: rate((r) => r.repromptedConfidence),
      n: m.n,
      errors,
      promptTokens: tokens.p,
      completionTokens: tokens.c,
    },
    reliability: m.bins.map((b) => ({ bin: b.bin, lo: b.lo, hi: b.hi, n: b.n, conf: b.meanConf, acc: b.acc })),
    histogram: m.histogram,
    detail: m,
    errors,
  };
  const datasets = [...new Set(sorted.map((r) => r.dataset))];
  if (datasets.length > 1) {
    summary.perDataset = Object.fromEntries(datasets.map((d) => [d, computeMetrics(sorted.filter((r) => r.dataset === d), mopts)]));
    const agg = aggregateMetrics(Object.values(summary.perDataset));
    summary.metrics.meanOverDatasetsAccuracy = agg.accuracy;
    summary.metrics.meanOverDatasetsEce = agg.ece;
    summary.metrics.meanOverDatasetsBrier = agg.brier;
    summary.metrics.meanOverDatasetsAuroc = agg.auroc;
  }
  const curve = scalingCurve(sorted, opts);
  if (curve) summary.scaling = curve;
  return summary;
}

/** Accuracy vs N for majority, confidence-weighted and max-confidence voting; null with one sample per item. */
export function scalingCurve(records: readonly EvalSampleRecord[], opts: SummaryOptions = {}): ScalingCurve | null {
  const pools = new Map<number, CheckedSample[]>();
  for (const r of records) {
    const pool = pools.get(r.item) ?? [];
    pool.push({ answer: r.answer, confidence: r.confidence, correct: r.correct });
    pools.set(r.item, pool);
  }
  const list = [...pools.values()];
  if (list.length === 0) return null;
  const maxN = Math.min(...list.map((p) => p.length));
  if (maxN < 2) return null;
  const ns: number[] = [];
  for (let n = 1; n < maxN; n *= 2) ns.push(n);
  ns.push(maxN);
  const trials = opts.scalingTrials ?? 20;
  const pts = accuracyVsN(list, ns, { trials, seed: opts.seed ?? 0 });
  return {
    N: ns,
    majority: pts.map((p) => p.accuracy.majority),
    weighted: pts.map((p) => p.accuracy.weighted),
    'max-confidence': pts.map((p) => p.accuracy['max-confidence']),
    trials,
  };
}

// ---- the harness ----

export interface EvalProgress {
  done: number;
  total: number;
  errors: number;
  cached: number;
}

export interface EvaluateOptions {
  provider: Provider;
  /** Items, or a JSONL path. */
  /** A JSONL path, normalised items, or raw items ({question, answer | answers, context?, ...}). */
  dataset: readonly (CalibrationItem | Record<string, unknown>)[] | string;
  format: OutputFormat;
  /** Samples per item (default 1). */
  samples?: number;
  /** Correctness checker (default SQuAD exact match). */
  checker?: Checker;
  /** Recorded in the run config, e.g. 'exact', 'numeric', 'judge:http://…#llama'. */
  checkerName?: string;
  /** Samples being processed at once (default 8; the provider caps its own requests too). */
  concurrency?: number;
  /** Generation parameters (default temperature 0.7 with several samples, else 0; maxTokens 1024). */
  params?: GenerateParams;
  /** Seed: recorded, used for bootstrap/voting, and passed to the provider as seed + sample index. */
  seed?: number;
  /** Run the authors' answer/confidence re-prompts when tags are missing (default true). */
  reprompt?: boolean;
  /** When given, a 'calibrate-eval' run is written. */
  store?: RunStore;
  runName?: string;
  /** Extra config recorded in the run header (e.g. the data path). */
  config?: Record<string, unknown>;
  bootstrap?: number;
  onProgress?: (p: EvalProgress) => void;
  /** Called with every record as it is produced. */
  onRecord?: (r: EvalSampleRecord | EvalErrorRecord) => void;
}

export interface EvaluationResult {
  runId: string | null;
  summary: CalibrationEvalSummary;
  records: EvalSampleRecord[];
  errors: EvalErrorRecord[];
}

/** Evaluates one sample: generate, re-prompt missing tags, check. Throws on provider failure. */
async function evaluateSample(
  provider: Provider, item: CalibrationItem, itemIndex: number, sample: number, samples: number,
  opts: EvaluateOptions, params: GenerateParams, checker: Checker,
): Promise<EvalSampleRecord> {
  const messages = buildMessages(item, opts.format);
  const p: GenerateParams = { ...params };
  if (opts.seed != null) p.seed = opts.seed + sample;
  const gen = await provider.generate({ messages, params: p, sampleIndex: sample });
  const strict = parseStrict(gen.text, opts.format);
  const done = opts.reprompt === false
    ? { ...parseLenient(gen.text), text: gen.text, appendedAnswer: false, appendedConfidence: false }
    : await completeWithReprompts(provider, messages, gen.text, { wantConfidence: true });
  const verdict = await checker(done.answer.trim(), item.gold, { question: item.question, choices: item.choices });
  return {
    type: 'sample',
    index: itemIndex * samples + sample,
    item: itemIndex,
    sample,
    id: item.id,
    dataset: item.dataset,
    question: item.question,
    gold: item.gold,
    completion: gen.text,
    text: done.text,
    answer: done.answer,
    confidence: done.confidence,
    correct: verdict.correct,
    strictFormat: strict.formatOk,
    confidenceFlag: done.formatOk,
    repromptedAnswer: done.appendedAnswer,
    repromptedConfidence: done.appendedConfidence,
    verdict,
    finishReason: gen.finishReason,
    ...(gen.usage ? { usage: gen.usage } : {}),
    cached: gen.cached === true,
  };
}

/** Runs the evaluation; writes a run when `store` is given (failed status if everything errored). */
export async function evaluateCalibration(opts: EvaluateOptions): Promise<EvaluationResult> {
  const items = typeof opts.dataset === 'string' ? loadCalibrationDataset(opts.dataset)
    : opts.dataset.every((x) => Array.isArray((x as CalibrationItem).gold)) ? [...(opts.dataset as CalibrationItem[])] : normalizeItems(opts.dataset, 'dataset');
  if (items.length === 0) throw new Error('evaluateCalibration: the dataset has no items');
  const samples = opts.samples ?? 1;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`evaluateCalibration: samples must be a positive integer, got ${samples}`);
  const concurrency = opts.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`evaluateCalibration: concurrency must be a positive integer, got ${concurrency}`);
  const params: GenerateParams = { temperature: samples > 1 ? 0.7 : 0, maxTokens: 1024, ...opts.params };
  const checker = opts.checker ?? exactMatchChecker;
  const config = {
    provider: opts.provider.id,
    model: opts.provider.model,
    format: opts.format,
    samples,
    params,
    checker: opts.checkerName ?? (opts.checker ? 'custom' : 'exact'),
    reprompt: opts.reprompt !== false,
    items: items.length,
    ...opts.config,
  };
  const writer = opts.store?.createRun({ kind: 'calibrate-eval', name: opts.runName ?? null, config, seed: opts.seed ?? null });

  const total = items.length * samples;
  const records: EvalSampleRecord[] = [];
  const errors: EvalErrorRecord[] = [];
  const progress: EvalProgress = { done: 0, total, errors: 0, cached: 0 };
  let next = 0;
  const worker = async () => {
    for (;;) {
      const k = next++;
      if (k >= total) return;
      const itemIndex = Math.floor(k / samples);
      const sample = k % samples;
      const item = items[itemIndex]!;
      try {
        const rec = await evaluateSample(opts.provider, item, itemIndex, sample, samples, opts, params, checker);
        records.push(rec);
        if (rec.cached) progress.cached++;
        writer?.log(rec);
        opts.onRecord?.(rec);
      } catch (e) {
        const rec: EvalErrorRecord = { type: 'error', item: itemIndex, sample, id: item.id, message: e instanceof Error ? e.message : String(e) };
        errors.push(rec);
        progress.errors++;
        writer?.log(rec);
        opts.onRecord?.(rec);
      }
      progress.done++;
      opts.onProgress?.({ ...progress });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
    if (records.length === 0) {
      throw new Error(`every sample failed (${errors.length}); first error: ${errors[0]?.message ?? 'none'}`);
    }
    records.sort((a, b) => a.index - b.index);
    const summary = summarizeSamples(records, errors.length, { bootstrap: opts.bootstrap, seed: opts.seed });
    writer?.setSummary(summary);
    writer?.finish('completed');
    return { runId: writer?.id ?? null, summary, records, errors };
  } catch (e) {
    writer?.finish('failed', e instanceof Error ? e : String(e));
    throw e;
  }
}

// ---- re-scoring, thresholds, report ----

export interface RescoreResult {
  runId: string;
  summary: CalibrationEvalSummary;
  /** Samples whose correctness changed under the new checker. */
  changed: number;
  /** Changes by direction. */
  flips: { toCorrect: number; toWrong: number };
}

/**
 * Re-checks every sample of a finished calibrate-eval run with another checker, without regenerating, and
 * writes the result as a new run (config.rescoredFrom = the source run) with a fresh summary.
 */
export async function rescoreRun(
  store: RunStore, runId: string, checker: Checker,
  opts: { checkerName?: string; runName?: string; bootstrap?: number; concurrency?: number } = {},
): Promise<RescoreResult> {
  const src = store.requireRun(runId);
  if (src.kind !== 'calibrate-eval') throw new Error(`run ${src.id} is a '${src.kind}' run, not 'calibrate-eval'`);
  const old = [...store.scanRecords(src.id, 'sample')] as unknown as EvalSampleRecord[];
  if (old.length === 0) throw new Error(`run ${src.id} has no sample records to re-score`);
  const srcConfig = (src.config ?? {}) as Record<string, unknown>;
  const writer = store.createRun({
    kind: 'calibrate-eval',
    name: opts.runName ?? (src.name ? `${src.name}-rescored` : null),
    config: { ...srcConfig, checker: opts.checkerName ?? 'custom', rescoredFrom: src.id },
    seed: src.seed,
  });
  try {
    const out: EvalSampleRecord[] = new Array(old.length);
    let next = 0;
    const worker = async () => {
      for (;;) {
        const k = next++;
        if (k >= old.length) return;
        const r = old[k]!;
        const verdict = await checker((r.answer ?? '').trim(), r.gold, { question: r.question });
        out[k] = { ...r, correct: verdict.correct, verdict };
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, old.length) }, worker));
    let toCorrect = 0;
    let toWrong = 0;
    out.forEach((r, k) => {
      const before = Boolean(old[k]!.correct);
      if (r.correct && !before) toCorrect++;
      if (!r.correct && before) toWrong++;
      writer.log(r);
    });
    const errors = Number((src.summary as { errors?: unknown } | null)?.errors ?? 0) || 0;
    const summary = summarizeSamples(out, errors, { bootstrap: opts.bootstrap, seed: src.seed ?? 0 });
    summary.rescore = { from: src.id, changed: toCorrect + toWrong, toCorrect, toWrong };
    writer.setSummary(summary);
    writer.finish('completed');
    return { runId: writer.id, summary, changed: toCorrect + toWrong, flips: { toCorrect, toWrong } };
  } catch (e) {
    writer.finish('failed', e instanceof Error ? e : String(e));
    throw e;
  }
}

export interface Thresholds {
  /** Fail when accuracy < this. */
  failUnderAcc?: number;
  /** Fail when ECE > this. */
  failOverEce?: number;
  /** Fail when Brier > this. */
  failOverBrier?: number;
  /** Fail when AUROC < this (an undefined AUROC fails too). */
  failUnderAuroc?: number;
}

const valueOf = (v: unknown): number | null =>
  typeof v === 'number' ? v : v && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'number' ? (v as { value: number }).value : null;

/** The threshold violations of a summary, as messages (empty when all pass). The CLI exits 100 on any. */
export function checkThresholds(summary: Pick<CalibrationEvalSummary, 'metrics'>, t: Thresholds): string[] {
  const out: string[] = [];
  const m = summary.metrics;
  const check = (name: string, key: string, limit: number | undefined, bad: (x: number) => boolean, rel: string) => {
    if (limit === undefined) return;
    const x = valueOf(m[key]);
    if (x === null || bad(x)) out.push(`${name} ${x === null ? 'undefined' : x.toFixed(4)} ${rel} ${limit}`);
  };
  check('accuracy', 'accuracy', t.failUnderAcc, (x) => x < t.failUnderAcc!, 'is under');
  check('ECE', 'ece', t.failOverEce, (x) => x > t.failOverEce!, 'is over');
  check('Brier', 'brier', t.failOverBrier, (x) => x > t.failOverBrier!, 'is over');
  check('AUROC', 'auroc', t.failUnderAuroc, (x) => x < t.failUnderAuroc!, 'is under');
  return out;
}

/** Report data for a calibrate-eval run: one section per dataset (recomputed from its records), voting curves. */
export function calibrationReportData(store: RunStore, runId: string, opts: { bootstrap?: number } = {}): CalibrationReportData {
  const run = store.requireRun(runId);
  if (run.kind !== 'calibrate-eval') throw new Error(`run ${run.id} is a '${run.kind}' run, not 'calibrate-eval'`);
  const recs = [...store.scanRecords(run.id, 'sample')] as unknown as EvalSampleRecord[];
  if (recs.length === 0) throw new Error(`run ${run.id} has no sample records (status ${run.status})`);
  const summary = summarizeSamples(recs, Number((run.summary as { errors?: unknown } | null)?.errors ?? 0) || 0,
    { bootstrap: opts.bootstrap, seed: run.seed ?? 0 });
  const cfg = (run.config ?? {}) as Record<string, unknown>;
  const sections = summary.perDataset
    ? Object.entries(summary.perDataset).map(([name, metrics]) => ({ name, metrics }))
    : [{ name: String(recs[0]!.dataset ?? 'dataset'), metrics: summary.detail }];
  const curves: ReportCurve[] = [];
  if (summary.scaling) {
    const s = summary.scaling;
    curves.push({
      title: 'Test-time scaling: accuracy vs samples N',
      xLabel: 'N', yLabel: 'accuracy', logX: true,
      series: VOTE_METHODS.map((m) => ({ name: m, points: s.N.map((n, i) => [n, s[m][i]!] as const) })),
    });
  }
  return {
    title: `Calibration report: ${run.name ?? run.id}`,
    meta: {
      run: run.id, provider: String(cfg.provider ?? ''), model: String(cfg.model ?? ''), format: String(cfg.format ?? ''),
      checker: String(cfg.checker ?? ''), samples: Number(cfg.samples ?? 1), errors: summary.errors,
      ...(cfg.rescoredFrom ? { rescoredFrom: String(cfg.rescoredFrom) } : {}),
      created: run.createdAt,
    },
    sections,
    ...(sections.length > 1 ? { aggregate: aggregateMetrics(sections.map((s) => s.metrics)) } : {}),
    curves,
    generatedAt: run.finishedAt ?? run.createdAt,
  };
}
