// Synthetic but realistic runs for the lab's tests and benchmark: a calibration evaluation (RLCR-format
// completions from a slightly over-confident model, several samples per question) with its summary
// computed by the calibrate pillar's metrics, and a training run with decreasing loss and rising reward.
import { computeMetrics, makeRng } from '../../../src/calibrate/metrics.js';
import type { RunStore } from '../../../src/runs/index.js';

export interface SyntheticCalibration {
  id: string;
  records: { index: number; confidence: number; correct: boolean; answer: string; question: string }[];
  summary: { metrics: Record<string, unknown>; reliability: { bin: number; lo: number; hi: number; n: number; conf: number | null; acc: number | null }[]; histogram: { edges: number[]; counts: number[] }; scaling?: Record<string, number[] | number> };
}

const CONFIDENCES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0];

export interface CalibrationOptions {
  name?: string;
  items?: number;
  samplesPerItem?: number;
  seed?: number;
  /** How much stated confidence exceeds the real hit rate (0 = calibrated). */
  overconfidence?: number;
  /** Skip computing the summary (the 100k benchmark); records only. */
  noSummary?: boolean;
  /** Bootstrap resamples for the metrics' CIs (default 200). */
  bootstrap?: number;
  /** Put an HTML-looking string into one completion (XSS check). */
  hostileText?: boolean;
}

function completionFor(a: number, b: number, answer: number, q: number, rng: () => number): string {
  const slip = answer !== a + b ? ' I might have carried a digit wrong.' : '';
  return `<think> I need ${a} + ${b}. Adding the tens and then the units gives ${answer}.${slip} </think>` +
    `<answer> ${answer} </answer> <analysis> The arithmetic is short, but ${rng() < 0.5 ? 'I did it in my head' : 'there are two carries'}, so I am ${q >= 0.8 ? 'fairly' : 'not very'} sure. </analysis> ` +
    `<confidence> ${q} </confidence>`;
}

export function writeCalibrationRun(store: RunStore, opts: CalibrationOptions = {}): SyntheticCalibration {
  const items = opts.items ?? 60;
  const S = opts.samplesPerItem ?? 4;
  const rng = makeRng(opts.seed ?? 1);
  const over = opts.overconfidence ?? 0.15;
  const w = store.createRun({ kind: 'calibrate-eval', name: opts.name ?? null, config: { provider: 'local:synthetic', format: 'tabc', samples: S, items }, seed: opts.seed ?? 1 });
  const records: SyntheticCalibration['records'] = [];
  const pools: { answer: string; confidence: number; correct: boolean }[][] = [];
  for (let item = 0; item < items; item++) {
    const a = 10 + Math.floor(rng() * 90);
    const b = 10 + Math.floor(rng() * 90);
    const question = `What is ${a} + ${b}?`;
    const pool: { answer: string; confidence: number; correct: boolean }[] = [];
    for (let s = 0; s < S; s++) {
      const q = CONFIDENCES[Math.floor(rng() * CONFIDENCES.length)]!;
      const correct = rng() < Math.max(0, q - over);
      const value = correct ? a + b : a + b + (rng() < 0.5 ? 10 : -1);
      const index = item * S + s;
      let completion = completionFor(a, b, value, q, rng);
      if (opts.hostileText && index === 1) completion = completion.replace('</think>', '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2"> </think>');
      const rec = {
        type: 'sample', index, item, sample: s, id: `add-${item}`, dataset: 'synthetic-addition', question, gold: [String(a + b)],
        completion, answer: String(value), confidence: q, correct, strictFormat: true, confidenceFlag: true,
        verdict: { correct, method: 'numeric' },
      };
      w.log(rec);
      if (!opts.noSummary) records.push({ index, confidence: q, correct, answer: String(value), question });
      pool.push({ answer: String(value), confidence: q, correct });
    }
    if (!opts.noSummary) pools.push(pool);
  }
  let summary = null as unknown as SyntheticCalibration['summary'];
  if (!opts.noSummary) {
    const m = computeMetrics(records, { bootstrap: opts.bootstrap ?? 200, seed: 0 });
    const ci = (k: 'accuracy' | 'brier' | 'ece' | 'auroc', v: number | null) => (m.ci?.[k] ? { value: v, lo: m.ci[k]!.lo, hi: m.ci[k]!.hi } : v);
    summary = {
      metrics: { accuracy: ci('accuracy', m.accuracy), brier: ci('brier', m.brier), ece: ci('ece', m.ece), auroc: ci('auroc', m.auroc), mce: m.mce, n: m.n },
      reliability: m.bins.map((b) => ({ bin: b.bin, lo: b.lo, hi: b.hi, n: b.n, conf: b.meanConf, acc: b.acc })),
      histogram: m.histogram,
      scaling: scalingCurve(pools),
    };
    w.setSummary(summary);
  }
  w.finish('completed');
  return { id: w.id, records, summary };
}

/** Accuracy of majority and confidence-weighted votes over the first N samples of each item. */
function scalingCurve(pools: { answer: string; confidence: number; correct: boolean }[][]): Record<string, number[]> {
  const maxN = Math.min(...pools.map((p) => p.length));
  const N: number[] = [];
  const majority: number[] = [];
  const weighted: number[] = [];
  for (let n = 1; n <= maxN; n *= 2) {
    let mHits = 0;
    let wHits = 0;
    for (const pool of pools) {
      const votes = new Map<string, { count: number; weight: number; correct: boolean }>();
      for (const s of pool.slice(0, n)) {
        const v = votes.get(s.answer) ?? { count: 0, weight: 0, correct: s.correct };
        v.count++;
        v.weight += s.confidence;
        votes.set(s.answer, v);
      }
      const vs = [...votes.values()];
      if (vs.reduce((x, y) => (y.count > x.count ? y : x)).correct) mHits++;
      if (vs.reduce((x, y) => (y.weight > x.weight ? y : x)).correct) wHits++;
    }
    N.push(n);
    majority.push(mHits / pools.length);
    weighted.push(wHits / pools.length);
  }
  return { N, majority, weighted };
}

export function writeTrainingRun(store: RunStore, opts: { steps?: number; name?: string; seed?: number } = {}): string {
  const steps = opts.steps ?? 300;
  const rng = makeRng(opts.seed ?? 2);
  const w = store.createRun({ kind: 'train', name: opts.name ?? 'grpo-synthetic', config: { method: 'grpo', steps, lr: 1e-5 }, seed: opts.seed ?? 2 });
  for (let step = 0; step < steps; step++) {
    const loss = 2.5 * Math.exp(-step / (steps / 4)) + 0.3 + 0.1 * (rng() - 0.5);
    const reward = 1 - Math.exp(-step / (steps / 3)) + 0.1 * (rng() - 0.5);
    w.log({ type: 'step', step, loss, reward, lr: 1e-5 });
  }
  w.setSummary({ metrics: { finalLoss: 0.31, finalReward: 0.93 } });
  w.finish('completed');
  return w.id;
}
