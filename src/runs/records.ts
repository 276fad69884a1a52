// Shapes of the records in a run's JSONL log and of the summaries the lab knows how to draw.
// Writers may add fields; readers must tolerate unknown fields and record types.

/** Any log record: a JSON object with a string `type`. */
export interface RunRecord {
  type: string;
  [field: string]: unknown;
}

/** First line of every log. */
export interface HeaderRecord extends RunRecord {
  type: 'header';
  id: string;
  kind: string;
  name: string | null;
  config: unknown;
  seed: number | null;
  gitSha: string | null;
  versions: Record<string, string>;
  createdAt: string;
}

/** One evaluated calibration sample. */
export interface SampleRecord extends RunRecord {
  type: 'sample';
  index: number;
  question: string;
  completion: string;
  answer: string | null;
  confidence: number;
  correct: boolean | number;
  gold?: unknown;
}

/** One optimisation step of a training run. */
export interface StepRecord extends RunRecord {
  type: 'step';
  step: number;
  loss: number;
  reward?: number;
}

/** One bin of a reliability diagram: confidences in [lo, hi), n samples, mean confidence and accuracy. */
export interface ReliabilityBin {
  bin: number;
  lo: number;
  hi: number;
  n: number;
  conf: number | null;
  acc: number | null;
}

/** A metric is a number, or a number with a confidence interval. */
export type MetricValue = number | null | { value: number | null; lo?: number | null; hi?: number | null };

/** The summary of a calibration run, as the dashboard reads it. */
export interface CalibrationSummary {
  metrics: Record<string, MetricValue>;
  reliability: ReliabilityBin[];
  /** Confidence histogram: bins with counts (the reliability bins' n when absent). */
  histogram?: { lo: number; hi: number; n: number }[] | { edges: number[]; counts: number[] };
  /** Accuracy vs number of samples N for each voting rule (arrays the length of N). */
  scaling?: { N: number[]; majority: number[]; weighted: number[]; [rule: string]: number[] | number };
  [field: string]: unknown;
}

export interface ReadRecordsOptions {
  /** Index of the first record returned among records of `type` (all records when no type). */
  offset?: number;
  /** At most this many records (default 50, at most 10,000). */
  limit?: number;
  /** Only records with this `type`. */
  type?: string;
}

export interface RecordPage {
  offset: number;
  limit: number;
  /** Records of `type` (or all) in the log so far. */
  total: number;
  records: RunRecord[];
}
