// Public API of the runs layer: the SQLite run store, run writers and the record types of JSONL logs.
export { openStore, defaultHome, RunStore } from './store.js';
export type { CreateRunOptions, ListRunsOptions, RunSortKey } from './store.js';
export { RunWriter } from './writer.js';
export type { FinalStatus } from './writer.js';
export { RunStoreError, RunNotFoundError } from './errors.js';
export { serializeRecord, scanLines, lineType } from './jsonl.js';
export type {
  RunRecord,
  HeaderRecord,
  SampleRecord,
  StepRecord,
  ReliabilityBin,
  MetricValue,
  CalibrationSummary,
  ReadRecordsOptions,
  RecordPage,
} from './records.js';
export type { RunInfo, RunStatus } from './types.js';
