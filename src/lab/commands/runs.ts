// `glassbox runs list|show|delete`: browse the run store from the terminal (`--json` for scripts).
import { UserError, type CommandSpec } from '../command.js';
import { formatMetric, shortTime, textTable } from '../format.js';
import { openLabStore } from '../home.js';
import type { RunInfo, RunStatus } from '../../runs/index.js';

const STATUSES: RunStatus[] = ['running', 'completed', 'failed'];

/** The first few scalar metrics of a summary, for one-line listings. */
export function headlineMetrics(run: RunInfo, max = 3): string {
  const metrics = (run.summary?.metrics ?? {}) as Record<string, unknown>;
  return Object.entries(metrics)
    .filter(([, v]) => v !== null && (typeof v === 'number' || typeof v === 'object'))
    .slice(0, max)
    .map(([k, v]) => `${k}=${formatMetric(v).split(' ')[0]}`)
    .join(' ');
}

export const runsList: CommandSpec = {
  name: 'runs list',
  summary: 'List runs in the store, newest first',
  examples: ['glassbox runs list', 'glassbox runs list --kind calibrate-eval --status completed --json'],
  options: {
    kind: { type: 'string', description: "only runs of this kind, e.g. 'calibrate-eval'" },
    status: { type: 'string', description: 'only runs with this status: running, completed or failed' },
    search: { type: 'string', short: 's', description: 'only runs whose id, name or kind contains this text' },
    limit: { type: 'number', short: 'n', default: 50, description: 'at most this many runs' },
  },
  async run(opts, _pos, ctx) {
    const status = opts.status as string | undefined;
    if (status !== undefined && !STATUSES.includes(status as RunStatus)) {
      throw new UserError(`--status must be one of ${STATUSES.join(', ')}; got "${status}"`);
    }
    const store = openLabStore(ctx);
    try {
      const filter = { kind: opts.kind as string | undefined, status: status as RunStatus | undefined, text: opts.search as string | undefined };
      const runs = store.listRuns({ ...filter, limit: opts.limit as number });
      if (opts.json) {
        ctx.out(JSON.stringify({ total: store.countRuns(filter), runs }));
        return 0;
      }
      if (runs.length === 0) {
        ctx.out(`no runs in ${store.home}${filter.kind || filter.status || filter.text ? ' match the filter' : ' yet'}`);
        return 0;
      }
      const rows = runs.map((r) => [r.id, r.kind, r.name ?? '', r.status, String(r.records), shortTime(r.createdAt), headlineMetrics(r)]);
      for (const line of textTable(['ID', 'KIND', 'NAME', 'STATUS', 'RECORDS', 'CREATED (UTC)', 'METRICS'], rows)) ctx.out(line);
      return 0;
    } finally {
      store.close();
    }
  },
};

export const runsShow: CommandSpec = {
  name: 'runs show',
  summary: 'Show one run: config, provenance, summary and its first records',
  args: '<run>',
  examples: ['glassbox runs show 3fa9c2', 'glassbox runs show 3fa9c2 --records 5 --json'],
  options: {
    records: { type: 'number', default: 3, description: 'also show this many records from the log' },
    type: { type: 'string', description: "only records of this type, e.g. 'sample' or 'step'" },
  },
  async run(opts, pos, ctx) {
    if (pos.length !== 1) throw new UserError('`glassbox runs show` takes one run id (or unique prefix, or name); see `glassbox runs list`');
    const store = openLabStore(ctx);
    try {
      const run = store.requireRun(pos[0]!);
      const page = store.readRecords(run.id, { limit: opts.records as number, type: opts.type as string | undefined });
      const counts = store.recordCounts(run.id);
      if (opts.json) {
        ctx.out(JSON.stringify({ run, recordCounts: counts, records: page.records }));
        return 0;
      }
      ctx.out(`run ${run.id}${run.name ? ` (${run.name})` : ''}  ${run.kind}  ${run.status}`);
      ctx.out(`created ${shortTime(run.createdAt)}  finished ${shortTime(run.finishedAt)}  seed ${run.seed ?? '-'}  git ${run.gitSha?.slice(0, 12) ?? '-'}`);
      ctx.out(`versions ${Object.entries(run.versions).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      ctx.out(`log ${run.logPath}  (${Object.entries(counts).map(([t, n]) => `${t || 'all'}: ${n}`).join(', ') || 'empty'})`);
      if (run.error) ctx.out(`error: ${run.error}`);
      ctx.out(`config ${JSON.stringify(run.config)}`);
      const metrics = (run.summary?.metrics ?? null) as Record<string, unknown> | null;
      if (metrics) {
        ctx.out('metrics:');
        for (const line of textTable(['NAME', 'VALUE'], Object.entries(metrics).map(([k, v]) => [k, formatMetric(v)]))) ctx.out(`  ${line}`);
      }
      for (const [name, path] of Object.entries(run.artifacts)) ctx.out(`artifact ${name}: ${path}`);
      if (page.records.length > 0) {
        ctx.out(`records (${page.records.length} of ${page.total}):`);
        for (const r of page.records) ctx.out(`  ${JSON.stringify(r).slice(0, 200)}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};

export const runsDelete: CommandSpec = {
  name: 'runs delete',
  summary: 'Delete runs (their rows and log folders)',
  args: '<run...>',
  examples: ['glassbox runs delete 3fa9c2', 'glassbox runs delete 3fa9c2 77b1e0 --force'],
  options: {
    force: { type: 'boolean', default: false, description: 'also delete runs still being written' },
  },
  async run(opts, pos, ctx) {
    if (pos.length === 0) throw new UserError('`glassbox runs delete` needs at least one run id; see `glassbox runs list`');
    const store = openLabStore(ctx);
    try {
      const deleted = pos.map((q) => store.deleteRun(q, { force: Boolean(opts.force) }));
      if (opts.json) ctx.out(JSON.stringify({ deleted: deleted.map((r) => r.id) }));
      else for (const r of deleted) ctx.out(`deleted ${r.id} (${r.kind}${r.name ? `, ${r.name}` : ''})`);
      return 0;
    } finally {
      store.close();
    }
  },
};

export const runsCommands: CommandSpec[] = [runsList, runsShow, runsDelete];
