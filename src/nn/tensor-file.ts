/**
 * F32 tensor files for checkpoints and adapters, in the safetensors layout (u64 LE header length, JSON
 * header, raw little-endian data), so any safetensors reader opens them. nn sits below src/models, so it
 * cannot use the models layer's full reader/writer; this is the small f32-only subset training needs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface F32Entry { shape: readonly number[]; data: Float32Array }

/** A writer with the shape of models' `writeSafetensors` (pass that one in where the caller can import it). */
export type TensorFileWriter = (file: string, tensors: Record<string, { dtype: 'F32'; shape: readonly number[]; data: Float32Array }>, metadata?: Record<string, string>) => void;

if (os.endianness() !== 'LE') throw new Error('tensor-file: big-endian hosts are not supported');

function count(shape: readonly number[]): number { let n = 1; for (const d of shape) n *= d; return n; }

/** Writes the tensors (sorted by name) to `file` and fsyncs it. Not atomic by itself: callers write into a temp dir. */
export function writeF32Tensors(file: string, tensors: Record<string, F32Entry>, metadata?: Record<string, string>): void {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let pos = 0;
  for (const name of names) {
    const t = tensors[name];
    const n = count(t.shape);
    if (t.data.length !== n) throw new Error(`writeF32Tensors ${file}: tensor '${name}' has shape [${t.shape}] (${n} elements) but ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [pos, pos + 4 * n] };
    pos += 4 * n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const hb = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  const fd = fs.openSync(file, 'w');
  try {
    writeAll(fd, len); writeAll(fd, hb);
    for (const name of names) { const d = tensors[name].data; writeAll(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength)); }
    fs.fsyncSync(fd);
  } finally { fs.closeSync(fd); }
}

function writeAll(fd: number, b: Uint8Array): void {
  let done = 0;
  while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done);
}

/** Reads every tensor of an F32 safetensors file (as written above, or by PyTorch with F32 tensors). */
export function readF32Tensors(file: string): { tensors: Map<string, F32Entry>; metadata: Record<string, string> } {
  const buf = fs.readFileSync(file);
  if (buf.length < 8) throw new Error(`readF32Tensors ${file}: file is ${buf.length} bytes, too short for a header`);
  const hlen = Number(buf.readBigUInt64LE(0));
  if (8 + hlen > buf.length) throw new Error(`readF32Tensors ${file}: header length ${hlen} runs past the end of the file (${buf.length} bytes)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try { header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8')); } catch (e) { throw new Error(`readF32Tensors ${file}: header is not JSON (${(e as Error).message})`); }
  const dataStart = 8 + hlen;
  const tensors = new Map<string, F32Entry>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') { metadata = info as unknown as Record<string, string>; continue; }
    if (info.dtype !== 'F32') throw new Error(`readF32Tensors ${file}: tensor '${name}' has dtype ${info.dtype}; only F32 is supported here`);
    const [b, e] = info.data_offsets;
    const n = count(info.shape);
    if (e - b !== 4 * n || dataStart + e > buf.length) throw new Error(`readF32Tensors ${file}: tensor '${name}' offsets [${b}, ${e}] do not fit shape [${info.shape}] or the file`);
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(buf.subarray(dataStart + b, dataStart + e));
    tensors.set(name, { shape: info.shape, data });
  }
  return { tensors, metadata };
}

/** Adapts `writeF32Tensors` to the `TensorFileWriter` shape. */
export const defaultTensorWriter: TensorFileWriter = (file, tensors, metadata) => {
  const plain: Record<string, F32Entry> = {};
  for (const [k, v] of Object.entries(tensors)) plain[k] = { shape: v.shape, data: v.data };
  writeF32Tensors(file, plain, metadata);
};

/** fsync a directory (so a rename inside it is durable); ignored where the platform refuses. */
export function fsyncDir(dir: string): void {
  try { const fd = fs.openSync(dir, 'r'); try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); } } catch { /* not supported */ }
}

