// Calibration metrics against the golden cases (1e-9), numpy edge values, and fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  accuracy, aggregateMetrics, aurc, auroc, binEdges, binIndex, bootstrapCI, brierScore, collapseMonitors, computeMetrics,
  ece, eceEqualMass, mce, reliabilityBins, riskCoverage, rmsCalibrationError, selectiveAccuracy,
} from '../../src/calibrate/metrics.js';

interface GoldenBin { bin: number; n: number; mean_conf?: number; acc?: number }
interface GoldenCase {
  name: string; confidence: number[]; correct: number[]; accuracy: number; brier: number;
  ece_10_equal_width: number; bins: GoldenBin[]; auroc: number | null;
}
const golden = JSON.parse(readFileSync(new URL('../fixtures/calibration/metrics_golden.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (diff ${Math.abs(a - b)})`);

test('bin edges are numpy linspace float64 values', () => {
  const e = binEdges(10);
  assert.deepEqual(e, [0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9, 1]);
  assert.deepEqual(binEdges(20).slice(0, 4), [0, 0.05, 0.1, 0.15000000000000002]);
  assert.deepEqual(binEdges(3), [0, 0.3333333333333333, 0.6666666666666666, 1]);
});

test('0.3, 0.6 and 0.7 fall in the bin below; 1.0 in the top bin; 0 in bin 0', () => {
  const e = binEdges(10);
  const cases: [number, number][] = [[0.3, 2], [0.6, 5], [0.7, 6], [1.0, 9], [0, 0], [0.1, 1], [0.5, 5], [0.2, 2], [0.8, 8], [0.9, 9], [-0.5, 0], [1.5, 9]];
  for (const [q, b] of cases) assert.equal(binIndex(q, e), b, `q=${q}`);
  const bins = reliabilityBins([0.3, 0.6, 0.7], [1, 1, 1]);
  assert.deepEqual(bins.map((b) => b.n), [0, 0, 1, 0, 0, 1, 1, 0, 0, 0]);
});

for (const g of golden.cases) {
  test(`golden metrics: ${g.name}`, () => {
    const q = g.confidence;
    const c = g.correct;
    close(accuracy(c), g.accuracy, 1e-9, 'accuracy');
    close(brierScore(q, c), g.brier, 1e-9, 'brier');
    close(ece(q, c), g.ece_10_equal_width, 1e-9, 'ece');
    const a = auroc(q, c);
    if (g.auroc === null) assert.equal(a, null);
    else close(a!, g.auroc, 1e-9, 'auroc');
    const bins = reliabilityBins(q, c);
    assert.equal(bins.length, g.bins.length);
    for (const gb of g.bins) {
      const b = bins[gb.bin]!;
      assert.equal(b.n, gb.n, `bin ${gb.bin} n`);
      if (gb.n > 0) {
        close(b.meanConf!, gb.mean_conf!, 1e-9, `bin ${gb.bin} mean_conf`);
        close(b.acc!, gb.acc!, 1e-9, `bin ${gb.bin} acc`);
      } else {
        assert.equal(b.meanConf, null);
      }
    }
    const m = computeMetrics(q.map((x, i) => ({ confidence: x, correct: c[i]! })), { bootstrap: 0 });
    close(m.ece, g.ece_10_equal_width, 1e-9, 'computeMetrics ece');
    assert.equal(m.ci, undefined);
  });
}

test('constant confidence gives AUROC 0.5; one class gives null', () => {
  assert.equal(auroc([0.7, 0.7, 0.7, 0.7], [1, 0, 1, 1]), 0.5);
  assert.equal(auroc([0.1, 0.9], [1, 1]), null);
  assert.equal(auroc([0.1, 0.9], [0, 1]), 1);
  assert.equal(auroc([0.1, 0.9], [1, 0]), 0);
});

test('MCE, RMS-CE, equal-mass ECE on a hand case', () => {
  // bin 9: q=1 x2 with acc 0.5 (gap 0.5); bin 0: q=0 x2 with acc 0 (gap 0)
  const q = [1, 1, 0, 0];
  const c = [1, 0, 0, 0];
  assert.equal(ece(q, c), 0.25);
  assert.equal(mce(q, c), 0.5);
  close(rmsCalibrationError(q, c), Math.sqrt(0.5 * 0.25), 1e-15, 'rmsce');
  // equal-mass with 2 bins: {0,0}->gap 0, {1,1}->gap 0.5
  assert.equal(eceEqualMass(q, c, 2), 0.25);
});

test('risk-coverage, AURC and selective accuracy with ties', () => {
  const q = [0.9, 0.8, 0.8, 0.1];
  const c = [1, 1, 0, 0];
  const rc = riskCoverage(q, c);
  assert.deepEqual(rc.coverage, [0.25, 0.5, 0.75, 1]);
  // k=1: 0 errors; k=2: tie group {1,0} half an error expected; k=3: 1 error; k=4: 2 errors
  assert.deepEqual(rc.risk, [0, 0.25, 1 / 3, 0.5]);
  close(aurc(q, c), (0 + 0.25 + 1 / 3 + 0.5) / 4, 1e-15, 'aurc');
  const sel = selectiveAccuracy(q, c, [0.25, 0.5, 1]);
  assert.deepEqual(sel.map((s) => s.k), [1, 2, 4]);
  assert.deepEqual(sel.map((s) => s.accuracy), [1, 0.75, 0.5]);
});

test('collapse monitors', () => {
  const m = collapseMonitors([0, 0.005, 0.5, 0.995, 1, 0.5]);
  assert.equal(m.distinctConfidences, 5);
  assert.equal(m.shareExtreme, 4 / 6);
});

test('bootstrap CI is seeded and brackets the estimate', () => {
  const g = golden.cases[0]!;
  const a = bootstrapCI(g.confidence, g.correct, brierScore, { seed: 7, resamples: 300 });
  const b = bootstrapCI(g.confidence, g.correct, brierScore, { seed: 7, resamples: 300 });
  const d = bootstrapCI(g.confidence, g.correct, brierScore, { seed: 8, resamples: 300 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, d);
  assert.ok(a!.lo < g.brier && g.brier < a!.hi, `CI ${JSON.stringify(a)} around ${g.brier}`);
  const m = computeMetrics(g.confidence.map((x, i) => ({ confidence: x, correct: g.correct[i] === 1 })), { bootstrap: 200, seed: 1 });
  assert.ok(m.ci && m.ci.ece && m.ci.ece.lo <= m.ci.ece.hi);
  assert.equal(m.ci!.resamples, 200);
});

test('computeMetrics rejects bad records loudly', () => {
  assert.throws(() => computeMetrics([{ confidence: NaN, correct: 1 }]), /record 0 has non-finite confidence/);
  assert.throws(() => computeMetrics([{ confidence: 0.5, correct: 2 }]), /record 0 has correct=2/);
  assert.throws(() => computeMetrics([]), /no records/);
});

test('aggregate is the unweighted mean over datasets', () => {
  const m1 = computeMetrics([{ confidence: 1, correct: 1 }, { confidence: 1, correct: 1 }], { bootstrap: 0 });
  const m2 = computeMetrics(Array.from({ length: 10 }, () => ({ confidence: 1, correct: 0 })), { bootstrap: 0 });
  const a = aggregateMetrics([m1, m2]);
  assert.equal(a.accuracy, 0.5); // not 2/12
  assert.equal(a.ece, 0.5);
  assert.equal(a.auroc, null);
});

const recordsArb = fc.array(fc.record({ q: fc.double({ min: 0, max: 1, noNaN: true }), c: fc.boolean() }), { minLength: 1, maxLength: 200 });

test('property: ECE, MCE, RMS-CE, equal-mass ECE and Brier lie in [0, 1]', () => {
  fc.assert(
    fc.property(recordsArb, (rs) => {
      const q = rs.map((r) => r.q);
      const c = rs.map((r) => (r.c ? 1 : 0));
      for (const v of [ece(q, c), mce(q, c), rmsCalibrationError(q, c), eceEqualMass(q, c), brierScore(q, c), aurc(q, c)]) {
        assert.ok(Number.isFinite(v) && v >= 0 && v <= 1 + 1e-12, `value ${v}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: AUROC is invariant to strictly increasing transforms of q', () => {
  const transforms = [(x: number) => x * x, (x: number) => Math.exp(3 * x), (x: number) => 0.2 + 0.5 * x, (x: number) => Math.log(x + 1e-3)];
  fc.assert(
    fc.property(recordsArb, fc.integer({ min: 0, max: transforms.length - 1 }), (rs, t) => {
      // round q to a grid so ties are common and survive the transform exactly
      const q = rs.map((r) => Math.round(r.q * 20) / 20);
      const c = rs.map((r) => (r.c ? 1 : 0));
      const a = auroc(q, c);
      const b = auroc(q.map(transforms[t]!), c);
      if (a === null) assert.equal(b, null);
      else {
        assert.ok(a >= 0 && a <= 1);
        close(a, b!, 1e-12, 'auroc after transform');
      }
    }),
    { numRuns: 300 },
  );
});

test('property: AUROC equals the pairwise Mann-Whitney count', () => {
  fc.assert(
    fc.property(recordsArb, (rs) => {
      const q = rs.map((r) => Math.round(r.q * 10) / 10);
      const c = rs.map((r) => (r.c ? 1 : 0));
      let s = 0;
      let pairs = 0;
      for (let i = 0; i < q.length; i++) for (let j = 0; j < q.length; j++) {
        if (c[i] === 1 && c[j] === 0) { pairs++; s += q[i]! > q[j]! ? 1 : q[i] === q[j] ? 0.5 : 0; }
      }
      const a = auroc(q, c);
      if (pairs === 0) assert.equal(a, null);
      else close(a!, s / pairs, 1e-12, 'auroc');
    }),
    { numRuns: 200 },
  );
});

test('property: computeMetrics never yields NaN or Infinity anywhere', () => {
  const walk = (x: unknown, where: string): void => {
    if (typeof x === 'number') assert.ok(Number.isFinite(x), `${where} = ${x}`);
    else if (Array.isArray(x)) x.forEach((v, i) => walk(v, `${where}[${i}]`));
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, `${where}.${k}`);
  };
  fc.assert(
    fc.property(fc.array(fc.record({ q: fc.double({ min: -0.5, max: 1.5, noNaN: true }), c: fc.boolean() }), { minLength: 1, maxLength: 40 }), (rs) => {
      walk(computeMetrics(rs.map((r) => ({ confidence: r.q, correct: r.c })), { bootstrap: 20, seed: 3 }), 'metrics');
    }),
    { numRuns: 150 },
  );
});
