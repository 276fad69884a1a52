/**
 * Storage: the flat buffer behind tensors. Native (64-byte aligned, freed explicitly through the addon)
 * when the addon is loaded, a plain typed array otherwise. Reference counted: views share one storage,
 * and the memory is released when the last tensor (or autograd node) holding it lets go.
 */
import { loadNativeAddon } from './native-addon.js';

export type DType = 'f32' | 'i32';
export type TypedData = Float32Array | Int32Array;

interface Allocator {
  alloc(nbytes: number): ArrayBuffer;
  free(ab: ArrayBuffer): void;
}

let allocator: Allocator | null | undefined;
function getAllocator(): Allocator | null {
  if (allocator === undefined) {
    const addon = loadNativeAddon();
    allocator = addon ? { alloc: (n) => addon.alloc(n), free: (ab) => addon.free(ab) } : null;
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

  static alloc(dtype: DType, n: number): Storage {
    if (dtype !== 'f32' && dtype !== 'i32') throw new Error(`Storage.alloc: unknown dtype '${String(dtype)}' (use 'f32' or 'i32')`);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Storage.alloc: invalid element count ${n}`);
    const nbytes = n * 4;
    const a = getAllocator();
    if (a && n > 0) {
      const ab = a.alloc(nbytes);
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
