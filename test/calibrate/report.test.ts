// HTML report: self-contained, bins read back from the SVG data attributes sum to n and match the metrics;
// the same checks in headless Chromium (skipped when /usr/bin/chromium is absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aggregateMetrics, computeMetrics } from '../../src/calibrate/metrics.js';
import { escapeHtml, histogramSvg, lineChartSvg, reliabilityDiagramSvg, renderCalibrationReport } from '../../src/calibrate/report.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/calibration/metrics_golden.json', import.meta.url), 'utf8')) as {
  cases: { name: string; confidence: number[]; correct: number[] }[];
};
const sections = golden.cases.slice(0, 3).map((g) => ({
  name: g.name,
  metrics: computeMetrics(g.confidence.map((q, i) => ({ confidence: q, correct: g.correct[i]! })), { bootstrap: 100, seed: 1 }),
}));
const html = renderCalibrationReport({
  title: 'Test <report>',
  meta: { provider: 'http://127.0.0.1:1/v1#m', format: 'tabc', samples: 1 },
  sections,
  aggregate: aggregateMetrics(sections.map((s) => s.metrics)),
  curves: [{ title: 'Accuracy vs N', xLabel: 'N', yLabel: 'accuracy', series: [{ name: 'majority', points: [[1, 0.5], [4, 0.6]] }, { name: 'weighted', points: [[1, 0.5], [4, 0.7]] }] }],
});

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w-]+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

test('report is self-contained HTML', () => {
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /<script|<link|src="http|href="http|@import|url\(/i);
  assert.match(html, /<title>Test &lt;report&gt;<\/title>/);
  assert.match(html, /mean of 3/);
});

test('reliability bins in the HTML sum to n and match the metrics', () => {
  const secs = [...html.matchAll(/<section class="dataset"([^>]*)>([\s\S]*?)<\/section>/g)];
  assert.equal(secs.length, sections.length);
  secs.forEach((m, i) => {
    const s = attrs(m[1]!);
    const metrics = sections[i]!.metrics;
    assert.equal(s['data-dataset'], sections[i]!.name);
    assert.equal(Number(s['data-n']), metrics.n);
    const diagram = /<svg[^>]*class="reliability-diagram"[\s\S]*?<\/svg>/.exec(m[2]!)![0];
    const bins = [...diagram.matchAll(/<rect class="bin"[^>]*>/g)].map((t) => attrs(t[0]));
    assert.equal(bins.length, 10);
    assert.equal(bins.reduce((sum, b) => sum + Number(b['data-n']), 0), metrics.n);
    bins.forEach((b, k) => {
      const want = metrics.bins[k]!;
      assert.equal(Number(b['data-bin']), k);
      assert.equal(Number(b['data-n']), want.n);
      assert.equal(b['data-acc'], want.acc === null ? '' : String(want.acc));
      assert.equal(b['data-conf'], want.meanConf === null ? '' : String(want.meanConf));
    });
    const labels = [...diagram.matchAll(/<text class="bin-n"[^>]*>n=(\d+)<\/text>/g)].map((t) => Number(t[1]));
    assert.deepEqual(labels, metrics.bins.map((b) => b.n));
    assert.match(diagram, /class="diagonal"/);
    const hist = /<svg[^>]*class="confidence-histogram"[\s\S]*?<\/svg>/.exec(m[2]!)![0];
    const counts = [...hist.matchAll(/<rect class="hist-bar"[^>]*>/g)].map((t) => Number(attrs(t[0])['data-n']));
    assert.equal(counts.reduce((a, b) => a + b, 0), metrics.n);
  });
});

test('SVG helpers are usable on their own', () => {
  const svg = reliabilityDiagramSvg(sections[0]!.metrics.bins, { id: 'x' });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, new RegExp(`data-total-n="${sections[0]!.metrics.n}"`));
  assert.match(histogramSvg({ edges: [0, 0.5, 1], counts: [2, 3] }), /data-total-n="5"/);
  const line = lineChartSvg([{ name: 'a"b', points: [[1, 0.2], [2, 0.4]] }]);
  assert.equal([...line.matchAll(/<circle class="point"/g)].length, 2);
  assert.match(line, /data-series="a&quot;b"/);
  assert.doesNotMatch(line, /NaN/);
  assert.doesNotMatch(lineChartSvg([]), /NaN/);
  assert.equal(escapeHtml(`<a href='x'>&</a>`), '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  assert.throws(() => renderCalibrationReport({ sections: [] }), /no sections/);
});

const chromium = '/usr/bin/chromium';
test('report opens in headless Chromium and the diagram bins match the metrics', { skip: existsSync(chromium) ? false : 'no chromium' }, async () => {
  const { chromium: pw } = await import('playwright-core');
  const dir = mkdtempSync(path.join(tmpdir(), 'gb-report-'));
  const file = path.join(dir, 'report.html');
  writeFileSync(file, html);
  const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    const got = await page.$$eval('section.dataset', (els) =>
      els.map((el) => ({
        n: Number(el.getAttribute('data-n')),
        bins: Array.from(el.querySelectorAll('svg.reliability-diagram rect.bin')).map((r) => ({
          n: Number(r.getAttribute('data-n')),
          height: (r as SVGRectElement).getBBox().height,
        })),
      })),
    );
    assert.equal(got.length, sections.length);
    got.forEach((g, i) => {
      const m = sections[i]!.metrics;
      assert.equal(g.n, m.n);
      assert.deepEqual(g.bins.map((b) => b.n), m.bins.map((b) => b.n));
      assert.equal(g.bins.reduce((s, b) => s + b.n, 0), m.n);
      // rendered bar heights are ordered like the bins' accuracies
      g.bins.forEach((b, k) => {
        if (m.bins[k]!.n === 0) assert.ok(b.height < 1e-6);
      });
      const nonEmpty = g.bins.map((b, k) => [b.height, m.bins[k]!.acc] as const).filter(([, a]) => a !== null);
      for (const [h1, a1] of nonEmpty) for (const [h2, a2] of nonEmpty) if (a1! > a2! + 0.02) assert.ok(h1 > h2);
    });
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
