/**
 * Named parameter collections: select by name pattern, freeze / unfreeze a chosen subset, count,
 * zero gradients, global gradient norm, clipping by global norm, and non-finite gradient detection.
 */
import { K, UnaryOp, type Tensor } from '../engine/index.js';

/** Parameters by name (HF-style dotted names, e.g. `model.layers.0.mlp.up_proj.weight`). */
export type NamedParams = Map<string, Tensor>;

/** The minimal model interface training needs. */
export interface HasParameters { parameters(): NamedParams }

/**
 * A name pattern: a RegExp (tested against the whole name, unanchored unless you anchor it), or a
 * string glob where `*` matches any run of characters (dots included) and `?` one character. A string
 * without wildcards matches the name itself or anything under it as a dotted prefix
 * (`model.layers.3` matches `model.layers.3.mlp.up_proj.weight`).
 */
export type NamePattern = string | RegExp;

const globCache = new Map<string, RegExp>();
function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`);
    globCache.set(glob, re);
  }
  return re;
}

export function matchesPattern(name: string, pattern: NamePattern): boolean {
  if (pattern instanceof RegExp) { pattern.lastIndex = 0; return pattern.test(name); }
  if (/[*?]/.test(pattern)) return globToRegExp(pattern).test(name);
  return name === pattern || name.startsWith(pattern + '.');
}

export function matchesAny(name: string, patterns: NamePattern | readonly NamePattern[]): boolean {
  const list = Array.isArray(patterns) ? patterns : [patterns as NamePattern];
  return list.some((p) => matchesPattern(name, p));
}

/** Names of the parameters matching any pattern, in the collection's order. Throws when a pattern matches nothing. */
export function selectParams(params: NamedParams, patterns: NamePattern | readonly NamePattern[]): string[] {
  const list = Array.isArray(patterns) ? patterns : [patterns as NamePattern];
  const out: string[] = [];
  for (const name of params.keys()) if (matchesAny(name, list)) out.push(name);
  for (const p of list) {
    if (![...params.keys()].some((n) => matchesPattern(n, p))) {
      const sample = [...params.keys()].slice(0, 5).join(', ');
      throw new Error(`selectParams: pattern ${String(p)} matches no parameter (names look like: ${sample}${params.size > 5 ? ', …' : ''})`);
    }
  }
  return out;
}

/** Stops gradients for the matching parameters (dropping any gradient they hold). Returns their names. */
export function freeze(params: NamedParams, patterns: NamePattern | readonly NamePattern[]): string[] {
  const names = selectParams(params, patterns);
  for (const n of names) setTrainable(params.get(n)!, false);
  return names;
}

/** Lets the matching parameters train again. Returns their names. */
export function unfreeze(params: NamedParams, patterns: NamePattern | readonly NamePattern[]): string[] {
  const names = selectParams(params, patterns);
  for (const n of names) setTrainable(params.get(n)!, true);
  return names;
}

/** Trains only the matching parameters (RMU-style: some MLPs); freezes the rest. Returns the trainable names. */
export function trainOnly(params: NamedParams, patterns: NamePattern | readonly NamePattern[]): string[] {
  const names = new Set(selectParams(params, patterns));
  for (const [n, p] of params) setTrainable(p, names.has(n));
  return [...names];
}

function setTrainable(p: Tensor, on: boolean): void {
  p.requireGrad(on);
  if (!on && p.grad) { p.grad.dispose(); p.grad = null; }
}

/** The parameters that currently require grad. */
export function trainableParams(params: NamedParams): NamedParams {
  const out: NamedParams = new Map();
  for (const [n, p] of params) if (p.requiresGrad) out.set(n, p);
  return out;
}

/** Number of scalar parameters (only trainable ones when asked). */
export function countParams(params: NamedParams, opts: { trainableOnly?: boolean } = {}): number {
  let n = 0;
  for (const p of params.values()) if (!opts.trainableOnly || p.requiresGrad) n += p.size;
  return n;
}

/** Frees every gradient (the next backward creates fresh ones). */
export function zeroGrad(params: NamedParams): void {
  for (const p of params.values()) if (p.grad) { p.grad.dispose(); p.grad = null; }
}

/** Raised when a gradient holds NaN or ±Inf; names the parameters affected. */
export class NonFiniteGradientError extends Error {
  constructor(readonly params: string[]) {
    super(`non-finite gradient (NaN or Inf) in ${params.length} parameter(s): ${params.slice(0, 8).join(', ')}${params.length > 8 ? ', …' : ''}`);
    this.name = 'NonFiniteGradientError';
  }
}

/** Contiguous f32 view of a gradient's elements (grads are fresh contiguous tensors; copies otherwise). */
function gradValues(g: Tensor): Float32Array {
  if (g.isContiguous) return (g.data as Float32Array).subarray(g.offset, g.offset + g.size);
  return g.toFlat() as Float32Array;
}

/** Sum of squares per parameter (float64, in the kernels), with the names whose gradient is not finite. */
function gradSquares(params: NamedParams): { total: number; bad: string[] } {
  let total = 0;
  const bad: string[] = [];
  for (const [name, p] of params) {
    const g = p.grad;
    if (!g) continue;
    const d = gradValues(g);
    const s = K().sumSquares(d, 0, d.length);
    if (!Number.isFinite(s)) bad.push(name);
    total += s;
  }
  return { total, bad };
}

/** Throws NonFiniteGradientError when any gradient holds NaN or Inf. */
export function checkFiniteGrads(params: NamedParams): void {
  const { bad } = gradSquares(params);
  if (bad.length) throw new NonFiniteGradientError(bad);
}

/** Global L2 norm of all gradients (NaN/Inf when one is not finite). */
export function gradNorm(params: NamedParams): number {
  return Math.sqrt(gradSquares(params).total);
}

/**
 * Scales all gradients so their global L2 norm is at most maxNorm (PyTorch clip_grad_norm_:
 * coef = maxNorm / (norm + 1e-6), applied when < 1). Returns the norm before clipping.
 * Throws NonFiniteGradientError on NaN/Inf unless `errorIfNonFinite: false`.
 */
export function clipGradNorm(params: NamedParams, maxNorm: number, opts: { errorIfNonFinite?: boolean } = {}): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const { total, bad } = gradSquares(params);
  if (bad.length && opts.errorIfNonFinite !== false) throw new NonFiniteGradientError(bad);
  const norm = Math.sqrt(total);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const p of params.values()) {
      const g = p.grad;
      if (!g) continue;
      if (!g.isContiguous) throw new Error(`clipGradNorm: gradient of '${p.name ?? '?'}' is not contiguous`);
      if (g.offset === 0) K().unary(UnaryOp.scale, g.data as Float32Array, 0, g.data as Float32Array, g.size, coef); // in place
      else {
        const d = (g.data as Float32Array).subarray(g.offset, g.offset + g.size), c = Math.fround(coef);
        for (let i = 0; i < d.length; i++) d[i] *= c; // an f32 product, as the kernel's
      }
    }
  }
  return norm;
}
