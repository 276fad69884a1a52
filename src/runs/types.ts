/**
 * Run store types: every command that produces results writes a run (a row in SQLite under
 * GLASSBOX_HOME plus an append-only JSONL log: one header record, then one record per sample/step).
 * This file holds only the types shared by writers (pillars) and readers (lab).
 */

export type RunStatus = 'running' | 'completed' | 'failed';

export interface RunInfo {
  id: string;
  kind: string; // 'calibrate-eval' | 'train' | 'grpo' | 'diff' | 'tamper' | ...
  name: string | null;
  status: RunStatus;
  config: unknown;
  seed: number | null;
  gitSha: string | null;
  versions: Record<string, string>;
  createdAt: string; // ISO
  finishedAt: string | null;
  summary: Record<string, unknown> | null; // summary metrics
  artifacts: Record<string, string>; // name -> path
  logPath: string;
  error: string | null;
  records: number; // records appended so far (excluding header)
}
