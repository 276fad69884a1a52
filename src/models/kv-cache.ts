/**
 * KV cache for generation: per layer, keys and values [B, Smax, Hkv, d_head] preallocated, filled as
 * tokens arrive; attention reads the filled prefix as a strided view (no copies). Also tracks the
 * key padding mask [B, Smax] and each row's next position (left-padded batches).
 */
import { Tensor, zeros, slice, copyInto } from '../engine/index.js';

export class KVCache {
  readonly k: Tensor[] = [];
  readonly v: Tensor[] = [];
  /** [B, Smax] i32, 1 = real token. */
  readonly mask: Tensor;
  /** Tokens written so far (same for all rows; padding is in the mask). */
  length = 0;

  constructor(readonly nLayers: number, readonly B: number, readonly Smax: number, readonly nKvHeads: number, readonly dHead: number) {
    for (let l = 0; l < nLayers; l++) {
      this.k.push(zeros([B, Smax, nKvHeads, dHead]).keep());
      this.v.push(zeros([B, Smax, nKvHeads, dHead]).keep());
    }
    this.mask = zeros([B, Smax], 'i32').keep();
  }

  /** Writes k/v [B, T, Hkv, Dh] at positions [length, length + T) of layer l. */
  write(l: number, k: Tensor, v: Tensor): void {
    const T = k.shape[1];
    if (this.length + T > this.Smax) throw new Error(`KVCache: ${this.length + T} tokens exceed the cache size ${this.Smax}`);
    const dk = slice(this.k[l], 1, this.length, this.length + T);
    const dv = slice(this.v[l], 1, this.length, this.length + T);
    copyInto(dk, k); // strided copy straight from k/v: no contiguous intermediate
    copyInto(dv, v);
    dk.dispose(); dv.dispose();
  }

  /** Keys and values of layer l for positions [0, upto). */
  view(l: number, upto: number): [Tensor, Tensor] {
    return [slice(this.k[l], 1, 0, upto), slice(this.v[l], 1, 0, upto)];
  }

  /** Sets the padding mask for positions [length, length + T) from rows of 0/1 values. */
  writeMask(rows: ArrayLike<number>[], T: number): void {
    const d = this.mask.data;
    for (let b = 0; b < this.B; b++) for (let t = 0; t < T; t++) d[b * this.Smax + this.length + t] = rows[b][t] ? 1 : 0;
  }

  dispose(): void {
    for (const t of [...this.k, ...this.v, this.mask]) t.dispose();
  }
}
