/**
 * Storage: the flat buffer behind tensors. Native (64-byte aligned, freed explicitly through the addon)
 * when the addon is loaded, a plain typed array otherwise. Reference counted: views share one storage,
 * and the memory is released when the last tensor (or autograd node) holding it lets go.
 */
import { loadNativeAddon } from './native-addon.js';

export type DType = 'f32' | 'i32';
export type TypedData = Float32Array | Int32Array;

interface Allocator {
  alloc(nbytes: number, zero: boolean): ArrayBuffer;
  free(ab: ArrayBuffer): void;
}

let allocator: Allocator | null | undefined;
function getAllocator(): Allocator | null {
  if (allocator === undefined) {
    const addon = loadNativeAddon();
    allocator = addon ? recycling({ alloc: (n, zero) => addon.alloc(n, zero), free: (ab) => addon.free(ab) }) : null;
  }
  return allocator;
}

/** Small native buffers released by storages are kept here (by exact byte length) and handed out again. */
const kRecycleMaxBytes = 1 << 20, kRecycleTotalBytes = 32 << 20, kRecyclePerSize = 32;

/**
 * Wraps the native allocator with a bounded free list of small ArrayBuffers: creating and detaching an external
 * ArrayBuffer costs microseconds, which dominated the many small tensors of a decode step. Reused buffers are
 * cleared when the caller asks for zeros. (A disposed tensor's data getter throws either way.)
 */
function recycling(a: Allocator): Allocator {
  const free = new Map<number, ArrayBuffer[]>();
  let held = 0;
  return {
    alloc(nbytes, zero) {
      const list = nbytes <= kRecycleMaxBytes ? free.get(nbytes) : undefined;
      const ab = list?.pop();
      if (!ab) return a.alloc(nbytes, zero);
      held -= nbytes;
      if (zero) new Uint8Array(ab).fill(0);
      return ab;
    },
    free(ab) {
      const n = ab.byteLength;
      if (n > 0 && n <= kRecycleMaxBytes && held + n <= kRecycleTotalBytes) {
        let list = free.get(n);
        if (!list) { list = []; free.set(n, list); }
        if (list.length < kRecyclePerSize) { list.push(ab); held += n; return; }
      }
      a.free(ab);
    },
  };
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

  /**
   * n elements, zero-filled; with zero = false the contents are undefined (native memory is then not cleared:
   * only for buffers a kernel overwrites in full before anything reads them).
   */
  static alloc(dtype: DType, n: number, zero = true): Storage {
    if (dtype !== 'f32' && dtype !== 'i32') throw new Error(`Storage.alloc: unknown dtype '${String(dtype)}' (use 'f32' or 'i32')`);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Storage.alloc: invalid element count ${n}`);
    const nbytes = n * 4;
    const a = getAllocator();
    if (a && n > 0) {
      const ab = a.alloc(nbytes, zero);
      return new Storage(dtype, dtype === 'f32' ? new Float32Array(ab, 0, n) : new Int32Array(ab, 0, n), true, nbytes);
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
    if (this.native) getAllocator()!.free(this.data.buffer as ArrayBuffer);
  }
}
