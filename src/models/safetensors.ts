// Our own safetensors reader and writer: a u64 little-endian header length, a JSON header
// ({name: {dtype, shape, data_offsets}}, optional "__metadata__"), then raw little-endian data.
// Everything in the header is validated before any tensor memory is allocated; tensors are read one at a time.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Every dtype the safetensors format defines. */
export const SAFETENSORS_DTYPES = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
} as const;
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPES;

/** Largest header we accept (the reference implementation uses the same 100 MB limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  constructor(message: string, readonly file: string, readonly tensor?: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) byte offsets relative to the start of the data section. */
  dataOffsets: [number, number];
}

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export interface ReadTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** F32/F16/BF16 -> Float32Array (half types decoded), F64 -> Float64Array, integer types -> their typed array,
   *  BOOL/F8_* -> Uint8Array of raw bytes. */
  data: TensorData;
}

export interface SafetensorsFile {
  readonly path: string;
  readonly header: Map<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  readonly dataStart: number;
  read(name: string): ReadTensor;
  /** The tensor's raw little-endian bytes (a fresh buffer). */
  readRaw(name: string): Uint8Array;
  /** Decodes the tensor to f32 into dst[dstOffset ..]; returns the number of elements written. */
  readInto(name: string, dst: Float32Array, dstOffset?: number): number;
  close(): void;
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------
// half-precision codecs

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** bfloat16 bits -> number (exact). */
export function bf16ToF32(bits: number): number {
  u32Scratch[0] = (bits & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** number -> bfloat16 bits, rounding to nearest even (NaN stays a quiet NaN with its sign). */
export function f32ToBf16(x: number): number {
  f32Scratch[0] = x;
  const u = u32Scratch[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return ((u >>> 16) & 0x8000) | 0x7fc0;
  const lsb = (u >>> 16) & 1;
  return ((u + 0x7fff + lsb) >>> 16) & 0xffff;
}

let f16Table: Float32Array | null = null;
function f16DecodeTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24;
    else if (exp === 31) t[h] = mant ? NaN : sign * Infinity;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

/** IEEE float16 bits -> number (exact). */
export function f16ToF32(bits: number): number {
  return f16DecodeTable()[bits & 0xffff]!;
}

/** number -> IEEE float16 bits, rounding to nearest even; overflow gives ±Inf, NaN gives a quiet NaN. */
export function f32ToF16(x: number): number {
  f32Scratch[0] = x;
  const u = u32Scratch[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** Decodes n bf16 values from bytes (little-endian) into dst[dstOffset ..]. */
export function decodeBf16(bytes: Uint8Array, dst: Float32Array, dstOffset = 0): void {
  const n = bytes.length >>> 1;
  const out = new Uint32Array(dst.buffer, dst.byteOffset + dstOffset * 4, n);
  for (let i = 0; i < n; i++) out[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16;
}

/** Decodes n f16 values from bytes (little-endian) into dst[dstOffset ..]. */
export function decodeF16(bytes: Uint8Array, dst: Float32Array, dstOffset = 0): void {
  const t = f16DecodeTable();
  const n = bytes.length >>> 1;
  for (let i = 0; i < n; i++) dst[dstOffset + i] = t[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
}

// ---------------------------------------------------------------------------------------------
// header parsing and validation

function fail(file: string, msg: string, tensor?: string): never {
  throw new SafetensorsError(
    tensor === undefined ? `${file}: ${msg}` : `${file}: tensor "${tensor}": ${msg}`, file, tensor);
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Validates a parsed header against the size of the data section. Exported for tests and for
 * readers of in-memory buffers; `openSafetensors` calls it before reading any tensor.
 */
export function parseSafetensorsHeader(
  file: string, json: unknown, dataBytes: number,
): { header: Map<string, TensorInfo>; metadata: Record<string, string> } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(file, 'header is not a JSON object');
  const header = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(file, '"__metadata__" is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(file, `"__metadata__.${k}" is not a string`);
      }
      metadata = { ...(value as Record<string, string>) };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(file, 'entry is not an object', name);
    const v = value as Record<string, unknown>;
    const dtype = v['dtype'];
    if (typeof dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPES, dtype)) {
      fail(file, `unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`, name);
    }
    const shape = v['shape'];
    if (!Array.isArray(shape)) fail(file, 'shape is not an array', name);
    for (const d of shape) {
      if (!isNonNegInt(d)) fail(file, `shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer`, name);
    }
    const offs = v['data_offsets'];
    if (!Array.isArray(offs) || offs.length !== 2 || !isNonNegInt(offs[0]) || !isNonNegInt(offs[1])) {
      fail(file, `data_offsets ${JSON.stringify(offs)} is not a pair of non-negative integers`, name);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) fail(file, `data_offsets [${begin}, ${end}] end before begin`, name);
    if (end > dataBytes) fail(file, `data_offsets [${begin}, ${end}] run past the data section (${dataBytes} bytes)`, name);
    const elt = SAFETENSORS_DTYPES[dtype as SafetensorsDtype];
    let bytes = elt;
    for (const d of shape as number[]) {
      bytes *= d;
      if (bytes > Number.MAX_SAFE_INTEGER) fail(file, `shape ${JSON.stringify(shape)} is too large`, name);
    }
    if (bytes !== end - begin) {
      fail(file, `shape ${JSON.stringify(shape)} x ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`, name);
    }
    header.set(name, { dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], dataOffsets: [begin, end] });
  }
  // offsets must tile the data section exactly: sorted, contiguous from 0, no overlap, no gap, nothing left over
  const spans = [...header.entries()].sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let pos = 0;
  let prev: string | undefined;
  for (const [name, info] of spans) {
    const [begin, end] = info.dataOffsets;
    if (begin < pos) fail(file, `data_offsets [${begin}, ${end}] overlap tensor "${prev}" (which ends at ${pos})`, name);
    if (begin > pos) fail(file, `data_offsets [${begin}, ${end}] leave a gap after byte ${pos}${prev ? ` (end of "${prev}")` : ''}`, name);
    pos = end;
    prev = name;
  }
  if (pos !== dataBytes) fail(file, `tensors cover ${pos} bytes but the data section holds ${dataBytes} bytes`);
  return { header, metadata };
}

// ---------------------------------------------------------------------------------------------
// reader

function readExact(fd: number, file: string, buf: Uint8Array, position: number, tensor?: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) fail(file, `unexpected end of file at byte ${position + done}`, tensor);
    done += n;
  }
}

/** Bytes decoded per chunk when converting half types (bounded scratch, never a second full copy). */
const CHUNK_BYTES = 1 << 20;

/** Opens and validates a .safetensors file; tensors are read on demand with positioned reads. */
export function openSafetensors(file: string): SafetensorsFile {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new SafetensorsError(`${file}: cannot open: ${(e as Error).message}`, file);
  }
  try {
    return openFd(fd, file);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function openFd(fd: number, file: string): SafetensorsFile {
  const size = fs.fstatSync(fd).size;
  if (size < 8) fail(file, `file is ${size} bytes, shorter than the 8-byte header length`);
  const lenBuf = new Uint8Array(8);
  readExact(fd, file, lenBuf, 0);
  const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  if (8 + headerLen > size) fail(file, `header length ${headerLen} runs past the end of the ${size}-byte file`);
  const hbuf = new Uint8Array(headerLen);
  readExact(fd, file, hbuf, 8);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(hbuf);
  } catch {
    fail(file, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(file, 'header does not start with "{"');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(file, `header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const { header, metadata } = parseSafetensorsHeader(file, json, size - dataStart);
  let closed = false;

  const info = (name: string): TensorInfo => {
    if (closed) fail(file, 'file is closed', name);
    const t = header.get(name);
    if (!t) fail(file, 'no such tensor in this file', name);
    return t;
  };
  const readRaw = (name: string): Uint8Array => {
    const t = info(name);
    const buf = new Uint8Array(t.dataOffsets[1] - t.dataOffsets[0]);
    readExact(fd, file, buf, dataStart + t.dataOffsets[0], name);
    return buf;
  };
  const readInto = (name: string, dst: Float32Array, dstOffset = 0): number => {
    const t = info(name);
    const n = numelOf(t.shape);
    if (!Number.isInteger(dstOffset) || dstOffset < 0 || dstOffset + n > dst.length) {
      fail(file, `destination of length ${dst.length} at offset ${dstOffset} cannot hold ${n} elements (shape ${JSON.stringify(t.shape)})`, name);
    }
    const begin = dataStart + t.dataOffsets[0];
    const elt = SAFETENSORS_DTYPES[t.dtype];
    if (t.dtype === 'F32' && LITTLE_ENDIAN) {
      readExact(fd, file, new Uint8Array(dst.buffer, dst.byteOffset + dstOffset * 4, n * 4), begin, name);
      return n;
    }
    const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / elt));
    const scratch = new Uint8Array(Math.min(n, perChunk) * elt);
    for (let i = 0; i < n; i += perChunk) {
      const m = Math.min(perChunk, n - i);
      const bytes = scratch.subarray(0, m * elt);
      readExact(fd, file, bytes, begin + i * elt, name);
      decodeToF32(t.dtype, bytes, dst, dstOffset + i, file, name);
    }
    return n;
  };
  const read = (name: string): ReadTensor => {
    const t = info(name);
    const shape = [...t.shape];
    if (t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16') {
      const data = new Float32Array(numelOf(t.shape));
      readInto(name, data);
      return { dtype: t.dtype, shape, data };
    }
    const raw = readRaw(name);
    if (!LITTLE_ENDIAN && SAFETENSORS_DTYPES[t.dtype] > 1) fail(file, 'big-endian hosts are not supported', name);
    const b = raw.buffer;
    let data: TensorData;
    switch (t.dtype) {
      case 'F64': data = new Float64Array(b); break;
      case 'I64': data = new BigInt64Array(b); break;
      case 'U64': data = new BigUint64Array(b); break;
      case 'I32': data = new Int32Array(b); break;
      case 'U32': data = new Uint32Array(b); break;
      case 'I16': data = new Int16Array(b); break;
      case 'U16': data = new Uint16Array(b); break;
      case 'I8': data = new Int8Array(b); break;
      default: data = raw; // U8, BOOL, F8_*: raw bytes
    }
    return { dtype: t.dtype, shape, data };
  };
  return {
    path: file,
    header,
    metadata,
    dataStart,
    read,
    readRaw,
    readInto,
    close() {
      if (!closed) {
        closed = true;
        fs.closeSync(fd);
      }
    },
  };
}

function decodeToF32(dtype: SafetensorsDtype, bytes: Uint8Array, dst: Float32Array, at: number, file: string, name: string): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / SAFETENSORS_DTYPES[dtype];
  switch (dtype) {
    case 'F32': for (let i = 0; i < n; i++) dst[at + i] = dv.getFloat32(4 * i, true); return;
    case 'BF16': decodeBf16(bytes, dst, at); return;
    case 'F16': decodeF16(bytes, dst, at); return;
    case 'F64': for (let i = 0; i < n; i++) dst[at + i] = dv.getFloat64(8 * i, true); return;
    case 'I64': for (let i = 0; i < n; i++) dst[at + i] = Number(dv.getBigInt64(8 * i, true)); return;
    case 'U64': for (let i = 0; i < n; i++) dst[at + i] = Number(dv.getBigUint64(8 * i, true)); return;
    case 'I32': for (let i = 0; i < n; i++) dst[at + i] = dv.getInt32(4 * i, true); return;
    case 'U32': for (let i = 0; i < n; i++) dst[at + i] = dv.getUint32(4 * i, true); return;
    case 'I16': for (let i = 0; i < n; i++) dst[at + i] = dv.getInt16(2 * i, true); return;
    case 'U16': for (let i = 0; i < n; i++) dst[at + i] = dv.getUint16(2 * i, true); return;
    case 'I8': for (let i = 0; i < n; i++) dst[at + i] = dv.getInt8(i); return;
    case 'U8': for (let i = 0; i < n; i++) dst[at + i] = bytes[i]!; return;
    case 'BOOL': for (let i = 0; i < n; i++) dst[at + i] = bytes[i] ? 1 : 0; return;
    default: fail(file, `cannot decode dtype ${dtype} to f32`, name);
  }
}

// ---------------------------------------------------------------------------------------------
// writer

export type WritableDtype = 'F32' | 'BF16' | 'F16' | 'I32' | 'I64' | 'U8' | 'BOOL';

export interface TensorToWrite {
  dtype: WritableDtype;
  shape: readonly number[];
  /** F32/BF16/F16: values (encoded with round-to-nearest-even), or Uint16Array holding raw BF16/F16 bits.
   *  I32/U8/BOOL: integers. I64: BigInt64Array or safe integers. */
  data: ArrayLike<number> | BigInt64Array;
}

const WRITE_CHUNK = 1 << 16; // elements encoded per write

function validateForWrite(file: string, name: string, t: TensorToWrite): number {
  if (name === '' || name === '__metadata__') fail(file, 'invalid tensor name', name);
  if (!Object.hasOwn(SAFETENSORS_DTYPES, t.dtype) || !['F32', 'BF16', 'F16', 'I32', 'I64', 'U8', 'BOOL'].includes(t.dtype)) {
    fail(file, `cannot write dtype ${JSON.stringify(t.dtype)}`, name);
  }
  for (const d of t.shape) if (!isNonNegInt(d)) fail(file, `shape ${JSON.stringify(t.shape)} has an invalid dimension`, name);
  const n = numelOf(t.shape);
  if (t.data.length !== n) fail(file, `shape ${JSON.stringify(t.shape)} has ${n} elements but data has ${t.data.length}`, name);
  if (t.data instanceof BigInt64Array && t.dtype !== 'I64') fail(file, `BigInt64Array data needs dtype I64, got ${t.dtype}`, name);
  return n;
}

function encodeChunk(t: TensorToWrite, start: number, end: number, file: string, name: string): Uint8Array {
  const m = end - start;
  const elt = SAFETENSORS_DTYPES[t.dtype];
  const out = new Uint8Array(m * elt);
  const dv = new DataView(out.buffer);
  const src = t.data;
  switch (t.dtype) {
    case 'F32':
      for (let i = 0; i < m; i++) dv.setFloat32(4 * i, (src as ArrayLike<number>)[start + i]!, true);
      break;
    case 'BF16':
    case 'F16': {
      const raw = src instanceof Uint16Array;
      const enc = t.dtype === 'BF16' ? f32ToBf16 : f32ToF16;
      for (let i = 0; i < m; i++) {
        const v = (src as ArrayLike<number>)[start + i]!;
        dv.setUint16(2 * i, raw ? v : enc(v), true);
      }
      break;
    }
    case 'I32':
      for (let i = 0; i < m; i++) {
        const v = (src as ArrayLike<number>)[start + i]!;
        if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) fail(file, `value ${v} at index ${start + i} is not an int32`, name);
        dv.setInt32(4 * i, v, true);
      }
      break;
    case 'I64':
      for (let i = 0; i < m; i++) {
        if (src instanceof BigInt64Array) dv.setBigInt64(8 * i, src[start + i]!, true);
        else {
          const v = (src as ArrayLike<number>)[start + i]!;
          if (!Number.isSafeInteger(v)) fail(file, `value ${v} at index ${start + i} is not a safe integer`, name);
          dv.setBigInt64(8 * i, BigInt(v), true);
        }
      }
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < m; i++) {
        const v = (src as ArrayLike<number>)[start + i]!;
        if (t.dtype === 'BOOL') out[i] = v ? 1 : 0;
        else {
          if (!Number.isInteger(v) || v < 0 || v > 255) fail(file, `value ${v} at index ${start + i} is not a uint8`, name);
          out[i] = v;
        }
      }
      break;
  }
  return out;
}

/** Builds the padded header bytes (tensors in the given order). Returns header bytes and data size. */
function buildHeader(
  file: string, entries: [string, TensorToWrite][], metadata?: Record<string, string>,
): { bytes: Uint8Array; dataBytes: number } {
  const obj: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(file, `metadata "${k}" is not a string`);
    obj['__metadata__'] = metadata;
  }
  let pos = 0;
  for (const [name, t] of entries) {
    const n = validateForWrite(file, name, t);
    const bytes = n * SAFETENSORS_DTYPES[t.dtype];
    obj[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [pos, pos + bytes] };
    pos += bytes;
  }
  let json = JSON.stringify(obj);
  const pad = (8 - ((Buffer.byteLength(json, 'utf8')) % 8)) % 8; // keep the data section 8-byte aligned
  json += ' '.repeat(pad);
  const body = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return { bytes: out, dataBytes: pos };
}

function writeAll(fd: number, buf: Uint8Array): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done);
}

/**
 * Writes a .safetensors file atomically (a temporary file in the same folder, then rename).
 * Tensors are written in name order; values are encoded in bounded chunks. metadata defaults to
 * {format: "pt"}, which transformers requires to load the file; pass {} for none.
 */
export function writeSafetensors(
  file: string, tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = { format: 'pt' },
): void {
  const entries = Object.entries(tensors).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const { bytes } = buildHeader(file, entries, metadata);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAll(fd, bytes);
    for (const [name, t] of entries) {
      const n = t.data.length;
      if (t.dtype === 'F32' && LITTLE_ENDIAN && t.data instanceof Float32Array) {
        writeAll(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
        continue;
      }
      for (let i = 0; i < n; i += WRITE_CHUNK) writeAll(fd, encodeChunk(t, i, Math.min(n, i + WRITE_CHUNK), file, name));
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.closeSync(fd); } catch { /* already closed */ }
    try { fs.unlinkSync(tmp); } catch { /* not created */ }
    throw e;
  }
}

/** Bytes a tensor occupies on disk. */
export function tensorByteSize(t: { dtype: SafetensorsDtype; shape: readonly number[] }): number {
  return numelOf(t.shape) * SAFETENSORS_DTYPES[t.dtype];
}

export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
export const SINGLE_SAFETENSORS = 'model.safetensors';
const SHARD_RE = /^model-\d{5}-of-\d{5}\.safetensors$/;

export interface ShardedWriteResult {
  /** Shard file names in order (just ["model.safetensors"] when everything fits in one). */
  files: string[];
  /** The index written, or null for a single file. */
  index: { metadata: { total_size: number }; weight_map: Record<string, string> } | null;
}

/**
 * Writes a model folder's weights like Hugging Face's save_pretrained: tensors in insertion order
 * packed greedily into shards of at most maxShardBytes (a tensor larger than that gets a shard of its own),
 * named model-0000i-of-0000N.safetensors with model.safetensors.index.json; one shard is written as
 * model.safetensors with no index. Stale weight files from an earlier save are removed afterwards.
 */
export function writeShardedCheckpoint(
  dir: string, tensors: Record<string, TensorToWrite>,
  opts: { maxShardBytes?: number; metadata?: Record<string, string> } = {},
): ShardedWriteResult {
  const maxShardBytes = opts.maxShardBytes ?? 5 * 1024 ** 3;
  if (!(maxShardBytes > 0)) throw new Error(`writeShardedCheckpoint(${dir}): maxShardBytes must be positive, got ${maxShardBytes}`);
  const metadata = opts.metadata ?? { format: 'pt' };
  fs.mkdirSync(dir, { recursive: true });
  const groups: string[][] = [];
  let cur: string[] = [];
  let curBytes = 0;
  let total = 0;
  for (const [name, t] of Object.entries(tensors)) {
    validateForWrite(dir, name, t);
    const b = tensorByteSize(t);
    total += b;
    if (cur.length > 0 && curBytes + b > maxShardBytes) {
      groups.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(name);
    curBytes += b;
  }
  if (cur.length > 0 || groups.length === 0) groups.push(cur);
  const N = groups.length;
  const files = groups.map((_, i) =>
    N === 1 ? SINGLE_SAFETENSORS : `model-${String(i + 1).padStart(5, '0')}-of-${String(N).padStart(5, '0')}.safetensors`);
  const weightMap: Record<string, string> = {};
  groups.forEach((names, i) => {
    const sub: Record<string, TensorToWrite> = {};
    for (const n of names) {
      sub[n] = tensors[n]!;
      weightMap[n] = files[i]!;
    }
    writeSafetensors(path.join(dir, files[i]!), sub, metadata);
  });
  let index: ShardedWriteResult['index'] = null;
  if (N > 1) {
    index = { metadata: { total_size: total }, weight_map: weightMap };
    const target = path.join(dir, SAFETENSORS_INDEX);
    const tmp = `${target}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(index, null, 2) + '\n');
    fs.renameSync(tmp, target);
  }
  const keep = new Set(files);
  if (N > 1) keep.add(SAFETENSORS_INDEX);
  for (const f of fs.readdirSync(dir)) {
    if ((f === SINGLE_SAFETENSORS || f === SAFETENSORS_INDEX || SHARD_RE.test(f)) && !keep.has(f)) fs.unlinkSync(path.join(dir, f));
  }
  return { files, index };
}

// ---------------------------------------------------------------------------------------------
// checkpoints: one file or shards, handled uniformly

export interface CheckpointTensorInfo extends TensorInfo {
  /** Absolute path of the file holding the tensor. */
  file: string;
}

export interface Checkpoint {
  readonly dir: string;
  /** Files opened, in order. */
  readonly files: string[];
  /** Every tensor, by name. */
  readonly tensors: Map<string, CheckpointTensorInfo>;
  /** __metadata__ of the first file. */
  readonly metadata: Record<string, string>;
  has(name: string): boolean;
  info(name: string): CheckpointTensorInfo;
  read(name: string): ReadTensor;
  readInto(name: string, dst: Float32Array, dstOffset?: number): number;
  /** Reads a tensor as f32 (any numeric dtype), checking its shape when one is given:
   *  a missing tensor or a shape that disagrees is an error naming the file and tensor. */
  readF32(name: string, expectShape?: readonly number[]): { shape: number[]; data: Float32Array };
  close(): void;
}

const PICKLE_NAMES = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'model.pt', 'model.pth', 'tf_model.h5', 'flax_model.msgpack'];

/** Opens model.safetensors or the shards listed in model.safetensors.index.json in a model folder. */
export function openCheckpoint(dir: string): Checkpoint {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory`);
  const single = path.join(dir, SINGLE_SAFETENSORS);
  const indexPath = path.join(dir, SAFETENSORS_INDEX);
  let fileNames: string[];
  let weightMap: Record<string, string> | null = null;
  // like transformers, a single model.safetensors wins over an index
  if (fs.existsSync(single)) {
    fileNames = [SINGLE_SAFETENSORS];
  } else if (fs.existsSync(indexPath)) {
    let idx: unknown;
    try {
      idx = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
    } catch (e) {
      throw new Error(`${indexPath}: not valid JSON (${(e as Error).message})`);
    }
    const wm = (idx as { weight_map?: unknown } | null)?.weight_map;
    if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) throw new Error(`${indexPath}: missing "weight_map" object`);
    weightMap = {};
    for (const [name, f] of Object.entries(wm as Record<string, unknown>)) {
      if (typeof f !== 'string' || f === '' || f.includes('/') || f.includes('\\') || f === '.' || f === '..') {
        throw new Error(`${indexPath}: weight_map["${name}"] = ${JSON.stringify(f)} is not a file name in this folder`);
      }
      weightMap[name] = f;
    }
    fileNames = [...new Set(Object.values(weightMap))].sort();
    if (fileNames.length === 0) throw new Error(`${indexPath}: weight_map is empty`);
    for (const f of fileNames) {
      if (!fs.existsSync(path.join(dir, f))) throw new Error(`${indexPath}: shard "${f}" listed in weight_map does not exist`);
    }
  } else {
    const present = fs.readdirSync(dir);
    const pickles = present.filter((f) => PICKLE_NAMES.includes(f) || /^pytorch_model-\d+-of-\d+\.bin$/.test(f));
    if (pickles.length > 0) {
      throw new Error(`${dir}: only ${pickles.join(', ')} found; glassbox never loads pickle; convert to safetensors ` +
        `(e.g. in Python: AutoModelForCausalLM.from_pretrained(dir).save_pretrained(out, safe_serialization=True))`);
    }
    throw new Error(`${dir}: neither ${SINGLE_SAFETENSORS} nor ${SAFETENSORS_INDEX} exists`);
  }
  const opened: SafetensorsFile[] = [];
  const tensors = new Map<string, CheckpointTensorInfo>();
  const owner = new Map<string, SafetensorsFile>();
  try {
    for (const f of fileNames) {
      const sf = openSafetensors(path.join(dir, f));
      opened.push(sf);
      for (const [name, t] of sf.header) {
        const prev = tensors.get(name);
        if (prev) throw new Error(`${dir}: tensor "${name}" appears in both ${prev.file} and ${sf.path}`);
        if (weightMap && weightMap[name] !== undefined && weightMap[name] !== f) {
          throw new Error(`${sf.path}: tensor "${name}" is here but ${SAFETENSORS_INDEX} maps it to ${weightMap[name]}`);
        }
        tensors.set(name, { ...t, file: sf.path });
        owner.set(name, sf);
      }
    }
    if (weightMap) {
      for (const [name, f] of Object.entries(weightMap)) {
        if (!tensors.has(name)) throw new Error(`${path.join(dir, f)}: tensor "${name}" listed in ${SAFETENSORS_INDEX} is missing from the shard`);
      }
    }
  } catch (e) {
    for (const sf of opened) sf.close();
    throw e;
  }
  const get = (name: string): SafetensorsFile => {
    const sf = owner.get(name);
    if (!sf) throw new Error(`${dir}: tensor "${name}" is not in the checkpoint (${tensors.size} tensors in ${fileNames.join(', ')})`);
    return sf;
  };
  return {
    dir,
    files: opened.map((s) => s.path),
    tensors,
    metadata: opened[0]?.metadata ?? {},
    has: (name) => tensors.has(name),
    info(name) {
      get(name);
      return tensors.get(name)!;
    },
    read: (name) => get(name).read(name),
    readInto: (name, dst, off) => get(name).readInto(name, dst, off),
    readF32(name, expectShape) {
      const sf = get(name);
      const t = tensors.get(name)!;
      if (expectShape && (expectShape.length !== t.shape.length || expectShape.some((d, i) => d !== t.shape[i]))) {
        throw new SafetensorsError(`${t.file}: tensor "${name}": shape ${JSON.stringify(t.shape)} but the config expects ${JSON.stringify(expectShape)}`, t.file, name);
      }
      const data = new Float32Array(numelOf(t.shape));
      sf.readInto(name, data);
      return { shape: [...t.shape], data };
    },
    close() {
      for (const sf of opened) sf.close();
    },
  };
}
