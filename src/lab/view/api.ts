// The dashboard's JSON API as plain functions over the run store (the HTTP server routes to these, and
// the static export calls them to embed a run's data). Every response is bounded in size: records come
// in pages, curves are downsampled to at most `max` points while streaming the log.
import type { ListRunsOptions, RecordPage, RunInfo, RunSortKey, RunStatus, RunStore } from '../../runs/index.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A run as the runs table shows it: no config, and only the metrics of the summary. */
export interface RunRow extends Omit<RunInfo, 'config' | 'summary'> {
  metrics: Record<string, unknown> | null;
  hasReliability: boolean;
}

export function toRow(run: RunInfo): RunRow {
  const { config: _config, summary, ...rest } = run;
  return {
    ...rest,
    metrics: (summary?.metrics as Record<string, unknown> | undefined) ?? null,
    hasReliability: Array.isArray(summary?.reliability),
  };
}

const SORTS: RunSortKey[] = ['createdAt', 'finishedAt', 'kind', 'name', 'status', 'records', 'id'];
const STATUSES: RunStatus[] = ['running', 'completed', 'failed'];

function intParam(q: URLSearchParams, name: string, dflt: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(400, `query parameter ${name} must be a non-negative integer, got "${raw}"`);
  return Math.min(n, max);
}

export function listRunsApi(store: RunStore, q: URLSearchParams): { total: number; kinds: string[]; runs: RunRow[] } {
  const sort = (q.get('sort') ?? 'createdAt') as RunSortKey;
  if (!SORTS.includes(sort)) throw new ApiError(400, `sort must be one of ${SORTS.join(', ')}`);
  const status = q.get('status') || undefined;
  if (status && !STATUSES.includes(status as RunStatus)) throw new ApiError(400, `status must be one of ${STATUSES.join(', ')}`);
  const filter: ListRunsOptions = {
    kind: q.get('kind') || undefined,
    status: status as RunStatus | undefined,
    text: q.get('q') || undefined,
  };
  const runs = store.listRuns({
    ...filter,
    sort,
    order: q.get('order') === 'asc' ? 'asc' : 'desc',
    limit: intParam(q, 'limit', 500, 5000),
    offset: intParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER),
  });
  const kinds = [...new Set(store.listRuns({ limit: 5000 }).map((r) => r.kind))].sort();
  return { total: store.countRuns(filter), kinds, runs: runs.map(toRow) };
}

export interface RunDetail {
  run: RunInfo;
  counts: Record<string, number>;
}

export function getRunApi(store: RunStore, id: string): RunDetail {
  const run = store.getRun(id);
  if (!run) throw new ApiError(404, `no run "${id}"`);
  return { run, counts: store.recordCounts(run.id) };
}

export function recordsApi(store: RunStore, id: string, q: URLSearchParams): RecordPage {
  const run = store.getRun(id);
  if (!run) throw new ApiError(404, `no run "${id}"`);
  return store.readRecords(run.id, {
    offset: intParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER),
    limit: intParam(q, 'limit', 20, 500),
    type: q.get('type') || undefined,
  });
}

export interface Series {
  type: string;
  total: number;
  stride: number;
  fields: string[];
  /** One object per kept record with its numeric fields. */
  points: Record<string, number>[];
}

/** Numeric fields of every `stride`-th record of `type`, streamed from the log (at most `max` points). */
export function seriesApi(store: RunStore, id: string, q: URLSearchParams): Series {
  const run = store.getRun(id);
  if (!run) throw new ApiError(404, `no run "${id}"`);
  const type = q.get('type') || 'step';
  const max = Math.max(2, intParam(q, 'max', 2000, 20000));
  const wanted = (q.get('fields') ?? '').split(',').filter(Boolean);
  const total = store.countRecords(run.id, type);
  const stride = Math.max(1, Math.ceil(total / max));
  const fields = new Set<string>();
  const points: Record<string, number>[] = [];
  let i = 0;
  for (const rec of store.scanRecords(run.id, type)) {
    if (i % stride === 0 || i === total - 1) {
      const p: Record<string, number> = {};
      for (const [k, v] of Object.entries(rec)) {
        if (typeof v === 'number' && Number.isFinite(v) && (wanted.length === 0 || wanted.includes(k))) {
          p[k] = v;
          fields.add(k);
        }
      }
      points.push(p);
    }
    i++;
  }
  return { type, total, stride, fields: [...fields], points };
}

export interface MetricComparison {
  name: string;
  a: unknown;
  b: unknown;
  /** b - a on the metric values, when both are numbers. */
  delta: number | null;
}

export function metricValue(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v && typeof v === 'object' && 'value' in v) return metricValue((v as { value: unknown }).value);
  return null;
}

export function compareApi(store: RunStore, q: URLSearchParams): { a: RunInfo; b: RunInfo; metrics: MetricComparison[] } {
  const ida = q.get('a');
  const idb = q.get('b');
  if (!ida || !idb) throw new ApiError(400, 'compare needs two runs: /api/compare?a=<run>&b=<run>');
  const a = store.getRun(ida);
  const b = store.getRun(idb);
  if (!a) throw new ApiError(404, `no run "${ida}"`);
  if (!b) throw new ApiError(404, `no run "${idb}"`);
  const ma = (a.summary?.metrics ?? {}) as Record<string, unknown>;
  const mb = (b.summary?.metrics ?? {}) as Record<string, unknown>;
  const names = [...new Set([...Object.keys(ma), ...Object.keys(mb)])];
  const metrics = names.map((name) => {
    const va = metricValue(ma[name]);
    const vb = metricValue(mb[name]);
    return { name, a: ma[name] ?? null, b: mb[name] ?? null, delta: va !== null && vb !== null ? vb - va : null };
  });
  return { a, b, metrics };
}
