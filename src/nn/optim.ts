/**
 * Optimisers with PyTorch semantics: AdamW (decoupled weight decay, bias corrections, eps outside the
 * sqrt; the fused K().adamw kernel) and SGD (momentum, dampening, Nesterov, L2 weight decay). Parameter
 * groups give per-group lr and weight decay; `noDecay` sends norms and biases to a decay-free group.
 * State (per-parameter step and buffers) round-trips through `state()` / `loadState()` for checkpoints.
 */
import { K, zeros, type Tensor } from '../engine/index.js';
import { matchesAny, type NamedParams, type NamePattern } from './params.js';

/** A group rule: parameters matching `match` (first rule wins) get this lr / weight decay. */
export interface GroupRule { match: NamePattern | NamePattern[]; lr?: number; weightDecay?: number; name?: string }

export interface ParamGroup { name: string; lr: number; weightDecay: number; params: string[] }

/** Which parameters get no weight decay: patterns, a predicate, or 'auto' (1-D tensors: biases, norm weights). */
export type NoDecayRule = 'auto' | readonly NamePattern[] | ((name: string, p: Tensor) => boolean);

export interface OptimizerBaseOptions {
  lr: number;
  weightDecay?: number;
  groups?: GroupRule[];
  noDecay?: NoDecayRule;
}

/** Serialisable optimiser state: scalars in JSON, buffers as f32 arrays keyed `<param>/<buffer>`. */
export interface OptimizerState {
  kind: 'adamw' | 'sgd';
  /** Per-parameter number of updates taken. */
  steps: Record<string, number>;
  buffers: Record<string, Float32Array>;
}

export interface Optimizer {
  readonly kind: 'adamw' | 'sgd';
  readonly params: NamedParams;
  readonly groups: ParamGroup[];
  /** Applies one update to every trainable parameter that has a gradient; lr = group lr × lrFactor. */
  step(lrFactor?: number): void;
  zeroGrad(): void;
  state(): OptimizerState;
  loadState(s: OptimizerState): void;
  /** Frees the optimiser's buffers. */
  dispose(): void;
}

function isNoDecay(rule: NoDecayRule | undefined, name: string, p: Tensor): boolean {
  if (rule === undefined) return false;
  if (rule === 'auto') return p.ndim < 2;
  if (typeof rule === 'function') return rule(name, p);
  return matchesAny(name, rule);
}

/** Splits params into groups: explicit rules first, then default (and no-decay) groups. Empty groups are dropped. */
export function buildParamGroups(params: NamedParams, opts: OptimizerBaseOptions): ParamGroup[] {
  const wd = opts.weightDecay ?? 0;
  const rules = opts.groups ?? [];
  const groups: ParamGroup[] = rules.map((r, i) => ({ name: r.name ?? `group${i}`, lr: r.lr ?? opts.lr, weightDecay: r.weightDecay ?? wd, params: [] }));
  const dflt: ParamGroup = { name: 'default', lr: opts.lr, weightDecay: wd, params: [] };
  const noDecay: ParamGroup = { name: 'no_decay', lr: opts.lr, weightDecay: 0, params: [] };
  for (const [name, p] of params) {
    const i = rules.findIndex((r) => matchesAny(name, r.match));
    if (i >= 0) groups[i].params.push(name);
    else if (isNoDecay(opts.noDecay, name, p)) noDecay.params.push(name);
    else dflt.params.push(name);
  }
  return [...groups, dflt, noDecay].filter((g) => g.params.length > 0);
}

function checkLr(lr: number, what: string): void {
  if (!Number.isFinite(lr) || lr < 0) throw new Error(`${what}: learning rate must be a finite number >= 0, got ${lr}`);
}

function contiguousParam(name: string, p: Tensor, op: string): void {
  if (p.dtype !== 'f32' || !p.isContiguous) throw new Error(`${op}: parameter '${name}' must be a contiguous f32 tensor (got ${p.dtype} [${p.shape}], strides [${p.strides}])`);
}

function gradArray(name: string, p: Tensor, op: string): { d: Float32Array; off: number } {
  const g = p.grad!;
  if (g.size !== p.size || g.shape.some((s, i) => s !== p.shape[i])) throw new Error(`${op}: gradient of '${name}' has shape [${g.shape}], parameter [${p.shape}]`);
  if (!g.isContiguous) throw new Error(`${op}: gradient of '${name}' is not contiguous`);
  return { d: g.data as Float32Array, off: g.offset };
}

abstract class BaseOptimizer implements Optimizer {
  abstract readonly kind: 'adamw' | 'sgd';
  readonly groups: ParamGroup[];
  protected readonly stepCount = new Map<string, number>();
  protected readonly buffers = new Map<string, Tensor>(); // `${param}/${buffer}`

  constructor(readonly params: NamedParams, opts: OptimizerBaseOptions, op: string) {
    checkLr(opts.lr, op);
    for (const r of opts.groups ?? []) if (r.lr !== undefined) checkLr(r.lr, `${op} group ${r.name ?? ''}`);
    for (const [n, p] of params) contiguousParam(n, p, op);
    this.groups = buildParamGroups(params, opts);
  }

  protected buffer(param: string, buf: string, p: Tensor): Tensor {
    const key = `${param}/${buf}`;
    let t = this.buffers.get(key);
    if (!t) { t = zeros(p.shape).keep(); this.buffers.set(key, t); }
    return t;
  }

  abstract step(lrFactor?: number): void;

  zeroGrad(): void {
    for (const p of this.params.values()) if (p.grad) { p.grad.dispose(); p.grad = null; }
  }

