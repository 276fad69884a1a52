// Self-contained HTML calibration report (no external assets): per-dataset metrics table with bootstrap CIs,
// SVG reliability diagram (bars per bin with n labels and the diagonal), confidence histogram, optional curves.
// The SVG helpers are exported for the web dashboard; their elements carry data-* attributes for browser tests.

import type { AggregateMetrics, CalibrationMetrics, Histogram, Interval, ReliabilityBin } from './metrics.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

const fmt = (x: number | null | undefined, d = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const num = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0');

export interface SvgOptions {
  width?: number;
  height?: number;
  title?: string;
  /** id attribute of the <svg>. */
  id?: string;
}

const M = { left: 54, right: 12, top: 26, bottom: 36 };

function frame(w: number, h: number, attrs: string, title: string | undefined, body: string[]): string {
  const t = title ? `<text x="${w / 2}" y="16" text-anchor="middle" font-size="13" font-weight="600">${escapeHtml(title)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" ${attrs} font-family="system-ui, sans-serif">${t}${body.join('')}</svg>`;
}

function axes(w: number, h: number, xLabel: string, yLabel: string, xTicks: [number, string][], yTicks: [number, string][]): string[] {
  const out: string[] = [];
  const x0 = M.left;
  const y0 = h - M.bottom;
  out.push(`<line x1="${x0}" y1="${y0}" x2="${w - M.right}" y2="${y0}" stroke="#333"/>`);
  out.push(`<line x1="${x0}" y1="${M.top}" x2="${x0}" y2="${y0}" stroke="#333"/>`);
  for (const [px, label] of xTicks) out.push(`<text x="${num(px)}" y="${y0 + 14}" text-anchor="middle" font-size="10">${escapeHtml(label)}</text>`);
  for (const [py, label] of yTicks) {
    out.push(`<text x="${x0 - 4}" y="${num(py + 3)}" text-anchor="end" font-size="10">${escapeHtml(label)}</text>`);
    out.push(`<line x1="${x0}" y1="${num(py)}" x2="${w - M.right}" y2="${num(py)}" stroke="#eee"/>`);
  }
  out.push(`<text x="${(x0 + w - M.right) / 2}" y="${h - 6}" text-anchor="middle" font-size="11">${escapeHtml(xLabel)}</text>`);
  out.push(`<text transform="translate(11 ${(M.top + y0) / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeHtml(yLabel)}</text>`);
  return out;
}

/**
 * Reliability diagram: one bar per equal-width bin (height = accuracy) with its n above it, a marker at the
 * bin's mean confidence, and the diagonal. Each bar is `<rect class="bin" data-bin data-n data-acc data-conf>`
 * (data-acc/data-conf empty for empty bins) so a test can read the bins back.
 */
export function reliabilityDiagramSvg(bins: readonly ReliabilityBin[], opts: SvgOptions = {}): string {
  const w = opts.width ?? 360;
  const h = opts.height ?? 320;
  const pw = w - M.left - M.right;
  const ph = h - M.top - M.bottom;
  const X = (v: number) => M.left + Math.min(1, Math.max(0, v)) * pw;
  const Y = (v: number) => M.top + (1 - Math.min(1, Math.max(0, v))) * ph;
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const body = axes(w, h, 'confidence', 'accuracy', ticks.map((t) => [X(t), t.toFixed(1)]), ticks.map((t) => [Y(t), t.toFixed(1)]));
  const k = bins.length || 1;
  bins.forEach((b, i) => {
    // Draw bins at their nominal width 1/k so the float64 edge quirks do not make slivers.
    const x1 = X(i / k) + 1;
    const bw = Math.max(1, pw / k - 2);
    const acc = b.acc ?? 0;
    const y = Y(acc);
    body.push(
      `<rect class="bin" data-bin="${b.bin}" data-n="${b.n}" data-acc="${b.acc ?? ''}" data-conf="${b.meanConf ?? ''}" ` +
        `x="${num(x1)}" y="${num(y)}" width="${num(bw)}" height="${num(Y(0) - y)}" fill="#4a78c2" fill-opacity="0.8">` +
        `<title>bin ${b.bin}: n=${b.n}, conf=${fmt(b.meanConf)}, acc=${fmt(b.acc)}</title></rect>`,
    );
    if (b.meanConf !== null) {
      body.push(`<line class="conf-mark" data-bin="${b.bin}" x1="${num(x1)}" x2="${num(x1 + bw)}" y1="${num(Y(b.meanConf))}" y2="${num(Y(b.meanConf))}" stroke="#c0392b" stroke-width="2"/>`);
    }
    body.push(`<text class="bin-n" data-bin="${b.bin}" x="${num(x1 + bw / 2)}" y="${num(Math.min(y, Y(0)) - 3)}" text-anchor="middle" font-size="9">n=${b.n}</text>`);
  });
  body.push(`<line class="diagonal" x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" stroke="#888" stroke-dasharray="4 3"/>`);
  const n = bins.reduce((s, b) => s + b.n, 0);
  return frame(w, h, `class="reliability-diagram" data-total-n="${n}"${opts.id ? ` id="${escapeHtml(opts.id)}"` : ''}`, opts.title, body);
}

/** Confidence histogram: one `<rect class="hist-bar" data-bin data-n data-lo data-hi>` per bin. */
export function histogramSvg(hist: Histogram, opts: SvgOptions = {}): string {
  const w = opts.width ?? 360;
  const h = opts.height ?? 200;
  const pw = w - M.left - M.right;
  const ph = h - M.top - M.bottom;
  const k = hist.counts.length;
  const maxC = Math.max(1, ...hist.counts);
  const X = (v: number) => M.left + v * pw;
  const Y = (v: number) => M.top + (1 - v / maxC) * ph;
  const xt = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const body = axes(w, h, 'confidence', 'count', xt.map((t) => [X(t), t.toFixed(1)]), [0, maxC].map((c) => [Y(c), String(c)]));
  hist.counts.forEach((c, i) => {
    const x1 = X(i / k);
    body.push(
      `<rect class="hist-bar" data-bin="${i}" data-n="${c}" data-lo="${hist.edges[i]}" data-hi="${hist.edges[i + 1]}" ` +
        `x="${num(x1 + 0.5)}" y="${num(Y(c))}" width="${num(Math.max(0.5, pw / k - 1))}" height="${num(Y(0) - Y(c))}" fill="#7a9c59"><title>${c}</title></rect>`,
    );
  });
  const total = hist.counts.reduce((s, c) => s + c, 0);
  return frame(w, h, `class="confidence-histogram" data-total-n="${total}"${opts.id ? ` id="${escapeHtml(opts.id)}"` : ''}`, opts.title, body);
}

export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  color?: string;
}

