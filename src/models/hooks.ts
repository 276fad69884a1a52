/**
 * Hook points with TransformerLens names. A hook sees an activation during a forward pass (and at every
 * generation step) and may return a replacement: read (capture), add (steering), replace (patching) or
 * ablate, at chosen positions. Replacements are ordinary ops, so gradients flow through hooks.
 */
import { Tensor, empty, add, mul, where, clone, noGrad } from '../engine/index.js';

export interface HookContext {
  name: string;
  /** Block index, or null for hooks outside blocks. */
  layer: number | null;
  /** Absolute position of index 0 along the sequence axis (> 0 when decoding with a KV cache). */
  posOffset: number;
}

/** Returns a replacement activation, or nothing to leave it unchanged. */
export type HookFn = (act: Tensor, ctx: HookContext) => Tensor | void;

export interface Hook {
  /** Exact hook name, a RegExp, or a predicate over names. */
  name: string | RegExp | ((name: string) => boolean);
  fn: HookFn;
}

/** Sequence axis of each hook's activation: 1 for [B, T, ...], 2 for the pattern [B, H, T, S]. */
export function seqAxis(name: string): number {
  return name.endsWith('hook_pattern') ? 2 : 1;
}

export function hookMatches(h: Hook, name: string): boolean {
  if (typeof h.name === 'string') return h.name === name;
  if (h.name instanceof RegExp) return h.name.test(name);
  return h.name(name);
}

/** Which positions a hook acts on: all, a list of absolute positions, or a predicate. */
export type Positions = 'all' | number[] | ((pos: number) => boolean);

/** [1, T, 1, ...] mask (rank `rank`) with 1 at selected positions along axis `axis`; null when all are selected. */
function positionMask(act: Tensor, axis: number, positions: Positions, posOffset: number): Tensor | null {
  if (positions === 'all') return null;
  const T = act.shape[axis];
  const shape = act.shape.map((_, i) => (i === axis ? T : 1));
  const m = empty(shape);
  for (let t = 0; t < T; t++) {
    const p = posOffset + t;
    const on = typeof positions === 'function' ? positions(p) : positions.includes(p);
    m.data[t] = on ? 1 : 0;
  }
  return m;
}

/** Adds coeff * vector (broadcast over the activation, e.g. [d_model]) at the chosen positions: steering. */
export function steer(name: Hook['name'], vector: Tensor, opts: { coeff?: number; positions?: Positions } = {}): Hook {
  const coeff = opts.coeff ?? 1;
  const positions = opts.positions ?? 'all';
  return {
    name,
    fn: (act, ctx) => {
      const axis = seqAxis(ctx.name);
      const m = positionMask(act, axis, positions, ctx.posOffset);
      let delta = coeff === 1 ? vector : mul(vector, scalarT(coeff));
      if (m) delta = mul(m, delta);
      return add(act, delta);
    },
  };
}

function scalarT(v: number): Tensor { const t = empty([1]); t.data[0] = v; return t; }

/** Replaces the activation at chosen positions by `value` (broadcastable to it): activation patching. */
export function patch(name: Hook['name'], value: Tensor | ((act: Tensor, ctx: HookContext) => Tensor), opts: { positions?: Positions } = {}): Hook {
  const positions = opts.positions ?? 'all';
  return {
    name,
    fn: (act, ctx) => {
      const v = typeof value === 'function' ? value(act, ctx) : value;
      const m = positionMask(act, seqAxis(ctx.name), positions, ctx.posOffset);
      if (!m) {
        const z = mul(act, scalarT(0));
        return add(z, v); // keeps act's shape, broadcasting v
      }
      return where(m, v, act);
    },
  };
}

/** Zero- or mean-ablation at chosen positions (mean over the sequence axis of this activation). */
export function ablate(name: Hook['name'], opts: { positions?: Positions; mode?: 'zero' | 'mean' } = {}): Hook {
  const mode = opts.mode ?? 'zero';
  return patch(name, (act, ctx) => {
    if (mode === 'zero') return scalarT(0);
    const axis = seqAxis(ctx.name);
    return act.mean(axis, true);
  }, { positions: opts.positions });
}

/** Captures (a detached copy of) every matching activation into `store`, keyed by hook name. */
export function capture(name: Hook['name'], store: Map<string, Tensor>): Hook {
  return {
    name,
    fn: (act, ctx) => {
      const c = noGrad(() => clone(act)).keep();
      const prev = store.get(ctx.name);
      if (prev) prev.dispose();
      store.set(ctx.name, c);
    },
  };
}

/** Like capture, but keeps the graph: the stored tensor is the live activation (retainGrad for its gradient). */
export function captureWithGrad(name: Hook['name'], store: Map<string, Tensor>): Hook {
  return { name, fn: (act, ctx) => { store.set(ctx.name, act); if (act.requiresGrad) act.retainGrad(); } };
}
