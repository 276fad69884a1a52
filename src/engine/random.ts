/**
 * Seeded random numbers (xoshiro128**), with state that can be saved and restored (checkpoints resume
 * bit-exactly). Used for initialisation, dropout, sampling and test data. Never Math.random.
 */
import { empty, type Shape, type Tensor } from './tensor.js';

export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) { this.seed(seed); }

  seed(seed: number): void {
    // splitmix32 to fill the state from one integer
    let x = (seed >>> 0) ^ 0x9e3779b9;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
    this.spare = null;
  }

  /** Uniform 32-bit integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number { return this.nextU32() / 4294967296; }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) { const v = this.spare; this.spare = null; return v; }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  getState(): number[] { return [...this.s, this.spare === null ? NaN : this.spare]; }
  setState(st: number[]): void {
    if (!Array.isArray(st) || st.length !== 5) throw new Error('Rng.setState: expected 5 numbers');
    for (let i = 0; i < 4; i++) this.s[i] = st[i] >>> 0;
    this.spare = Number.isNaN(st[4]) || st[4] === null ? null : st[4];
  }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }

export function randn(shape: Shape, rng: Rng, std = 1, mean = 0): Tensor {
  const t = empty(shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

export function uniform(shape: Shape, rng: Rng, lo = 0, hi = 1): Tensor {
  const t = empty(shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.next();
  return t;
}

export function randint(shape: Shape, n: number, rng: Rng): Tensor {
  const t = empty(shape, 'i32');
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.int(n);
  return t;
}