const PALETTE = ['#4a78c2', '#c0392b', '#7a9c59', '#8e44ad', '#d68910', '#17a589'];

/** Line chart (e.g. accuracy vs N): one `<polyline class="series" data-series>` per series, points as circles with data-x/data-y. */
export function lineChartSvg(series: readonly LineSeries[], opts: SvgOptions & { xLabel?: string; yLabel?: string; logX?: boolean } = {}): string {
  const w = opts.width ?? 420;
  const h = opts.height ?? 260;
  const pw = w - M.left - M.right - 90;
  const ph = h - M.top - M.bottom;
  const pts = series.flatMap((s) => s.points);
  const tx = (x: number) => (opts.logX ? Math.log2(Math.max(x, 1e-12)) : x);
  const xs = pts.map((p) => tx(p[0]));
  const ys = pts.map((p) => p[1]);
  let [xmin, xmax] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [ymin, ymax] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (xmax === xmin) [xmin, xmax] = [xmin - 1, xmax + 1];
  if (ymax === ymin) [ymin, ymax] = [ymin - 0.5, ymax + 0.5];
  const X = (v: number) => M.left + ((tx(v) - xmin) / (xmax - xmin)) * pw;
  const Y = (v: number) => M.top + (1 - (v - ymin) / (ymax - ymin)) * ph;
  const xVals = [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b).slice(0, 12);
  const yT = [0, 0.5, 1].map((f) => ymin + f * (ymax - ymin));
  const body = axes(w - 90, h, opts.xLabel ?? 'x', opts.yLabel ?? 'y', xVals.map((v) => [X(v), String(v)]), yT.map((v) => [Y(v), v.toFixed(2)]));
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const poly = s.points.map((p) => `${num(X(p[0]))},${num(Y(p[1]))}`).join(' ');
    body.push(`<polyline class="series" data-series="${escapeHtml(s.name)}" points="${poly}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of s.points) {
      body.push(`<circle class="point" data-series="${escapeHtml(s.name)}" data-x="${p[0]}" data-y="${p[1]}" cx="${num(X(p[0]))}" cy="${num(Y(p[1]))}" r="3" fill="${color}"><title>${escapeHtml(s.name)}: ${p[0]}, ${fmt(p[1], 4)}</title></circle>`);
    }
    const ly = M.top + 14 * i + 6;
    body.push(`<rect x="${w - 96}" y="${ly - 7}" width="10" height="10" fill="${color}"/><text x="${w - 82}" y="${ly + 2}" font-size="10">${escapeHtml(s.name)}</text>`);
  });
  return frame(w, h, `class="line-chart"${opts.id ? ` id="${escapeHtml(opts.id)}"` : ''}`, opts.title, body);
}

export interface ReportSection {
  /** Dataset (or dataset/method) name. */
  name: string;
  metrics: CalibrationMetrics;
  note?: string;
}

export interface ReportCurve {
  title: string;
  xLabel?: string;
  yLabel?: string;
  logX?: boolean;
  series: LineSeries[];
}

export interface CalibrationReportData {
  title?: string;
  /** Run details shown as a key/value table (provider, model, format, checker, …). */
  meta?: Record<string, string | number | boolean | null | undefined>;
  sections: ReportSection[];
  /** Unweighted means over sections. */
  aggregate?: AggregateMetrics;
  curves?: ReportCurve[];
  /** Shown verbatim in the footer (pass a timestamp; the renderer itself is deterministic). */
  generatedAt?: string;
}

const withCI = (x: number | null, ci: Interval | null | undefined, d = 3): string =>
  ci ? `${fmt(x, d)} <span class="ci">[${fmt(ci.lo, d)}, ${fmt(ci.hi, d)}]</span>` : fmt(x, d);

function metricsTable(sections: readonly ReportSection[], aggregate?: AggregateMetrics): string {
  const head = ['dataset', 'n', 'accuracy', 'Brier', 'ECE', 'ECE (equal-mass)', 'MCE', 'RMS-CE', 'AUROC', 'AURC', 'mean q', 'distinct q', 'q near 0/1'];
  const rows = sections.map((s) => {
    const m = s.metrics;
    return [
      escapeHtml(s.name),
      String(m.n),
      withCI(m.accuracy, m.ci?.accuracy),
      withCI(m.brier, m.ci?.brier),
      withCI(m.ece, m.ci?.ece),
      fmt(m.eceEqualMass),
      fmt(m.mce),
      fmt(m.rmsce),
      withCI(m.auroc, m.ci?.auroc),
      fmt(m.aurc),
      fmt(m.collapse.meanConfidence),
      String(m.collapse.distinctConfidences),
      fmt(m.collapse.shareExtreme),
    ];
  });
  if (aggregate && sections.length > 1) {
    const a = aggregate;
    rows.push([`<b>mean of ${a.datasets}</b>`, '', fmt(a.accuracy), fmt(a.brier), fmt(a.ece), fmt(a.eceEqualMass), fmt(a.mce), fmt(a.rmsce), fmt(a.auroc), fmt(a.aurc), fmt(a.meanConfidence), '', '']);
  }
  const tr = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  return `<table class="metrics"><thead>${tr(head, 'th')}</thead><tbody>${rows.map((r) => tr(r, 'td')).join('')}</tbody></table>`;
}

function selectiveTable(m: CalibrationMetrics): string {
  const cells = m.selective.map((p) => `<td>${fmt(p.accuracy)} <span class="ci">(k=${p.k})</span></td>`).join('');
  const head = m.selective.map((p) => `<th>${(p.coverage * 100).toFixed(0)}%</th>`).join('');
  return `<table class="selective"><thead><tr><th>coverage</th>${head}</tr></thead><tbody><tr><th>selective accuracy</th>${cells}</tr></tbody></table>`;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}.ci{color:#777;font-size:11px}
.figs{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.note{color:#555}footer{margin-top:32px;color:#888;font-size:12px}`;

/**
 * The full report as one HTML string. Each section gets `<section class="dataset" data-dataset data-n>`
 * holding its reliability diagram and histogram; the metrics table lists every section (with CIs when present).
 */
export function renderCalibrationReport(data: CalibrationReportData): string {
  if (!data.sections || data.sections.length === 0) throw new Error('renderCalibrationReport: no sections (need at least one dataset)');
  const title = data.title ?? 'Calibration report';
  const meta = data.meta
    ? `<table class="meta"><tbody>${Object.entries(data.meta)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const ciNote = data.sections.find((s) => s.metrics.ci)?.metrics.ci;
  const sections = data.sections.map((s, i) => {
    const m = s.metrics;
    return (
      `<section class="dataset" data-dataset="${escapeHtml(s.name)}" data-n="${m.n}">` +
      `<h2>${escapeHtml(s.name)} <span class="ci">n=${m.n}</span></h2>` +
      (s.note ? `<p class="note">${escapeHtml(s.note)}</p>` : '') +
      `<div class="figs">` +
      reliabilityDiagramSvg(m.bins, { title: `Reliability (ECE ${fmt(m.ece)})`, id: `reliability-${i}` }) +
      histogramSvg(m.histogram, { title: 'Confidence histogram', id: `histogram-${i}` }) +
      `</div><p class="note">Bars: accuracy per confidence bin (n above each); red ticks: mean confidence in the bin; dashed: perfect calibration.</p>${selectiveTable(m)}</section>`
    );
  });
  const curves = (data.curves ?? []).map(
    (c, i) => `<section class="curve"><h2>${escapeHtml(c.title)}</h2>${lineChartSvg(c.series, { xLabel: c.xLabel, yLabel: c.yLabel, logX: c.logX, id: `curve-${i}` })}</section>`,
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><h1>${escapeHtml(title)}</h1>${meta}
<h2>Metrics</h2>${metricsTable(data.sections, data.aggregate)}
<p class="note">Brier is the binary score mean (q − c)². ECE uses 10 equal-width bins (numpy edges). Aggregates are unweighted means over datasets.${
    ciNote ? ` Brackets: ${Math.round(ciNote.level * 100)}% percentile bootstrap, ${ciNote.resamples} resamples, seed ${ciNote.seed}.` : ''
  }</p>
${sections.join('\n')}
${curves.join('\n')}
<footer>glassbox calibrate report${data.generatedAt ? ` · ${escapeHtml(data.generatedAt)}` : ''}</footer>
</body></html>
`;
}
