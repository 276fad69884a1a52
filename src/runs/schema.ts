// SQLite schema of the run store: the runs table (one row per run, mirroring RunInfo) and the sparse
// record index (every CHECKPOINT_EVERY-th record of each type -> byte offset in the JSONL log).
import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

/** A record index checkpoint every this many records (per type, and for all records as type ''). */
export const CHECKPOINT_EVERY = 256;

export function migrate(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS runs (
      id          TEXT PRIMARY KEY,
      kind        TEXT NOT NULL,
      name        TEXT,
      status      TEXT NOT NULL CHECK (status IN ('running','completed','failed')),
      config      TEXT NOT NULL,          -- JSON
      seed        INTEGER,
      git_sha     TEXT,
      versions    TEXT NOT NULL,          -- JSON object
      created_at  TEXT NOT NULL,          -- ISO 8601
      finished_at TEXT,
      summary     TEXT,                   -- JSON object or NULL
      artifacts   TEXT NOT NULL DEFAULT '{}',
      log_path    TEXT NOT NULL,
      error       TEXT,
      records     INTEGER NOT NULL DEFAULT 0,
      pid         INTEGER,
      pid_start   TEXT,                   -- the writer's start time (from /proc), guards pid reuse
      host        TEXT
    );
    CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at);
    CREATE INDEX IF NOT EXISTS runs_kind ON runs (kind, created_at);
    CREATE TABLE IF NOT EXISTS record_index (
      run_id  TEXT NOT NULL,
      type    TEXT NOT NULL,              -- '' = all records
      n       INTEGER NOT NULL,           -- 0-based ordinal among records of this type
      offset  INTEGER NOT NULL,           -- byte offset of that record's line
      PRIMARY KEY (run_id, type, n)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS index_state (
      run_id  TEXT PRIMARY KEY,
      bytes   INTEGER NOT NULL,           -- log bytes covered by the index (always a line end)
      counts  TEXT NOT NULL               -- JSON {type: count}, '' = all records
    );
  `);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
