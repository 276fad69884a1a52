// JSONL log primitives: serialise a record as one whole line, and scan complete lines of a log from a
// byte offset in fixed-size chunks (never the whole file). A trailing line without '\n' is a write in
// progress (or torn by a crash) and is never yielded.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK_BYTES = 1 << 16;

/** One record as one line: `type` first (so scanners can read it without parsing), '\n' last. */
export function serializeRecord(record: { type: string } & Record<string, unknown>): string {
  if (typeof record.type !== 'string' || record.type.length === 0) {
    throw new Error(`run record needs a non-empty string "type", got ${JSON.stringify(record.type)}`);
  }
  // `type` is created first so it stays first when the spread assigns it again.
  const ordered: Record<string, unknown> = { type: record.type };
  Object.assign(ordered, record);
  const json = JSON.stringify(ordered, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  // JSON.stringify never emits a raw newline inside a string, so the line is whole by construction.
  return json + '\n';
}

const TYPE_PREFIX = '{"type":"';

/** The `type` of a JSONL line: read from the prefix our writer emits, else by parsing the line. */
export function lineType(line: string): string {
  if (line.startsWith(TYPE_PREFIX)) {
    const end = line.indexOf('"', TYPE_PREFIX.length);
    const t = line.slice(TYPE_PREFIX.length, end);
    if (end > 0 && !t.includes('\\')) return t;
  }
  try {
    const v = JSON.parse(line) as { type?: unknown };
    return typeof v?.type === 'string' ? v.type : '';
  } catch {
    return '';
  }
}

export interface ScannedLine {
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just past its '\n'. */
  end: number;
  /** The line without its '\n'. */
  text: string;
}

/**
 * Complete lines of `file` starting at byte `from` (which must be a line start), up to the file's size
 * when the scan began. Memory: one chunk plus the longest line.
 */
export function* scanLines(file: string, from = 0): Generator<ScannedLine> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let pos = from; // file offset of chunk[0] ... of the carried bytes below
    let carry: Buffer | null = null; // bytes of an unfinished line from the previous chunk
    let carryStart = from;
    while (pos < size) {
      const n = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, size - pos), pos);
      if (n <= 0) break;
      let lineStartInChunk = 0;
      let nl = chunk.indexOf(10, 0);
      while (nl !== -1 && nl < n) {
        let text: string;
        let start: number;
        if (carry) {
          text = Buffer.concat([carry, chunk.subarray(0, nl)]).toString('utf8');
          start = carryStart;
          carry = null;
        } else {
          text = chunk.toString('utf8', lineStartInChunk, nl);
          start = pos + lineStartInChunk;
        }
        yield { start, end: pos + nl + 1, text };
        lineStartInChunk = nl + 1;
        nl = chunk.indexOf(10, lineStartInChunk);
      }
      if (lineStartInChunk < n) {
        const rest = Buffer.from(chunk.subarray(lineStartInChunk, n));
        if (carry) carry = Buffer.concat([carry, rest]);
        else {
          carry = rest;
          carryStart = pos + lineStartInChunk;
        }
      }
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Parse one log line, naming the file and byte offset when it is not JSON. */
export function parseLine(file: string, line: ScannedLine): Record<string, unknown> {
  try {
    return JSON.parse(line.text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`run log ${file}: line at byte ${line.start} is not valid JSON (${(e as Error).message})`);
  }
}
