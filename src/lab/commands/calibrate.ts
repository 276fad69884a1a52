// `glassbox calibrate eval|report|score`: evaluate verbalized confidence through any provider, render a
// run's HTML report, and re-score a finished run with another checker. Thin wrappers over src/calibrate.
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError, type CommandContext, type CommandSpec } from '../command.js';
import { commonOptions } from '../options.js';
import { formatMetric, textTable } from '../format.js';
import { createProgress } from '../progress.js';
import { openLabStore } from '../home.js';
import { createProvider, type CreateProviderOptions } from '../../providers/index.js';
import { checkerByName, judgeChecker, type Checker } from '../../calibrate/check.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../calibrate/parse.js';
import { renderCalibrationReport } from '../../calibrate/report.js';
import {
  calibrationReportData, checkThresholds, evaluateCalibration, loadCalibrationDataset, rescoreRun,
  type CalibrationEvalSummary, type EvalProgress, type Thresholds,
} from '../../calibrate/eval.js';

const HEADLINE = ['accuracy', 'brier', 'ece', 'auroc', 'eceEqualMass', 'mce', 'aurc', 'meanConfidence', 'strictFormatRate', 'confidenceFlagRate', 'n', 'errors'];

function metricLines(summary: CalibrationEvalSummary): string[] {
  const rows = HEADLINE.filter((k) => k in summary.metrics).map((k) => [k, formatMetric(summary.metrics[k])]);
  const lines = textTable(['METRIC', 'VALUE [95% CI]'], rows);
  if (summary.scaling) {
    const s = summary.scaling;
    lines.push('', ...textTable(['N', 'majority', 'weighted', 'max-confidence'],
      s.N.map((n, i) => [String(n), s.majority[i]!.toFixed(4), s.weighted[i]!.toFixed(4), s['max-confidence'][i]!.toFixed(4)])));
  }
  return lines;
}

