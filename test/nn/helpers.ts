// Small models and float64 reference optimisers shared by the nn tests (not a test file itself).
import { Rng, linear, tanh, embedding, type Tensor } from '../../src/engine/index.js';
import { initNormal, initZeros, param, type NamedParams } from '../../src/nn/index.js';

/** A 2-layer tanh MLP with HF-style names. */
export function makeMlp(rng: Rng, dIn = 6, dHidden = 12, dOut = 3): { params: NamedParams; forward(x: Tensor): Tensor } {
  const params: NamedParams = new Map([
    ['mlp.fc1.weight', param(initNormal([dHidden, dIn], rng, 0.4), 'mlp.fc1.weight')],
    ['mlp.fc1.bias', param(initZeros([dHidden]), 'mlp.fc1.bias')],
    ['mlp.fc2.weight', param(initNormal([dOut, dHidden], rng, 0.4), 'mlp.fc2.weight')],
    ['mlp.fc2.bias', param(initZeros([dOut]), 'mlp.fc2.bias')],
  ]);
  const P = (n: string) => params.get(n)!;
  return {
    params,
    forward: (x) => linear(tanh(linear(x, P('mlp.fc1.weight'), P('mlp.fc1.bias'))), P('mlp.fc2.weight'), P('mlp.fc2.bias')),
  };
}

/** Embedding + tanh + linear head over a character vocabulary (logits [B, T, V]). */
export function makeCharModel(rng: Rng, V = 11, D = 8): { params: NamedParams; forward(ids: Tensor): Tensor } {
  const params: NamedParams = new Map([
    ['model.embed_tokens.weight', param(initNormal([V, D], rng, 0.5), 'model.embed_tokens.weight')],
    ['model.proj.weight', param(initNormal([D, D], rng, 0.3), 'model.proj.weight')],
    ['lm_head.weight', param(initNormal([V, D], rng, 0.3), 'lm_head.weight')],
  ]);
  const P = (n: string) => params.get(n)!;
  return { params, forward: (ids) => linear(tanh(linear(embedding(P('model.embed_tokens.weight'), ids), P('model.proj.weight'))), P('lm_head.weight')) };
}

export function disposeAll(params: NamedParams): void { for (const p of params.values()) p.dispose(); }

/** Float64 AdamW exactly as torch's single-tensor implementation, on plain arrays (state per param). */
export class RefAdamW {
  m: Float64Array; v: Float64Array; t = 0;
  constructor(readonly p: Float64Array, readonly lr: number, readonly b1: number, readonly b2: number, readonly eps: number, readonly wd: number) {
    this.m = new Float64Array(p.length); this.v = new Float64Array(p.length);
  }
  step(g: ArrayLike<number>, lr = this.lr): void {
    this.t++;
    const bc1 = 1 - this.b1 ** this.t, bc2 = 1 - this.b2 ** this.t;
    const stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2);
    for (let i = 0; i < this.p.length; i++) {
      this.p[i] *= 1 - lr * this.wd;
      this.m[i] = this.m[i] + (g[i] - this.m[i]) * (1 - this.b1); // torch: exp_avg.lerp_(grad, 1 - beta1)
      this.v[i] = this.v[i] * this.b2 + (1 - this.b2) * g[i] * g[i];
      const denom = Math.sqrt(this.v[i]) / bc2Sqrt + this.eps;
      this.p[i] -= stepSize * this.m[i] / denom;
    }
  }
}

/** Float64 SGD as torch.optim.SGD. */
export class RefSGD {
  buf: Float64Array | null = null;
  constructor(readonly p: Float64Array, readonly lr: number, readonly momentum = 0, readonly dampening = 0, readonly nesterov = false, readonly wd = 0) {}
  step(g: ArrayLike<number>): void {
    const d = Float64Array.from(g, (x, i) => x + this.wd * this.p[i]);
    if (this.momentum !== 0) {
      if (!this.buf) this.buf = Float64Array.from(d);
      else for (let i = 0; i < d.length; i++) this.buf[i] = this.momentum * this.buf[i] + (1 - this.dampening) * d[i];
      if (this.nesterov) for (let i = 0; i < d.length; i++) d[i] += this.momentum * this.buf[i];
      else d.set(this.buf);
    }
    for (let i = 0; i < d.length; i++) this.p[i] -= this.lr * d[i];
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
