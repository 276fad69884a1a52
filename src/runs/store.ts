// The run store: a SQLite database (WAL) under GLASSBOX_HOME indexing every run, and one folder per run
// holding its append-only JSONL log. Writers get a RunWriter; readers list, page and delete runs.
// Runs whose writing process died are reported failed by reconcile(), which runs on open.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RunNotFoundError, RunStoreError } from './errors.js';
import { lineType, parseLine, scanLines, serializeRecord } from './jsonl.js';
import { gitSha, processStartTime, runtimeVersions, thisHost, writerAlive } from './provenance.js';
import { RecordIndex } from './record-index.js';
import type { HeaderRecord, ReadRecordsOptions, RecordPage, RunRecord } from './records.js';
import { migrate } from './schema.js';
import type { RunInfo, RunStatus } from './types.js';
import { RunWriter } from './writer.js';

export interface CreateRunOptions {
  kind: string;
  name?: string | null;
  config: unknown;
  seed?: number | null;
  /** Extra versions to record beside glassbox/node/sqlite (e.g. a model's revision). */
  versions?: Record<string, string>;
}

export type RunSortKey = 'createdAt' | 'finishedAt' | 'kind' | 'name' | 'status' | 'records' | 'id';

export interface ListRunsOptions {
  kind?: string;
  status?: RunStatus;
  /** Case-insensitive substring of id, name or kind. */
  text?: string;
  sort?: RunSortKey;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

interface RunRow {
  id: string;
  kind: string;
  name: string | null;
  status: RunStatus;
  config: string;
  seed: number | null;
  git_sha: string | null;
  versions: string;
  created_at: string;
  finished_at: string | null;
  summary: string | null;
  artifacts: string;
  log_path: string;
  error: string | null;
  records: number;
  pid: number | null;
  pid_start: string | null;
  host: string | null;
}

const SORT_COLUMNS: Record<RunSortKey, string> = {
  createdAt: 'created_at',
  finishedAt: 'finished_at',
  kind: 'kind',
  name: 'name',
  status: 'status',
  records: 'records',
  id: 'id',
};

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_PAGE = 10_000;

/** GLASSBOX_HOME, else ~/.glassbox. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.GLASSBOX_HOME && env.GLASSBOX_HOME.length > 0 ? resolve(env.GLASSBOX_HOME) : join(homedir(), '.glassbox');
}

export class RunStore {
  readonly dbPath: string;
  readonly runsDir: string;
  private readonly db: Database.Database;
  private readonly index: RecordIndex;
  private readonly sqliteVersion: string;

  constructor(readonly home: string) {
    this.runsDir = join(home, 'runs');
    mkdirSync(this.runsDir, { recursive: true });
    this.dbPath = join(home, 'store.db');
    this.db = new Database(this.dbPath, { timeout: 10_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db);
    this.index = new RecordIndex(this.db);
    this.sqliteVersion = (this.db.prepare<{ v: string }>('SELECT sqlite_version() AS v').get()?.v) ?? 'unknown';
  }

  /** Start a run: writes its header line and a 'running' row owned by this process. */
  createRun(opts: CreateRunOptions): RunWriter {
    if (typeof opts.kind !== 'string' || !/^[a-z][a-z0-9-]*$/.test(opts.kind)) {
      throw new RunStoreError(`run kind must be lowercase words joined by '-', e.g. 'calibrate-eval'; got ${JSON.stringify(opts.kind)}`);
    }
    const id = randomBytes(6).toString('hex');
    const dir = join(this.runsDir, id);
    mkdirSync(dir, { recursive: true });
    const logPath = join(dir, 'log.jsonl');
    const createdAt = new Date().toISOString();
    const versions = { ...runtimeVersions(this.sqliteVersion), ...(opts.versions ?? {}) };
    const header: HeaderRecord = {
      type: 'header',
      id,
      kind: opts.kind,
      name: opts.name ?? null,
      config: opts.config ?? null,
      seed: opts.seed ?? null,
      gitSha: gitSha(),
      versions,
      createdAt,
    };
    const headerLine = Buffer.from(serializeRecord(header), 'utf8');
    const fd = openSync(logPath, 'a');
    try {
      writeSync(fd, headerLine);
      this.db
        .prepare(`INSERT INTO runs (id, kind, name, status, config, seed, git_sha, versions, created_at, log_path,
          pid, pid_start, host) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(id, header.kind, header.name, JSON.stringify(header.config), header.seed, header.gitSha,
          JSON.stringify(versions), createdAt, relative(this.home, logPath), process.pid,
          processStartTime(process.pid), thisHost);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return new RunWriter(id, dir, logPath, fd, headerLine.length, this.db, this.index);
  }

  listRuns(opts: ListRunsOptions = {}): RunInfo[] {
    const { where, params } = this.filterSql(opts);
    const col = SORT_COLUMNS[opts.sort ?? 'createdAt'];
    if (!col) throw new RunStoreError(`cannot sort runs by "${opts.sort}"; use one of ${Object.keys(SORT_COLUMNS).join(', ')}`);
    const order = opts.order === 'asc' ? 'ASC' : 'DESC';
    const limit = Math.max(0, Math.min(opts.limit ?? 1000, 100_000));
    const offset = Math.max(0, opts.offset ?? 0);
    const rows = this.db
      .prepare<RunRow>(`SELECT * FROM runs ${where} ORDER BY ${col} ${order}, created_at ${order}, id LIMIT ? OFFSET ?`)
      .all(...params, limit, offset);
    return rows.map((r) => this.toInfo(r));
  }

  countRuns(opts: Omit<ListRunsOptions, 'sort' | 'order' | 'limit' | 'offset'> = {}): number {
    const { where, params } = this.filterSql(opts);
    return this.db.prepare<{ n: number }>(`SELECT COUNT(*) AS n FROM runs ${where}`).get(...params)?.n ?? 0;
  }

  /** A run by id, unique id prefix, or exact name (newest); null when nothing matches. */
  getRun(query: string): RunInfo | null {
    const row = this.findRow(query);
    return row ? this.toInfo(row) : null;
  }

  /** Like getRun, but throws RunNotFoundError. */
  requireRun(query: string): RunInfo {
    const run = this.getRun(query);
    if (!run) throw new RunNotFoundError(query);
    return run;
  }

  /** Delete a run's row, index and folder. A run still being written needs `force`. */
  deleteRun(query: string, opts: { force?: boolean } = {}): RunInfo {
    const row = this.findRow(query);
    if (!row) throw new RunNotFoundError(query);
    if (row.status === 'running' && !opts.force && row.pid !== null && row.host === thisHost && writerAlive(row.pid, row.pid_start)) {
      throw new RunStoreError(`run ${row.id} is still being written by process ${row.pid}; stop it first or pass --force`);
    }
    const info = this.toInfo(row);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM record_index WHERE run_id = ?').run(row.id);
      this.db.prepare('DELETE FROM index_state WHERE run_id = ?').run(row.id);
      this.db.prepare('DELETE FROM runs WHERE id = ?').run(row.id);
    })();
    const dir = join(this.runsDir, row.id);
    if (this.inside(this.runsDir, dir) && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    return info;
  }

  /** A page of a run's records, read from its log through the sparse index (never the whole file). */
  readRecords(query: string, opts: ReadRecordsOptions = {}): RecordPage {
    const run = this.requireRun(query);
    const offset = Math.max(0, Math.floor(opts.offset ?? 0));
    const limit = Math.max(0, Math.min(Math.floor(opts.limit ?? 50), MAX_PAGE));
    if (!existsSync(run.logPath)) return { offset, limit, total: 0, records: [] };
    return this.index.page(run.id, run.logPath, opts.type ?? '', offset, limit);
  }

  /** Records of `type` (all records when omitted) in a run's log so far. */
  countRecords(query: string, type?: string): number {
    const run = this.requireRun(query);
    if (!existsSync(run.logPath)) return 0;
    return this.index.extend(run.id, run.logPath).counts[type ?? ''] ?? 0;
  }

  /** Records per type, e.g. {'': 120, sample: 100, step: 20}. */
  recordCounts(query: string): Record<string, number> {
    const run = this.requireRun(query);
    if (!existsSync(run.logPath)) return {};
    return { ...this.index.extend(run.id, run.logPath).counts };
  }

  /** The header line of a run's log. */
  readHeader(query: string): HeaderRecord | null {
    const run = this.requireRun(query);
    if (!existsSync(run.logPath)) return null;
    for (const line of scanLines(run.logPath, 0)) {
      return lineType(line.text) === 'header' ? (parseLine(run.logPath, line) as HeaderRecord) : null;
    }
    return null;
  }

  /** Stream every record of `type` in order, one parsed line at a time (for curves over all steps). */
  *scanRecords(query: string, type?: string): Generator<RunRecord> {
    const run = this.requireRun(query);
    if (!existsSync(run.logPath)) return;
    for (const line of scanLines(run.logPath, 0)) {
      const t = lineType(line.text);
      if (t === 'header' || (type !== undefined && t !== type)) continue;
      yield parseLine(run.logPath, line) as RunRecord;
    }
  }

  /**
   * Mark runs failed whose writer process on this host is gone (killed, crashed). Everything they wrote
   * stays readable; the record count is brought up to date. Returns the ids it changed.
   */
  reconcile(): string[] {
    const running = this.db.prepare<RunRow>("SELECT * FROM runs WHERE status = 'running'").all();
    const changed: string[] = [];
    for (const row of running) {
      if (row.host !== thisHost || row.pid === null || writerAlive(row.pid, row.pid_start)) continue;
      const logPath = this.absolute(row.log_path);
      const records = existsSync(logPath) ? (this.index.extend(row.id, logPath).counts[''] ?? 0) : 0;
      const res = this.db
        .prepare(`UPDATE runs SET status = 'failed', finished_at = ?, records = ?, error = ? WHERE id = ? AND status = 'running'`)
        .run(new Date().toISOString(), records, `the writing process (pid ${row.pid}) died before finishing; ${records} records were kept`, row.id);
      if (res.changes > 0) changed.push(row.id);
    }
    return changed;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private filterSql(opts: ListRunsOptions): { where: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (opts.kind) {
      clauses.push('kind = ?');
      params.push(opts.kind);
    }
    if (opts.status) {
      clauses.push('status = ?');
      params.push(opts.status);
    }
    if (opts.text) {
      clauses.push("(id LIKE ? ESCAPE '\\' OR IFNULL(name, '') LIKE ? ESCAPE '\\' OR kind LIKE ? ESCAPE '\\')");
      const like = `%${escapeLike(opts.text)}%`;
      params.push(like, like, like);
    }
    return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  private findRow(query: string): RunRow | undefined {
    if (typeof query !== 'string' || query.length === 0) return undefined;
    const exact = this.db.prepare<RunRow>('SELECT * FROM runs WHERE id = ?').get(query);
    if (exact) return exact;
    if (ID_PATTERN.test(query)) {
      const byPrefix = this.db.prepare<RunRow>("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 6").all(`${escapeLike(query)}%`);
      if (byPrefix.length === 1) return byPrefix[0];
      if (byPrefix.length > 1) {
        throw new RunStoreError(`"${query}" matches several runs (${byPrefix.map((r) => r.id).join(', ')}${byPrefix.length > 5 ? ', ...' : ''}); type more of the id`);
      }
    }
    return this.db.prepare<RunRow>('SELECT * FROM runs WHERE name = ? ORDER BY created_at DESC LIMIT 1').get(query);
  }

  private toInfo(r: RunRow): RunInfo {
    return {
      id: r.id,
      kind: r.kind,
      name: r.name,
      status: r.status,
      config: JSON.parse(r.config) as unknown,
      seed: r.seed,
      gitSha: r.git_sha,
      versions: JSON.parse(r.versions) as Record<string, string>,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      summary: r.summary === null ? null : (JSON.parse(r.summary) as Record<string, unknown>),
      artifacts: JSON.parse(r.artifacts) as Record<string, string>,
      logPath: this.absolute(r.log_path),
      error: r.error,
      records: r.records,
    };
  }

  private absolute(p: string): string {
    return isAbsolute(p) ? p : join(this.home, p);
  }

  private inside(parent: string, child: string): boolean {
    const rel = relative(parent, child);
    return rel.length > 0 && !rel.startsWith('..') && !isAbsolute(rel) && !rel.includes(`..${sep}`);
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Open (creating if needed) the store under `home` (default GLASSBOX_HOME or ~/.glassbox); reconciles crashed runs. */
export function openStore(home?: string): RunStore {
  const store = new RunStore(resolve(home ?? defaultHome()));
  store.reconcile();
  return store;
}