function parseFormat(v: unknown): OutputFormat {
  const f = String(v ?? 'tabc');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(f)) throw new UserError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}; got "${f}"`);
  return f as OutputFormat;
}

function positiveInt(name: string, v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function providerOptions(opts: Record<string, unknown>, ctx: CommandContext): CreateProviderOptions {
  return {
    concurrency: opts.concurrency === undefined ? undefined : positiveInt('concurrency', opts.concurrency),
    timeoutMs: opts.timeout === undefined ? undefined : Number(opts.timeout) * 1000,
    maxRetries: opts.retries === undefined ? undefined : Number(opts.retries),
    noCache: opts.cache === false,
    env: ctx.env,
    http: { onRetry: (i) => ctx.err(`retry ${i.attempt} in ${(i.delayMs / 1000).toFixed(1)} s: ${i.reason}`) },
  };
}

/** The checker a command names: exact, numeric, or judge through --judge <provider>. */
async function resolveChecker(name: string, judge: string | undefined, popts: CreateProviderOptions): Promise<{ checker: Checker; label: string }> {
  if (judge !== undefined || name === 'judge') {
    if (!judge) throw new UserError('--checker judge needs --judge <provider>, e.g. --judge http://127.0.0.1:8001/v1#meta-llama/Llama-3.1-8B-Instruct');
    const jp = await createProvider(judge, popts).catch((e: Error) => { throw new UserError(e.message); });
    return { checker: judgeChecker(jp), label: `judge:${jp.id}` };
  }
  try {
    return { checker: checkerByName(name), label: name };
  } catch (e) {
    throw new UserError(`--checker: ${(e as Error).message}`);
  }
}

/** Progress (bar with ETA on a TTY, plain lines otherwise) fed by the harness's onProgress. */
function progressPrinter(ctx: CommandContext, total: number): (p: EvalProgress) => void {
  const bar = createProgress({
    total,
    label: 'calibrate eval',
    isTTY: ctx.isTTY,
    write: ctx.isTTY ? (c) => void process.stderr.write(c) : (c) => ctx.err(c.replace(/\n$/, '')),
  });
  return (p) => {
    const note = `${p.cached ? `cached ${p.cached} ` : ''}${p.errors ? `errors ${p.errors}` : ''}`.trim() || undefined;
    bar.update(p.done, note);
    if (p.done >= p.total) bar.finish();
  };
}

const thresholdOptions = {
  'fail-under-acc': { type: 'number', description: 'exit 100 when accuracy is below this' },
  'fail-over-ece': { type: 'number', description: 'exit 100 when ECE is above this' },
  'fail-over-brier': { type: 'number', description: 'exit 100 when Brier is above this' },
  'fail-under-auroc': { type: 'number', description: 'exit 100 when AUROC is below this (or undefined)' },
} as const;

function thresholdsOf(opts: Record<string, unknown>): Thresholds {
  const n = (k: string) => (opts[k] === undefined ? undefined : Number(opts[k]));
  return { failUnderAcc: n('fail-under-acc'), failOverEce: n('fail-over-ece'), failOverBrier: n('fail-over-brier'), failUnderAuroc: n('fail-under-auroc') };
}

export const calibrateEval: CommandSpec = {
  name: 'calibrate eval',
  summary: 'Measure verbalized confidence: accuracy, Brier, ECE, AUROC with CIs, reliability bins, voting curves',
  examples: [
    'glassbox calibrate eval --provider http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct --data hotpot.jsonl --format tabc',
    'glassbox calibrate eval --provider openai:gpt-4o-mini --data math.jsonl --checker numeric --samples 8 --temperature 0.7',
    'glassbox calibrate eval --provider local:./models/tiny --data qa.jsonl --judge http://127.0.0.1:8001/v1#llama --fail-over-ece 0.1',
  ],
  options: {
    provider: commonOptions.provider,
    data: { type: 'string', description: 'JSONL dataset: {question, answer | answers, context?, choices?, id?, dataset?} per line' },
    format: { type: 'string', default: 'tabc', description: 'output format: tabc (RLCR), tac, or ta (RLVR)' },
    samples: { type: 'number', default: 1, description: 'samples per question (voting curves when > 1)' },
    temperature: { type: 'number', description: 'sampling temperature (default 0, or 0.7 when --samples > 1)' },
    'max-tokens': { type: 'number', default: 1024, description: 'max new tokens per generation' },
    concurrency: { type: 'number', default: 8, description: 'requests in flight at once' },
    timeout: { type: 'number', description: 'per-request timeout in seconds (default 120)' },
    retries: { type: 'number', description: 'retries on 429/5xx/connection errors (default 5)' },
    checker: { type: 'string', default: 'exact', description: 'correctness checker: exact (SQuAD), numeric, or judge' },
    judge: { type: 'string', description: 'judge provider for --checker judge (YES/NO verdicts)' },
    bootstrap: { type: 'number', default: 1000, description: 'bootstrap resamples for CIs (0 turns them off)' },
    name: { type: 'string', description: 'run name' },
    seed: commonOptions.seed,
    cache: commonOptions.cache,
    ...thresholdOptions,
  },
  async run(opts, _pos, ctx) {
    if (!opts.provider) throw new UserError('--provider is required, e.g. --provider http://127.0.0.1:8000/v1#my-model');
    if (!opts.data) throw new UserError('--data is required: a JSONL file with one {question, answer} per line');
    const format = parseFormat(opts.format);
    const samples = positiveInt('samples', opts.samples);
    const popts = providerOptions(opts, ctx);
    let dataset;
    try {
      dataset = loadCalibrationDataset(String(opts.data));
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const provider = await createProvider(String(opts.provider), popts).catch((e: Error) => { throw new UserError(e.message); });
    const { checker, label } = await resolveChecker(String(opts.checker ?? 'exact'), opts.judge as string | undefined, popts);
    const params = {
      maxTokens: positiveInt('max-tokens', opts['max-tokens']),
      ...(opts.temperature !== undefined ? { temperature: Number(opts.temperature) } : {}),
    };
    const store = openLabStore(ctx);
    try {
      const res = await evaluateCalibration({
        provider, dataset, format, samples, checker, checkerName: label, params,
        concurrency: positiveInt('concurrency', opts.concurrency),
        seed: opts.seed as number | undefined, store, runName: opts.name as string | undefined,
        bootstrap: Number(opts.bootstrap), config: { data: resolve(String(opts.data)), cache: opts.cache !== false },
        onProgress: opts.json ? undefined : progressPrinter(ctx, dataset.length * samples),
      });
      const failures = checkThresholds(res.summary, thresholdsOf(opts));
      if (opts.json) {
        ctx.out(JSON.stringify({ runId: res.runId, metrics: res.summary.metrics, scaling: res.summary.scaling ?? null, errors: res.errors.length, thresholdFailures: failures }));
      } else {
        for (const l of metricLines(res.summary)) ctx.out(l);
        ctx.out(`run ${res.runId}: glassbox calibrate report ${res.runId}`);
      }
      for (const f of failures) ctx.err(`threshold failed: ${f}`);
      if (failures.length) return 100;
      if (res.errors.length) {
        ctx.err(`${res.errors.length} of ${res.errors.length + res.records.length} samples failed; first: ${res.errors[0]!.message}`);
        return 1;
      }
      return 0;
    } finally {
      await provider.close?.();
      store.close();
    }
  },
};

export const calibrateReport: CommandSpec = {
  name: 'calibrate report',
  summary: 'Write a self-contained HTML report (reliability diagram, histogram, metrics with CIs) for a run',
  args: '<run>',
  examples: ['glassbox calibrate report 3fa9c2', 'glassbox calibrate report my-run --out report.html'],
  options: {
    out: { ...commonOptions.out, description: "HTML file to write (default: report.html in the run's folder)" },
    bootstrap: { type: 'number', default: 1000, description: 'bootstrap resamples for CIs' },
  },
  async run(opts, pos, ctx) {
    const id = pos[0];
    if (!id) throw new UserError('which run? `glassbox calibrate report <run>` (see `glassbox runs list --kind calibrate-eval`)');
    const store = openLabStore(ctx);
    try {
      const run = store.requireRun(id);
      let html: string;
      try {
        html = renderCalibrationReport(calibrationReportData(store, run.id, { bootstrap: Number(opts.bootstrap) }));
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const out = resolve(opts.out ? String(opts.out) : join(dirname(run.logPath), 'report.html'));
      writeFileSync(out, html);
      ctx.out(opts.json ? JSON.stringify({ runId: run.id, report: out }) : `wrote ${out}`);
      return 0;
    } finally {
      store.close();
    }
  },
};

export const calibrateScore: CommandSpec = {
  name: 'calibrate score',
  summary: 'Re-score a finished calibrate-eval run with another checker, without regenerating (writes a new run)',
  args: '<run>',
  examples: ['glassbox calibrate score 3fa9c2 --checker numeric', 'glassbox calibrate score 3fa9c2 --checker judge --judge http://127.0.0.1:8001/v1#llama'],
  options: {
    checker: { type: 'string', default: 'exact', description: 'exact, numeric, or judge' },
    judge: { type: 'string', description: 'judge provider for --checker judge' },
    name: { type: 'string', description: 'name of the new run' },
    bootstrap: { type: 'number', default: 1000, description: 'bootstrap resamples for CIs' },
    concurrency: { type: 'number', default: 8, description: 'judge requests in flight' },
    cache: commonOptions.cache,
    ...thresholdOptions,
  },
  async run(opts, pos, ctx) {
    const id = pos[0];
    if (!id) throw new UserError('which run? `glassbox calibrate score <run> --checker numeric`');
    const { checker, label } = await resolveChecker(String(opts.checker), opts.judge as string | undefined, providerOptions(opts, ctx));
    const store = openLabStore(ctx);
    try {
      const src = store.requireRun(id);
      let res;
      try {
        res = await rescoreRun(store, src.id, checker, {
          checkerName: label, runName: opts.name as string | undefined, bootstrap: Number(opts.bootstrap),
          concurrency: positiveInt('concurrency', opts.concurrency),
        });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const failures = checkThresholds(res.summary, thresholdsOf(opts));
      if (opts.json) {
        ctx.out(JSON.stringify({ runId: res.runId, from: src.id, changed: res.changed, flips: res.flips, metrics: res.summary.metrics, thresholdFailures: failures }));
      } else {
        for (const l of metricLines(res.summary)) ctx.out(l);
        ctx.out(`re-scored ${src.id} with ${label}: ${res.changed} verdicts changed (${res.flips.toCorrect} to correct, ${res.flips.toWrong} to wrong); new run ${res.runId}`);
      }
      for (const f of failures) ctx.err(`threshold failed: ${f}`);
      return failures.length ? 100 : 0;
    } finally {
      store.close();
    }
  },
};

export const calibrateCommands: CommandSpec[] = [calibrateEval, calibrateReport, calibrateScore];
