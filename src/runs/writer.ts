// RunWriter: appends one run's records to its JSONL log as whole lines (one write per line, so a reader
// or a crash never sees half a record followed by more data), keeps the record index current, and
// records the summary, artifacts and final status in the store.
import { closeSync, fdatasyncSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { serializeRecord } from './jsonl.js';
import { IndexBuilder, type RecordIndex } from './record-index.js';
import type { RunRecord } from './records.js';
import type Database from 'better-sqlite3';

/** Flush the index and record count to SQLite after this many records or milliseconds. */
const FLUSH_RECORDS = 1000;
const FLUSH_MS = 1000;

export type FinalStatus = 'completed' | 'failed';

const openWriters = new Set<RunWriter>();
let exitHookInstalled = false;

/** On a normal process exit (including an uncaught exception), unfinished runs are marked failed. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', (code) => {
    for (const w of [...openWriters]) {
      try {
        w.finish('failed', `process exited (code ${code}) before the run finished`);
      } catch {
        // the database may already be closed; reconcile() will mark the run failed later
      }
    }
  });
}

function writeAll(fd: number, buf: Buffer): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
}

export class RunWriter {
  private fd: number | null;
  private bytes: number;
  private readonly builder: IndexBuilder;
  private sinceFlush = 0;
  private lastFlush = Date.now();
  private finished = false;

  /** @internal Created by RunStore.createRun. */
  constructor(
    readonly id: string,
    readonly dir: string,
    readonly logPath: string,
    fd: number,
    headerBytes: number,
    private readonly db: Database.Database,
    private readonly index: RecordIndex,
  ) {
    this.fd = fd;
    this.bytes = headerBytes;
    this.builder = new IndexBuilder({ bytes: headerBytes, counts: {} });
    installExitHook();
    openWriters.add(this);
  }

  /** Append one record (a JSON object with a string `type`) as one line of the log. */
  log(record: RunRecord): void {
    if (this.fd === null) throw new Error(`run ${this.id} is finished; cannot log a "${record?.type}" record`);
    const buf = Buffer.from(serializeRecord(record), 'utf8');
    const start = this.bytes;
    writeAll(this.fd, buf);
    this.bytes += buf.length;
    this.builder.add(record.type, start, this.bytes);
    if (++this.sinceFlush >= FLUSH_RECORDS || Date.now() - this.lastFlush >= FLUSH_MS) this.flush();
  }

  /** Make everything logged so far visible to `countRecords`/`listRuns` in other processes. */
  flush(): void {
    this.index.flush(this.id, this.builder);
    this.sinceFlush = 0;
    this.lastFlush = Date.now();
  }

  /** Replace the run's summary (metrics, diagrams' data). */
  setSummary(summary: Record<string, unknown>): void {
    if (summary === null || typeof summary !== 'object' || Array.isArray(summary)) {
      throw new Error(`run ${this.id}: summary must be a JSON object, got ${Array.isArray(summary) ? 'array' : typeof summary}`);
    }
    this.db.prepare('UPDATE runs SET summary = ? WHERE id = ?').run(JSON.stringify(summary), this.id);
  }

  /** Record a file the run produced (stored as an absolute path). */
  addArtifact(name: string, path: string): void {
    const row = this.db.prepare<{ artifacts: string }>('SELECT artifacts FROM runs WHERE id = ?').get(this.id);
    const artifacts = JSON.parse(row?.artifacts ?? '{}') as Record<string, string>;
    artifacts[name] = resolve(path);
    this.db.prepare('UPDATE runs SET artifacts = ? WHERE id = ?').run(JSON.stringify(artifacts), this.id);
  }

  /** Close the log (synced to disk) and set the final status; `error` explains a failure. */
  finish(status: FinalStatus, error?: string | Error): void {
    if (this.finished) throw new Error(`run ${this.id} was already finished`);
    if (status !== 'completed' && status !== 'failed') {
      throw new Error(`run ${this.id}: finish status must be 'completed' or 'failed', got ${JSON.stringify(status)}`);
    }
    this.finished = true;
    openWriters.delete(this);
    if (this.fd !== null) {
      try {
        fdatasyncSync(this.fd);
      } finally {
        closeSync(this.fd);
        this.fd = null;
      }
    }
    this.flush();
    const message = error === undefined ? null : error instanceof Error ? error.message : String(error);
    this.db
      .prepare('UPDATE runs SET status = ?, finished_at = ?, error = ?, records = ? WHERE id = ?')
      .run(status, new Date().toISOString(), message, this.builder.state.counts[''] ?? 0, this.id);
  }

  /** Records logged so far (excluding the header). */
  get records(): number {
    return this.builder.state.counts[''] ?? 0;
  }
}
