// Packed training rows and mixture batches for pretraining: documents are tokenized, joined with EOS and
// cut into rows of seqLen + 1 tokens (the last row right-padded, its padding masked out of the loss); each
// batch takes a fixed number of rows from every stream (prose, facts), each stream cycling through its own
// seeded per-epoch permutation, so batch i is a pure function of (seed, i).
import { makeRng } from '../data/index.js';

export interface PackedRows {
  /** Row-major token ids, rows × (seqLen + 1). */
  ids: Int32Array;
  /** Real tokens per row (seqLen + 1 except maybe the last row, which is padded after them). */
  lengths: Int32Array;
  rows: number;
  rowLen: number;
  /** Real tokens packed (documents plus separators). */
  tokens: number;
}

/**
 * Packs token sequences into rows of `seqLen + 1` (inputs = row[:-1], targets = row[1:]): each document is
 * followed by `eosId`; the stream is cut without regard to document boundaries, as GPT pretraining does.
 */
export function packRows(docs: Iterable<readonly number[]>, seqLen: number, eosId: number, padId: number): PackedRows {
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new Error(`packRows: seqLen must be a positive integer, got ${seqLen}`);
  const rowLen = seqLen + 1;
  const chunks: Int32Array[] = [];
  let cur = new Int32Array(1 << 16), n = 0, tokens = 0;
  const push = (t: number) => {
    if (n === cur.length) { chunks.push(cur); cur = new Int32Array(1 << 16); n = 0; }
    cur[n++] = t;
    tokens++;
  };
  for (const d of docs) {
    if (d.length === 0) continue;
    for (const t of d) push(t);
    push(eosId);
  }
  if (tokens < 2) throw new Error(`packRows: the documents hold ${tokens} token(s); at least 2 are needed for one training pair (empty dataset?)`);
  const rows = Math.ceil(tokens / rowLen);
  const ids = new Int32Array(rows * rowLen).fill(padId);
  let off = 0;
  for (const c of chunks) { ids.set(c, off); off += c.length; }
  ids.set(cur.subarray(0, n), off);
  const lengths = new Int32Array(rows).fill(rowLen);
  lengths[rows - 1] = tokens - (rows - 1) * rowLen;
  if (lengths[rows - 1] < 2 && rows > 1) {
    // a lone trailing token cannot form a pair: drop that row
    return { ids: ids.subarray(0, (rows - 1) * rowLen), lengths: lengths.subarray(0, rows - 1), rows: rows - 1, rowLen, tokens: tokens - lengths[rows - 1] };
  }
  return { ids, lengths, rows, rowLen, tokens };
}

export interface MixtureStream {
  name: string;
  rows: PackedRows;
  /** Rows of this stream in every batch. */
  perBatch: number;
}

/** One training batch: rows as token arrays (padding already cut off), and how many came from each stream. */
export interface MixtureBatch {
  rows: number[][];
  index: number;
}

/** Which row of a stream is the k-th drawn: epoch = k div rows, a fresh seeded permutation per epoch. */
export class RowCycler {
  private epoch = -1;
  private perm: number[] = [];
  constructor(private readonly seed: number, private readonly label: string, private readonly rows: number) {
    if (rows < 1) throw new Error(`RowCycler(${label}): no rows to draw from`);
  }
  row(k: number): number {
    const epoch = Math.floor(k / this.rows);
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.perm = makeRng(this.seed).fork(`${this.label}/epoch${epoch}`).shuffle(Array.from({ length: this.rows }, (_, i) => i));
    }
    return this.perm[k % this.rows]!;
  }
}

/** Batch `index` of a mixture: for each stream, rows index·perBatch … index·perBatch + perBatch − 1 of its cycle. */
export class Mixture {
  private readonly cyclers: RowCycler[];
  constructor(readonly streams: MixtureStream[], seed: number) {
    if (streams.length === 0 || streams.every((s) => s.perBatch === 0)) throw new Error('Mixture: no rows per batch');
    this.cyclers = streams.map((s) => new RowCycler(seed, s.name, s.rows.rows));
  }
  get batchSize(): number { return this.streams.reduce((a, s) => a + s.perBatch, 0); }
  /** Times each stream's rows have been gone through after `batches` batches. */
  epochs(batches: number): Record<string, number> {
    return Object.fromEntries(this.streams.map((s) => [s.name, (batches * s.perBatch) / s.rows.rows]));
  }
  batch(index: number): MixtureBatch {
    const rows: number[][] = [];
    this.streams.forEach((s, si) => {
      for (let j = 0; j < s.perBatch; j++) {
        const r = this.cyclers[si]!.row(index * s.perBatch + j);
        const start = r * s.rows.rowLen;
        rows.push(Array.from(s.rows.ids.subarray(start, start + s.rows.lengths[r]!)));
      }
    });
    return { rows, index };
  }
}

/** Token counts over the vocabulary (for the unigram baseline). */
export function tokenCounts(rows: PackedRows[], vocabSize: number): Float64Array {
  const counts = new Float64Array(vocabSize);
  for (const r of rows) {
    for (let i = 0; i < r.rows; i++) {
      const start = i * r.rowLen, len = r.lengths[i]!;
      for (let j = 0; j < len; j++) {
        const t = r.ids[start + j]!;
        if (t < 0 || t >= vocabSize) throw new Error(`tokenCounts: token id ${t} is outside the vocabulary of ${vocabSize}`);
        counts[t]++;
      }
    }
  }
  return counts;
}
