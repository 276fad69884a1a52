// Static export: one run's view as a self-contained HTML file (styles, script and data inline), for
// sharing without a server. Big runs embed their first `maxRecords` records; curves are downsampled.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RunRecord, RunStore } from '../../runs/index.js';
import { getRunApi, seriesApi, toRow } from './api.js';
import { renderPage } from './page.js';

export interface ExportOptions {
  /** Records embedded for the sample browser (default 2000). */
  maxRecords?: number;
  /** Points per training curve (default 2000). */
  maxPoints?: number;
}

export interface ExportResult {
  file: string;
  bytes: number;
  runId: string;
  embeddedRecords: number;
  totalRecords: number;
}

/** Write run `id`'s dashboard view, with its data embedded, to `outFile`. */
export function exportRunHtml(store: RunStore, id: string, outFile: string, opts: ExportOptions = {}): ExportResult {
  const detail = getRunApi(store, id);
  const run = detail.run;
  const type = (detail.counts.sample ?? 0) > 0 ? 'sample' : '';
  const page = store.readRecords(run.id, { type: type || undefined, limit: opts.maxRecords ?? 2000 });
  const records: Record<string, RunRecord[]> = { [type]: page.records };
  const series: Record<string, unknown> = {};
  if ((detail.counts.step ?? 0) > 0) {
    series.step = seriesApi(store, run.id, new URLSearchParams({ type: 'step', max: String(opts.maxPoints ?? 2000) }));
  }
  const data = { exportedAt: new Date().toISOString(), runs: [toRow(run)], detail, records, series };
  const html = renderPage({ mode: 'static', title: `glassbox · ${run.name ?? run.id}`, data });
  const file = resolve(outFile);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
  return { file, bytes: Buffer.byteLength(html), runId: run.id, embeddedRecords: page.records.length, totalRecords: page.total };
}
