// JSONL files: streaming reads with line numbers in every error, atomic writes, and readDataset, which reads
// and validates an evaluation dataset against EvalItemSchema (errors name file:line and the field).
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { describeIssues, EvalItemSchema, type DatasetItem } from './schema.js';

export interface JsonlRecord {
  value: unknown;
  /** 1-based line number in the file. */
  line: number;
}

/** Streams the JSON values of a JSONL file, skipping blank lines; malformed JSON throws "file:line: ...". */
export async function* readJsonl(path: string): AsyncGenerator<JsonlRecord> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (let text of lines) {
      line++;
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new Error(`${path}:${line}: malformed JSON: ${(e as Error).message}`);
      }
      yield { value, line };
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`${path}: no such file`);
    throw e;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Reads every record of a JSONL file and validates each against `schema`; errors name file:line and the fields. */
export async function readJsonlWith<S extends z.ZodType>(path: string, schema: S): Promise<Array<{ value: z.infer<S>; line: number }>> {
  const out: Array<{ value: z.infer<S>; line: number }> = [];
  for await (const { value, line } of readJsonl(path)) {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new Error(`${path}:${line}: ${describeIssues(parsed.error)}`);
    out.push({ value: parsed.data, line });
  }
  return out;
}

/** An evaluation dataset: {question, answer, context?, paragraphs?, choices?, ...extra} per line; ids default to the line number. */
export async function readDataset(path: string): Promise<DatasetItem[]> {
  const records = await readJsonlWith(path, EvalItemSchema);
  if (records.length === 0) throw new Error(`${path}: dataset is empty (no JSON lines)`);
  const seen = new Map<string, number>();
  return records.map(({ value, line }) => {
    const id = value.id === undefined ? String(line) : String(value.id);
    const before = seen.get(id);
    if (before !== undefined) throw new Error(`${path}:${line}: duplicate id "${id}" (first on line ${before})`);
    seen.set(id, line);
    return { ...value, id };
  });
}

/** Writes values as JSONL atomically (to a temporary file, then renamed over `path`). */
export async function writeJsonl(path: string, values: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const file = await open(tmp, 'w');
  let count = 0;
  try {
    let buffer = '';
    for await (const v of values as AsyncIterable<unknown>) {
      const text = JSON.stringify(v);
      if (text === undefined) throw new Error(`writeJsonl ${path}: item ${count} is not JSON-serialisable`);
      buffer += text + '\n';
      count++;
      if (buffer.length > 1 << 20) { await file.write(buffer); buffer = ''; }
    }
    if (buffer !== '') await file.write(buffer);
    await file.sync();
  } catch (e) {
    await file.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await file.close();
  await rename(tmp, path);
  return count;
}
