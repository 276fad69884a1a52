// Small text formatters shared by CLI commands: aligned tables, metric values, ages and durations.
import type { MetricValue } from '../runs/index.js';

export function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** 0.12345 -> '0.1235'; {value, lo, hi} -> '0.1235 [0.10, 0.14]'; null -> '-'. */
export function formatMetric(v: MetricValue | unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (typeof v === 'object' && v !== null && 'value' in v) {
    const m = v as { value: number | null; lo?: number | null; hi?: number | null };
    const ci = typeof m.lo === 'number' && typeof m.hi === 'number' ? ` [${m.lo.toFixed(4)}, ${m.hi.toFixed(4)}]` : '';
    return `${formatMetric(m.value)}${ci}`;
  }
  return JSON.stringify(v);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** ISO time -> 'YYYY-MM-DD HH:MM' (UTC). */
export function shortTime(iso: string | null): string {
  return iso ? iso.replace('T', ' ').slice(0, 16) : '-';
}
