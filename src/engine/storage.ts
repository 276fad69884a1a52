/**
 * Storage: the flat buffer behind tensors. Native (64-byte aligned, freed explicitly through the addon)
 * when the addon is loaded, a plain typed array otherwise. Reference counted: views share one storage,
 * and the memory is released when the last tensor (or autograd node) holding it lets go. Released native
 * buffers are kept (bounded) for reuse, so a training step creates no new ArrayBuffers.
 */
import { loadNativeAddon } from './native-addon.js';

export type DType = 'f32' | 'i32';
export type TypedData = Float32Array | Int32Array;

interface Allocator {
  alloc(nbytes: number, zero: boolean): ArrayBuffer;
  free(ab: ArrayBuffer): void;
}

/**
 * Released native ArrayBuffers by capacity, reused by later allocations. Every new external ArrayBuffer
 * counts towards V8's external-memory budget until a GC sweeps it, so allocating a fresh one per tensor
 * made V8 run a full mark-compact on almost every allocation once a step's activations passed its limit
 * (most of a training step's time outside kernels). Reusing the objects keeps V8 out of it.
 */
const pool = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;
// 256 MiB by default (GLASSBOX_POOL_MB overrides): inference keeps its resident memory close to the weights
// (peak RSS is a benchmark target); training loops raise it with reserveStoragePool(), since a GRPO step of
// 128 x 76 tokens at the tiny organism's shape peaks above 1 GiB and every buffer allocated past the pool is a
// fresh one V8 counts towards its next GC.
const envPoolMb = Number(process.env.GLASSBOX_POOL_MB);
let poolLimit = (envPoolMb > 0 ? envPoolMb : 256) * 1024 * 1024;

/** Capacity class of an allocation: 64-byte multiples up to 1 KiB, then four classes per power of two. */
export function capacityOf(nbytes: number): number {
  if (nbytes <= 1024) return nbytes <= 64 ? 64 : Math.ceil(nbytes / 64) * 64;
  const quarter = 2 ** (Math.floor(Math.log2(nbytes)) - 2);
  return Math.ceil(nbytes / quarter) * quarter;
}

/**
 * Lets the pool keep at least `bytes` of released buffers (training loops call it with 2 GiB); never lowers the
 * limit, and GLASSBOX_POOL_MB, when set, wins.
 */
export function reserveStoragePool(bytes: number): void {
  if (envPoolMb > 0 || !(bytes > poolLimit)) return;
  poolLimit = bytes;
}

/** Bounds the bytes of released buffers kept for reuse (default 256 MiB); 0 frees them all now. */
export function setStoragePoolLimit(bytes: number): void {
  if (!(bytes >= 0)) throw new Error(`setStoragePoolLimit: bytes must be >= 0, got ${bytes}`);
  poolLimit = bytes;
  if (pooledBytes <= poolLimit) return;
  const a = getAllocator();
  for (const [cap, list] of pool) {
    while (list.length && pooledBytes > poolLimit) { a!.free(list.pop()!); pooledBytes -= cap; }
  }
}

let allocator: Allocator | null | undefined;
function getAllocator(): Allocator | null {
  if (allocator === undefined) {
    const addon = loadNativeAddon();
    allocator = addon ? { alloc: (n, zero) => addon.alloc(n, zero), free: (ab) => addon.free(ab) } : null;
  }
  return allocator;
}

/** Live storage statistics, for leak tests and `glassbox doctor`. */
export const storageStats = { live: 0, liveBytes: 0, allocated: 0 };

export class Storage {
  refs = 1;
  private freed = false;
  private constructor(readonly dtype: DType, readonly data: TypedData, private readonly native: boolean, readonly nbytes: number) {
    storageStats.live++;
    storageStats.liveBytes += nbytes;
    storageStats.allocated++;
  }

  /** n elements, zero-filled unless `zero` is false (then the contents are unspecified: the caller writes every element). */
  static alloc(dtype: DType, n: number, zero = true): Storage {
    if (dtype !== 'f32' && dtype !== 'i32') throw new Error(`Storage.alloc: unknown dtype '${String(dtype)}' (use 'f32' or 'i32')`);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Storage.alloc: invalid element count ${n}`);
    const nbytes = n * 4;
    const a = getAllocator();
    if (a && n > 0) {
      const cap = capacityOf(nbytes);
      const reused = pool.get(cap)?.pop();
      if (reused) pooledBytes -= cap;
      // a buffer spans the whole capacity class (so it can be reused for any size in it), but only the n elements
      // asked for are cleared: the slack pages of a fresh big block stay untouched, so they never count in RSS
      const ab = reused ?? a.alloc(cap, false);
      const data: TypedData = dtype === 'f32' ? new Float32Array(ab, 0, n) : new Int32Array(ab, 0, n);
      if (zero) data.fill(0);
      return new Storage(dtype, data, true, nbytes);
    }
    return new Storage(dtype, dtype === 'f32' ? new Float32Array(n) : new Int32Array(n), false, nbytes);
  }

  get isFreed(): boolean { return this.freed; }

  retain(): void {
    if (this.freed) throw new Error('Storage.retain: storage was already freed (a disposed tensor is being used)');
    this.refs++;
  }

  release(): void {
    if (this.freed) return;
    if (--this.refs > 0) return;
    this.freed = true;
    storageStats.live--;
    storageStats.liveBytes -= this.nbytes;
    if (!this.native) return;
    const ab = this.data.buffer as ArrayBuffer;
    if (pooledBytes + ab.byteLength <= poolLimit) {
      let list = pool.get(ab.byteLength);
      if (!list) { list = []; pool.set(ab.byteLength, list); }
      list.push(ab);
      pooledBytes += ab.byteLength;
    } else getAllocator()!.free(ab);
  }
}