  state(): OptimizerState {
    const buffers: Record<string, Float32Array> = {};
    for (const [k, t] of this.buffers) buffers[k] = Float32Array.from(t.data as Float32Array);
    return { kind: this.kind, steps: Object.fromEntries(this.stepCount), buffers };
  }

  loadState(s: OptimizerState): void {
    if (s.kind !== this.kind) throw new Error(`${this.kind}.loadState: state is for a '${s.kind}' optimiser`);
    for (const name of Object.keys(s.steps)) if (!this.params.has(name)) throw new Error(`${this.kind}.loadState: state has parameter '${name}' that this optimiser does not`);
    for (const [key, data] of Object.entries(s.buffers)) {
      const slash = key.lastIndexOf('/');
      const name = key.slice(0, slash);
      const p = this.params.get(name);
      if (!p) throw new Error(`${this.kind}.loadState: buffer '${key}' names unknown parameter '${name}'`);
      if (data.length !== p.size) throw new Error(`${this.kind}.loadState: buffer '${key}' has ${data.length} values, parameter [${p.shape}] has ${p.size}`);
    }
    this.disposeBuffers();
    this.stepCount.clear();
    for (const [n, c] of Object.entries(s.steps)) this.stepCount.set(n, c);
    for (const [key, data] of Object.entries(s.buffers)) {
      const name = key.slice(0, key.lastIndexOf('/'));
      const t = this.buffer(name, key.slice(key.lastIndexOf('/') + 1), this.params.get(name)!);
      (t.data as Float32Array).set(data);
    }
  }

  private disposeBuffers(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
  }

  dispose(): void { this.disposeBuffers(); this.stepCount.clear(); }

  /** Trainable parameters with a gradient, with their group. */
  protected *active(): Generator<[string, Tensor, ParamGroup]> {
    for (const g of this.groups) for (const name of g.params) {
      const p = this.params.get(name)!;
      if (p.requiresGrad && p.grad) yield [name, p, g];
    }
  }
}

export interface AdamWOptions extends OptimizerBaseOptions {
  betas?: [number, number];
  eps?: number;
}

/**
 * AdamW exactly as torch.optim.AdamW (foreach=False): at step t,
 * p ← p·(1 − lr·wd); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
 * p ← p − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps).
 * Defaults as PyTorch: betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
 */
export class AdamW extends BaseOptimizer {
  readonly kind = 'adamw' as const;
  readonly betas: [number, number];
  readonly eps: number;

  constructor(params: NamedParams, opts: AdamWOptions) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 0.01 }, 'AdamW');
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    const [b1, b2] = this.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`AdamW: betas must be in [0, 1), got [${this.betas}]`);
    if (!(this.eps >= 0)) throw new Error(`AdamW: eps must be >= 0, got ${this.eps}`);
  }

  step(lrFactor = 1): void {
    if (!Number.isFinite(lrFactor) || lrFactor < 0) throw new Error(`AdamW.step: lrFactor must be finite and >= 0, got ${lrFactor}`);
    const [b1, b2] = this.betas;
    for (const [name, p, group] of this.active()) {
      const { d: g, off: gOff } = gradArray(name, p, 'AdamW.step');
      const m = this.buffer(name, 'exp_avg', p), v = this.buffer(name, 'exp_avg_sq', p);
      const t = (this.stepCount.get(name) ?? 0) + 1;
      this.stepCount.set(name, t);
      const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
      K().adamw(p.size, p.data as Float32Array, p.offset, g, gOff, m.data as Float32Array, v.data as Float32Array,
        group.lr * lrFactor, b1, b2, this.eps, group.weightDecay, bc1, bc2);
    }
  }
}

export interface SGDOptions extends OptimizerBaseOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

/**
 * SGD as torch.optim.SGD: d = g + wd·p; with momentum, buf = d on the first step, then
 * buf ← μ·buf + (1 − dampening)·d; d = nesterov ? d + μ·buf : buf; p ← p − lr·d.
 */
export class SGD extends BaseOptimizer {
  readonly kind = 'sgd' as const;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params: NamedParams, opts: SGDOptions) {
    super(params, opts, 'SGD');
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error('SGD: Nesterov momentum requires momentum > 0 and dampening 0');
  }

  step(lrFactor = 1): void {
    if (!Number.isFinite(lrFactor) || lrFactor < 0) throw new Error(`SGD.step: lrFactor must be finite and >= 0, got ${lrFactor}`);
    const mu = this.momentum, damp = this.dampening;
    for (const [name, p, group] of this.active()) {
      const { d: g, off: gOff } = gradArray(name, p, 'SGD.step');
      const pd = p.data as Float32Array, pOff = p.offset, n = p.size;
      const lr = group.lr * lrFactor, wd = group.weightDecay;
      const t = (this.stepCount.get(name) ?? 0) + 1;
      this.stepCount.set(name, t);
      const buf = mu !== 0 ? (this.buffer(name, 'momentum_buffer', p).data as Float32Array) : null;
      for (let i = 0; i < n; i++) {
        let d = Math.fround(g[gOff + i] + (wd !== 0 ? Math.fround(wd * pd[pOff + i]) : 0));
        if (buf) {
          buf[i] = t === 1 ? d : Math.fround(Math.fround(mu * buf[i]) + Math.fround((1 - damp) * d));
          d = this.nesterov ? Math.fround(d + Math.fround(mu * buf[i])) : buf[i];
        }
        pd[pOff + i] = pd[pOff + i] - lr * d;
      }
    }
  }
}
