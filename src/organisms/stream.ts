// Packed training rows and mixture batches for pretraining: documents are tokenized, joined with EOS and
// cut into rows of seqLen + 1 tokens (the last row right-padded, its padding masked out of the loss); each
// batch takes a fixed number of rows from every stream (prose, facts), each stream cycling through its own
// seeded per-epoch permutation; an optional final phase changes those numbers (a fact-heavy end), so batch i
// is a pure function of (seed, i, the batch the final phase began at).
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
  /** Rows per batch once the final phase has begun (default: perBatch). */
  finalPerBatch?: number;
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

/**
 * Batch `index` of a mixture: for each stream, the next perBatch rows of its cycle (finalPerBatch once the
 * final phase has begun). The final phase begins at the first batch asked for with `final` true and lasts to
 * the end; batches must then be asked for in order around that point (it is recorded in `finalFrom`).
 */
export class Mixture {
  private readonly cyclers: RowCycler[];
  /** First batch of the final phase (null while it has not begun). */
  finalFrom: number | null = null;
  constructor(readonly streams: MixtureStream[], seed: number, finalFrom: number | null = null) {
    const rowsIn = (pick: (s: MixtureStream) => number) => streams.reduce((a, s) => a + pick(s), 0);
    if (streams.length === 0 || rowsIn((s) => s.perBatch) === 0) throw new Error('Mixture: no rows per batch');
    for (const s of streams) {
      if (!Number.isInteger(s.perBatch) || s.perBatch < 0) throw new Error(`Mixture: stream ${s.name} perBatch must be a non-negative integer, got ${s.perBatch}`);
      if (s.finalPerBatch !== undefined && (!Number.isInteger(s.finalPerBatch) || s.finalPerBatch < 0)) throw new Error(`Mixture: stream ${s.name} finalPerBatch must be a non-negative integer, got ${s.finalPerBatch}`);
    }
    if (rowsIn((s) => s.finalPerBatch ?? s.perBatch) === 0) throw new Error('Mixture: no rows per batch in the final phase');
    this.cyclers = streams.map((s) => new RowCycler(seed, s.name, s.rows.rows));
    if (finalFrom !== null) this.startFinal(finalFrom);
  }
  get batchSize(): number { return this.streams.reduce((a, s) => a + s.perBatch, 0); }
  /** Begins the final phase at batch `index` (once). */
  startFinal(index: number): void {
    if (!Number.isInteger(index) || index < 0) throw new Error(`Mixture.startFinal: batch index must be a non-negative integer, got ${index}`);
    if (this.finalFrom !== null && this.finalFrom !== index) throw new Error(`Mixture.startFinal: the final phase already began at batch ${this.finalFrom}, not ${index}`);
    this.finalFrom = index;
  }
  /** Rows of stream `si` drawn before batch `index`. */
  private drawn(si: number, index: number): number {
    const s = this.streams[si]!;
    const f = this.finalFrom;
    if (f === null || index <= f) return index * s.perBatch;
    return f * s.perBatch + (index - f) * (s.finalPerBatch ?? s.perBatch);
  }
  /** Times each stream's rows have been gone through after `batches` batches. */
  epochs(batches: number): Record<string, number> {
    return Object.fromEntries(this.streams.map((s, si) => [s.name, this.drawn(si, batches) / s.rows.rows]));
  }
  batch(index: number, final = false): MixtureBatch {
    if (final && this.finalFrom === null) this.startFinal(index);
    const inFinal = this.finalFrom !== null && index >= this.finalFrom;
    if (final !== inFinal) throw new Error(`Mixture.batch: batch ${index} asked for ${final ? 'in' : 'before'} the final phase, which begins at batch ${this.finalFrom}`);
    const rows: number[][] = [];
    this.streams.forEach((s, si) => {
      const n = inFinal ? (s.finalPerBatch ?? s.perBatch) : s.perBatch;
      const k0 = this.drawn(si, index);
      for (let j = 0; j < n; j++) {
        const r = this.cyclers[si]!.row(k0 + j);
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
