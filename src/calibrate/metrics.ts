// Calibration metrics over (q, c) pairs: accuracy, binary Brier, ECE (10 equal-width bins with numpy's float64
// edges, plus equal-mass), MCE, RMS-CE, AUROC (sklearn tie handling), AURC / selective accuracy, bootstrap CIs,
// reliability-diagram bins, confidence histogram and collapse monitors. Pure functions; nothing returns NaN.

export interface ScoredRecord {
  /** Stated confidence q (any finite number; [0, 1] expected). */
  confidence: number;
  /** Correctness c: boolean or 0/1. */
  correct: boolean | number;
}

// ---- seeded RNG (shared with scaling.ts) ----

/** mulberry32: a small seeded PRNG returning uniforms in [0, 1). Same seed, same stream. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- input checks ----

/** Splits records into q and c arrays, failing loudly on a non-finite q or a c that is not 0/1. */
export function toArrays(records: readonly ScoredRecord[]): { q: number[]; c: number[] } {
  const q = new Array<number>(records.length);
  const c = new Array<number>(records.length);
  records.forEach((r, i) => {
    if (typeof r.confidence !== 'number' || !Number.isFinite(r.confidence)) {
      throw new Error(`metrics: record ${i} has non-finite confidence ${String(r.confidence)}`);
    }
    const ci = r.correct === true ? 1 : r.correct === false ? 0 : r.correct;
    if (ci !== 0 && ci !== 1) throw new Error(`metrics: record ${i} has correct=${String(r.correct)} (expected boolean or 0/1)`);
    q[i] = r.confidence;
    c[i] = ci;
  });
  return { q, c };
}

