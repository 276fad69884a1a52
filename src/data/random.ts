// Seeded pseudo-random numbers for the data generators (sfc32 seeded through splitmix32), so every corpus,
// split and question set is a pure function of its seed. Not for cryptography.
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** A new array with the items in random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** An independent stream derived from this one's seed and a label (e.g. "heldout"). */
  fork(label: string): Rng;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** 32-bit FNV-1a of a string's UTF-16 code units; used to turn labels into seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A seeded generator; the same seed (number or string) always gives the same stream. */
export function makeRng(seed: number | string): Rng {
  const seedBits = typeof seed === 'number' ? (Number.isInteger(seed) ? seed : hash32(String(seed))) : hash32(seed);
  const init = splitmix32(seedBits);
  let a = init(), b = init(), c = init(), d = init();
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next32();
  const rng: Rng = {
    next: () => next32() / 4294967296,
    int: (lo, hi) => {
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new Error(`rng.int: bad range [${lo}, ${hi}]`);
      return lo + Math.floor(rng.next() * (hi - lo + 1));
    },
    pick: (items) => {
      if (items.length === 0) throw new Error('rng.pick: empty list');
      return items[Math.floor(rng.next() * items.length)]!;
    },
    shuffle: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        const t = out[i]!; out[i] = out[j]!; out[j] = t;
      }
      return out;
    },
    fork: (label) => makeRng(hash32(`${seedBits}:${label}`)),
  };
  return rng;
}
