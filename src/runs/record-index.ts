// The sparse record index: for each record type (and '' for all records) the byte offset of every
// CHECKPOINT_EVERY-th record, kept in SQLite and extended incrementally from where it last stopped.
// Paging seeks to the nearest checkpoint and scans at most CHECKPOINT_EVERY lines of that type.
import type Database from 'better-sqlite3';
import { lineType, parseLine, scanLines } from './jsonl.js';
import type { RecordPage, RunRecord } from './records.js';
import { CHECKPOINT_EVERY } from './schema.js';

export interface IndexState {
  /** Log bytes covered (a line end). */
  bytes: number;
  /** Records per type so far; '' counts all non-header records. */
  counts: Record<string, number>;
}

export interface Checkpoint {
  type: string;
  n: number;
  offset: number;
}

/** Counts a stream of records and emits the checkpoints they cross; shared by writer and reader. */
export class IndexBuilder {
  readonly pending: Checkpoint[] = [];
  constructor(public state: IndexState) {}

  add(type: string, start: number, end: number): void {
    if (type === 'header') {
      this.state.bytes = end;
      return;
    }
    for (const t of type === '' ? [''] : ['', type]) {
      const n = this.state.counts[t] ?? 0;
      if (n % CHECKPOINT_EVERY === 0) this.pending.push({ type: t, n, offset: start });
      this.state.counts[t] = n + 1;
    }
    this.state.bytes = end;
  }
}

export class RecordIndex {
  private readonly getState: Database.Statement<{ bytes: number; counts: string }>;
  private readonly putState: Database.Statement;
  private readonly putCheckpoint: Database.Statement;
  private readonly nearest: Database.Statement<{ n: number; offset: number }>;
  private readonly putRecords: Database.Statement;
  readonly flush: (runId: string, builder: IndexBuilder) => void;

  constructor(private readonly db: Database.Database) {
    this.getState = db.prepare('SELECT bytes, counts FROM index_state WHERE run_id = ?');
    // The index only ever moves forward: two processes extending it compute identical checkpoints.
    this.putState = db.prepare(`INSERT INTO index_state (run_id, bytes, counts) VALUES (?, ?, ?)
      ON CONFLICT (run_id) DO UPDATE SET bytes = excluded.bytes, counts = excluded.counts
      WHERE excluded.bytes > index_state.bytes`);
    this.putCheckpoint = db.prepare('INSERT OR IGNORE INTO record_index (run_id, type, n, offset) VALUES (?, ?, ?, ?)');
    this.nearest = db.prepare(`SELECT n, offset FROM record_index WHERE run_id = ? AND type = ? AND n <= ?
      ORDER BY n DESC LIMIT 1`);
    this.putRecords = db.prepare('UPDATE runs SET records = ? WHERE id = ? AND records < ?');
    this.flush = db.transaction((runId: string, builder: IndexBuilder) => {
      for (const c of builder.pending) this.putCheckpoint.run(runId, c.type, c.n, c.offset);
      builder.pending.length = 0;
      const records = builder.state.counts[''] ?? 0;
      this.putState.run(runId, builder.state.bytes, JSON.stringify(builder.state.counts));
      this.putRecords.run(records, runId, records);
    });
  }

  state(runId: string): IndexState {
    const row = this.getState.get(runId);
    return row ? { bytes: row.bytes, counts: JSON.parse(row.counts) as Record<string, number> } : { bytes: 0, counts: {} };
  }

  /** Index every complete line appended to `logPath` since the last extension; returns the new state. */
  extend(runId: string, logPath: string): IndexState {
    const builder = new IndexBuilder(this.state(runId));
    const start = builder.state.bytes;
    let sinceFlush = 0;
    for (const line of scanLines(logPath, builder.state.bytes)) {
      builder.add(lineType(line.text), line.start, line.end);
      if (++sinceFlush >= 50_000) {
        this.flush(runId, builder);
        sinceFlush = 0;
      }
    }
    // Nothing new: stay a pure reader (no write transaction competing with the run's writer).
    if (builder.pending.length > 0 || builder.state.bytes !== start) this.flush(runId, builder);
    return builder.state;
  }

  /** One page of records of `type` ('' = all), located through the nearest checkpoint. */
  page(runId: string, logPath: string, type: string, offset: number, limit: number): RecordPage {
    const state = this.extend(runId, logPath);
    const total = state.counts[type] ?? 0;
    const records: RunRecord[] = [];
    if (offset < total && limit > 0) {
      const cp = this.nearest.get(runId, type, offset);
      let n = cp ? cp.n : 0;
      const from = cp ? cp.offset : 0;
      for (const line of scanLines(logPath, from)) {
        if (line.start >= state.bytes) break;
        const t = lineType(line.text);
        if (t === 'header' || (type !== '' && t !== type)) continue;
        if (n >= offset) records.push(parseLine(logPath, line) as RunRecord);
        n++;
        if (records.length >= limit) break;
      }
    }
    return { offset, limit, total, records };
  }
}