function checkPair(name: string, q: readonly number[], c: readonly number[]): void {
  if (q.length !== c.length) throw new Error(`${name}: confidence has ${q.length} values but correct has ${c.length}`);
  if (q.length === 0) throw new Error(`${name}: no records`);
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

// ---- point metrics ----

export function accuracy(c: readonly number[]): number {
  if (c.length === 0) throw new Error('accuracy: no records');
  return mean(c);
}

/** Binary Brier score mean((q − c)²) (not lm-eval's multi-class Brier). */
export function brierScore(q: readonly number[], c: readonly number[]): number {
  checkPair('brierScore', q, c);
  let s = 0;
  for (let i = 0; i < q.length; i++) s += (q[i]! - c[i]!) ** 2;
  return s / q.length;
}

/** numpy.linspace(0, 1, nBins + 1): edge i is i·(1/nBins) in float64 (so 3·0.1 = 0.30000000000000004), last = 1. */
export function binEdges(nBins = 10): number[] {
  if (!Number.isInteger(nBins) || nBins < 1) throw new Error(`binEdges: nBins must be a positive integer, got ${nBins}`);
  const step = 1 / nBins;
  const e = Array.from({ length: nBins + 1 }, (_, i) => i * step);
  e[nBins] = 1;
  return e;
}

/** numpy digitize(q, edges) − 1 with outer edges −∞/+∞: bin b holds edge_b ≤ q < edge_(b+1); q = 1 is in the top bin. */
export function binIndex(q: number, edges: readonly number[]): number {
  const nBins = edges.length - 1;
  let b = 0;
  while (b + 1 < nBins && q >= edges[b + 1]!) b++;
  return b;
}

export interface ReliabilityBin {
  bin: number;
  /** Nominal bin range (the float64 edges, outer ones 0 and 1). */
  lo: number;
  hi: number;
  n: number;
  /** Mean q in the bin, null when empty. */
  meanConf: number | null;
  /** Mean c in the bin, null when empty. */
  acc: number | null;
  /** acc − meanConf, null when empty. */
  gap: number | null;
}

/** Equal-width reliability bins with per-bin n, mean confidence and accuracy. */
export function reliabilityBins(q: readonly number[], c: readonly number[], nBins = 10): ReliabilityBin[] {
  checkPair('reliabilityBins', q, c);
  const edges = binEdges(nBins);
  const sq = new Array<number>(nBins).fill(0);
  const sc = new Array<number>(nBins).fill(0);
  const n = new Array<number>(nBins).fill(0);
  for (let i = 0; i < q.length; i++) {
    const b = binIndex(q[i]!, edges);
    n[b]!++;
    sq[b]! += q[i]!;
    sc[b]! += c[i]!;
  }
  return n.map((nb, b) => {
    const meanConf = nb ? sq[b]! / nb : null;
    const acc = nb ? sc[b]! / nb : null;
    return { bin: b, lo: edges[b]!, hi: edges[b + 1]!, n: nb, meanConf, acc, gap: nb ? acc! - meanConf! : null };
  });
}

function binsToErrors(bins: readonly { n: number; gap: number | null }[], total: number): { ece: number; mce: number; rmsce: number } {
  let ece = 0;
  let mce = 0;
  let ms = 0;
  for (const b of bins) {
    if (!b.n || b.gap === null) continue;
    const w = b.n / total;
    const g = Math.abs(b.gap);
    ece += w * g;
    ms += w * g * g;
    if (g > mce) mce = g;
  }
  return { ece, mce, rmsce: Math.sqrt(ms) };
}

/** ECE: Σ over non-empty equal-width bins of (n_b / N)·|mean q − mean c|. */
export function ece(q: readonly number[], c: readonly number[], nBins = 10): number {
  return binsToErrors(reliabilityBins(q, c, nBins), q.length).ece;
}

/** MCE: the largest |mean q − mean c| over non-empty equal-width bins. */
export function mce(q: readonly number[], c: readonly number[], nBins = 10): number {
  return binsToErrors(reliabilityBins(q, c, nBins), q.length).mce;
}

/** RMS calibration error: sqrt(Σ (n_b / N)·gap_b²) over equal-width bins. */
export function rmsCalibrationError(q: readonly number[], c: readonly number[], nBins = 10): number {
  return binsToErrors(reliabilityBins(q, c, nBins), q.length).rmsce;
}

/** Equal-mass bins: records sorted by q (stable), split like numpy.array_split into nBins near-equal groups. */
export function equalMassBins(q: readonly number[], c: readonly number[], nBins = 10): ReliabilityBin[] {
  checkPair('equalMassBins', q, c);
  const order = q.map((_, i) => i).sort((a, b) => q[a]! - q[b]! || a - b);
  const N = q.length;
  const base = Math.floor(N / nBins);
  const extra = N % nBins;
  const out: ReliabilityBin[] = [];
  let start = 0;
  for (let b = 0; b < nBins; b++) {
    const size = base + (b < extra ? 1 : 0);
    if (size === 0) continue;
    let sq = 0;
    let sc = 0;
    for (let k = start; k < start + size; k++) {
      sq += q[order[k]!]!;
      sc += c[order[k]!]!;
    }
    const meanConf = sq / size;
    const acc = sc / size;
    out.push({ bin: b, lo: q[order[start]!]!, hi: q[order[start + size - 1]!]!, n: size, meanConf, acc, gap: acc - meanConf });
    start += size;
  }
  return out;
}

export function eceEqualMass(q: readonly number[], c: readonly number[], nBins = 10): number {
  return binsToErrors(equalMassBins(q, c, nBins), q.length).ece;
}

/**
 * AUROC of q as a score for c: the Mann–Whitney statistic with ties counted ½ (what sklearn's roc_curve + auc
 * give). Constant q gives 0.5; null when only one class is present (sklearn's is undefined there).
 */
export function auroc(q: readonly number[], c: readonly number[]): number | null {
  checkPair('auroc', q, c);
  let n1 = 0;
  for (const x of c) n1 += x;
  const n0 = c.length - n1;
  if (n1 === 0 || n0 === 0) return null;
  const order = q.map((_, i) => i).sort((a, b) => q[a]! - q[b]!);
  let rankSumPos = 0; // 1-based average ranks, exact in float64 (integers and halves)
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && q[order[j + 1]!] === q[order[i]!]) j++;
    const avgRank = (i + 1 + j + 1) / 2;
    for (let k = i; k <= j; k++) if (c[order[k]!] === 1) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

/**
 * Risk–coverage curve: records ranked by q descending; within a tie group every order is equally likely, so
 * the errors at position k are the expected ones (group error rate × positions taken). risk[k−1] = errors/k.
 */
export function riskCoverage(q: readonly number[], c: readonly number[]): { coverage: number[]; risk: number[] } {
  checkPair('riskCoverage', q, c);
  const N = q.length;
  const order = q.map((_, i) => i).sort((a, b) => q[b]! - q[a]!);
  const coverage: number[] = [];
  const risk: number[] = [];
  let errorsBefore = 0;
  for (let i = 0; i < N; ) {
    let j = i;
    while (j + 1 < N && q[order[j + 1]!] === q[order[i]!]) j++;
    const size = j - i + 1;
    let groupErr = 0;
    for (let k = i; k <= j; k++) groupErr += 1 - c[order[k]!]!;
    for (let t = 1; t <= size; t++) {
      const k = i + t;
      coverage.push(k / N);
      risk.push((errorsBefore + (groupErr * t) / size) / k);
    }
    errorsBefore += groupErr;
    i = j + 1;
  }
  return { coverage, risk };
}

/** AURC: mean selective risk over coverages k/N, k = 1..N (lower is better). */
export function aurc(q: readonly number[], c: readonly number[]): number {
  return mean(riskCoverage(q, c).risk);
}

export interface SelectivePoint {
  coverage: number;
  /** Records kept: ceil(coverage·N), at least 1. */
  k: number;
  accuracy: number;
}

/** Accuracy on the most confident ceil(coverage·N) records, for each requested coverage in (0, 1]. */
export function selectiveAccuracy(q: readonly number[], c: readonly number[], coverages: readonly number[] = [0.25, 0.5, 0.75, 1]): SelectivePoint[] {
  const { risk } = riskCoverage(q, c);
  const N = q.length;
  return coverages.map((cov) => {
    if (!(cov > 0 && cov <= 1)) throw new Error(`selectiveAccuracy: coverage must be in (0, 1], got ${cov}`);
    const k = Math.max(1, Math.ceil(cov * N - 1e-9));
    return { coverage: cov, k, accuracy: 1 - risk[k - 1]! };
  });
}

// ---- monitors and histogram ----

export interface CollapseMonitors {
  meanConfidence: number;
  /** Number of distinct q values. */
  distinctConfidences: number;
  /** Share of q within 0.01 of 0 or 1. */
  shareExtreme: number;
  stdConfidence: number;
}

export function collapseMonitors(q: readonly number[]): CollapseMonitors {
  if (q.length === 0) throw new Error('collapseMonitors: no records');
  const m = mean(q);
  let extreme = 0;
  let v = 0;
  for (const x of q) {
    if (x <= 0.01 || x >= 0.99) extreme++;
    v += (x - m) ** 2;
  }
  return { meanConfidence: m, distinctConfidences: new Set(q).size, shareExtreme: extreme / q.length, stdConfidence: Math.sqrt(v / q.length) };
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

/** Equal-width histogram of q over [0, 1] (same edge convention as the ECE bins). */
export function confidenceHistogram(q: readonly number[], nBins = 20): Histogram {
  const edges = binEdges(nBins);
  const counts = new Array<number>(nBins).fill(0);
  for (const x of q) counts[binIndex(x, edges)]!++;
  return { edges, counts };
}

// ---- bootstrap ----

export interface Interval {
  lo: number;
  hi: number;
}

/** numpy.percentile (linear interpolation) of an ascending-sorted array. */
function percentileSorted(xs: readonly number[], p: number): number {
  const pos = (p / 100) * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}

/**
 * Percentile bootstrap interval of `stat` over records resampled with replacement (seeded, B resamples).
 * Resamples where stat is null (e.g. AUROC with one class) are skipped; null if all are.
 */
export function bootstrapCI(
  q: readonly number[],
  c: readonly number[],
  stat: (q: number[], c: number[]) => number | null,
  opts: { resamples?: number; seed?: number; level?: number } = {},
): Interval | null {
  checkPair('bootstrapCI', q, c);
  const B = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapCI: level must be in (0, 1), got ${level}`);
  const rng = makeRng(opts.seed ?? 0);
  const N = q.length;
  const vals: number[] = [];
  const bq = new Array<number>(N);
  const bc = new Array<number>(N);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const j = Math.floor(rng() * N);
      bq[i] = q[j]!;
      bc[i] = c[j]!;
    }
    const v = stat(bq, bc);
    if (v !== null && Number.isFinite(v)) vals.push(v);
  }
  if (vals.length === 0) return null;
  vals.sort((a, b) => a - b);
  const a = ((1 - level) / 2) * 100;
  return { lo: percentileSorted(vals, a), hi: percentileSorted(vals, 100 - a) };
}

// ---- everything at once ----

export interface MetricsOptions {
  /** Equal-width bins for ECE/MCE/RMS-CE and the diagram (default 10). */
  nBins?: number;
  /** Bootstrap resamples for CIs; 0 disables (default 1000). */
  bootstrap?: number;
  seed?: number;
  /** CI level (default 0.95). */
  level?: number;
  coverages?: number[];
  histogramBins?: number;
}

export type CIMetric = 'accuracy' | 'brier' | 'ece' | 'auroc';

export interface CalibrationMetrics {
  n: number;
  accuracy: number;
  brier: number;
  ece: number;
  eceEqualMass: number;
  mce: number;
  rmsce: number;
  auroc: number | null;
  aurc: number;
  selective: SelectivePoint[];
  nBins: number;
  bins: ReliabilityBin[];
  histogram: Histogram;
  collapse: CollapseMonitors;
  /** Percentile-bootstrap intervals (absent when bootstrap = 0). */
  ci?: { level: number; resamples: number; seed: number } & Record<CIMetric, Interval | null>;
}

/** All metrics for one dataset's records. */
export function computeMetrics(records: readonly ScoredRecord[], opts: MetricsOptions = {}): CalibrationMetrics {
  const { q, c } = toArrays(records);
  if (q.length === 0) throw new Error('computeMetrics: no records');
  const nBins = opts.nBins ?? 10;
  const bins = reliabilityBins(q, c, nBins);
  const errs = binsToErrors(bins, q.length);
  const out: CalibrationMetrics = {
    n: q.length,
    accuracy: accuracy(c),
    brier: brierScore(q, c),
    ece: errs.ece,
    eceEqualMass: eceEqualMass(q, c, nBins),
    mce: errs.mce,
    rmsce: errs.rmsce,
    auroc: auroc(q, c),
    aurc: aurc(q, c),
    selective: selectiveAccuracy(q, c, opts.coverages),
    nBins,
    bins,
    histogram: confidenceHistogram(q, opts.histogramBins ?? 20),
    collapse: collapseMonitors(q),
  };
  const B = opts.bootstrap ?? 1000;
  if (B > 0) {
    const seed = opts.seed ?? 0;
    const o = { resamples: B, seed, level: opts.level };
    out.ci = {
      level: opts.level ?? 0.95,
      resamples: B,
      seed,
      accuracy: bootstrapCI(q, c, (_q, cc) => accuracy(cc), o),
      brier: bootstrapCI(q, c, brierScore, o),
      ece: bootstrapCI(q, c, (qq, cc) => ece(qq, cc, nBins), o),
      auroc: bootstrapCI(q, c, auroc, o),
    };
  }
  return out;
}

export interface AggregateMetrics {
  datasets: number;
  accuracy: number;
  brier: number;
  ece: number;
  eceEqualMass: number;
  mce: number;
  rmsce: number;
  /** Mean over datasets where AUROC is defined; null if none. */
  auroc: number | null;
  aurc: number;
  meanConfidence: number;
}

/** Unweighted means of per-dataset metrics (the paper's aggregate over datasets). */
export function aggregateMetrics(perDataset: readonly CalibrationMetrics[]): AggregateMetrics {
  if (perDataset.length === 0) throw new Error('aggregateMetrics: no datasets');
  const avg = (f: (m: CalibrationMetrics) => number) => mean(perDataset.map(f));
  const au = perDataset.map((m) => m.auroc).filter((x): x is number => x !== null);
  return {
    datasets: perDataset.length,
    accuracy: avg((m) => m.accuracy),
    brier: avg((m) => m.brier),
    ece: avg((m) => m.ece),
    eceEqualMass: avg((m) => m.eceEqualMass),
    mce: avg((m) => m.mce),
    rmsce: avg((m) => m.rmsce),
    auroc: au.length ? mean(au) : null,
    aurc: avg((m) => m.aurc),
    meanConfidence: avg((m) => m.collapse.meanConfidence),
  };
}
