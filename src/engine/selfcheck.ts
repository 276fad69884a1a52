/**
 * A quick numerical self-check of the engine (used by `glassbox doctor`): matmul, softmax and causal
 * attention, forward and backward, against float64 plain-JS results (and finite differences for the
 * attention gradient), on every available backend, plus native-vs-reference agreement. Takes well under a second.
 */
import os from 'node:os';
import { withBackend, getNativeKernels, backendName, type BackendName } from './backend.js';
import { loadNativeAddon, nativeLoadError } from './native-addon.js';
import { scope } from './scope.js';
import { tensor, type Tensor } from './tensor.js';
import { Rng } from './random.js';
import { matmul } from './ops/matmul.js';
import { softmax, attention } from './ops/nn.js';
import { mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';

export interface SelfCheckItem { name: string; maxDiff: number; tol: number; ok: boolean }
export interface SelfCheckResult { ok: boolean; backend: BackendName; backends: BackendName[]; checks: SelfCheckItem[]; ms: number }

function randArray(n: number, rng: Rng, std = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.fround(std * rng.normal());
  return a;
}

/** max |a - b| / max(1, max |b|). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1, d = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i] - b[i]);
    d = Number.isNaN(x) ? Infinity : Math.max(d, x);
  }
  return d / scale;
}

interface Outputs { [name: string]: Float32Array }

const M = 17, K = 23, N = 13; // matmul sizes (odd on purpose)
const R = 5, C = 31; // softmax rows, cols
const T = 6, H = 2, Dh = 4; // attention

interface Inputs { a: Float64Array; b: Float64Array; gC: Float64Array; s: Float64Array; gS: Float64Array; q: Float64Array; k: Float64Array; v: Float64Array; gO: Float64Array }

function makeInputs(): Inputs {
  const rng = new Rng(12345);
  return {
    a: randArray(M * K, rng), b: randArray(K * N, rng), gC: randArray(M * N, rng),
    s: randArray(R * C, rng, 3), gS: randArray(R * C, rng),
    q: randArray(T * H * Dh, rng), k: randArray(T * H * Dh, rng), v: randArray(T * H * Dh, rng), gO: randArray(T * H * Dh, rng),
  };
}

/** Runs the checked ops on the current backend; returns forward values and gradients. */
function runEngine(x: Inputs): Outputs {
  return scope(() => {
    const out: Outputs = {};
    const flat = (t: Tensor) => t.toFlat() as Float32Array;
    const a = tensor(x.a, [M, K]).requireGrad(), b = tensor(x.b, [K, N]).requireGrad();
    const c = matmul(a, b);
    sum(mul(c, tensor(x.gC, [M, N]))).backward();
    out.matmul = flat(c); out['matmul grad A'] = flat(a.grad!); out['matmul grad B'] = flat(b.grad!);
    const s = tensor(x.s, [R, C]).requireGrad();
    const y = softmax(s);
    sum(mul(y, tensor(x.gS, [R, C]))).backward();
    out.softmax = flat(y); out['softmax grad'] = flat(s.grad!);
    const q = tensor(x.q, [1, T, H, Dh]).requireGrad(), k = tensor(x.k, [1, T, H, Dh]).requireGrad(), v = tensor(x.v, [1, T, H, Dh]).requireGrad();
    const o = attention(q, k, v, { causal: true }).out;
    sum(mul(o, tensor(x.gO, [1, T, H, Dh]))).backward();
    out.attention = flat(o); out['attention grad q'] = flat(q.grad!); out['attention grad k'] = flat(k.grad!); out['attention grad v'] = flat(v.grad!);
    for (const t of [a, b, s, q, k, v]) t.grad!.dispose();
    return out;
  });
}

// ---- float64 references

function matmul64(a: Float64Array, b: Float64Array, m: number, k: number, n: number, tA = false, tB = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
    c[i * n + j] = s;
  }
  return c;
}

function softmax64(s: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(s.length);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity, z = 0;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, s[r * cols + j]);
    for (let j = 0; j < cols; j++) { y[r * cols + j] = Math.exp(s[r * cols + j] - mx); z += y[r * cols + j]; }
    for (let j = 0; j < cols; j++) y[r * cols + j] /= z;
  }
  return y;
}

function attention64(q: Float64Array, k: Float64Array, v: Float64Array): Float64Array {
  const o = new Float64Array(T * H * Dh);
  const at = (t: number, h: number, d: number) => (t * H + h) * Dh + d;
  for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const w = new Float64Array(i + 1);
    let mx = -Infinity, z = 0;
    for (let j = 0; j <= i; j++) { let s = 0; for (let d = 0; d < Dh; d++) s += q[at(i, h, d)] * k[at(j, h, d)]; w[j] = s / Math.sqrt(Dh); mx = Math.max(mx, w[j]); }
    for (let j = 0; j <= i; j++) { w[j] = Math.exp(w[j] - mx); z += w[j]; }
    for (let d = 0; d < Dh; d++) { let s = 0; for (let j = 0; j <= i; j++) s += (w[j] / z) * v[at(j, h, d)]; o[at(i, h, d)] = s; }
  }
  return o;
}

/** Float64 central-difference gradient of sum(attention(q,k,v) * gO) w.r.t. one of q, k, v. */
function attentionGrad64(x: Inputs, which: 'q' | 'k' | 'v'): Float64Array {
  const g = new Float64Array(T * H * Dh);
  const arr = x[which];
  const loss = () => { const o = attention64(x.q, x.k, x.v); let s = 0; for (let i = 0; i < o.length; i++) s += o[i] * x.gO[i]; return s; };
  for (let i = 0; i < arr.length; i++) {
    const v0 = arr[i], h = 1e-6;
    arr[i] = v0 + h; const lp = loss();
    arr[i] = v0 - h; const lm = loss();
    arr[i] = v0;
    g[i] = (lp - lm) / (2 * h);
  }
  return g;
}

function references(x: Inputs): Record<string, Float64Array> {
  const y = softmax64(x.s, R, C);
  const gs = new Float64Array(R * C);
  for (let r = 0; r < R; r++) {
    let dot = 0;
    for (let j = 0; j < C; j++) dot += x.gS[r * C + j] * y[r * C + j];
    for (let j = 0; j < C; j++) gs[r * C + j] = y[r * C + j] * (x.gS[r * C + j] - dot);
  }
  return {
    matmul: matmul64(x.a, x.b, M, K, N),
    'matmul grad A': matmul64(x.gC, x.b, M, N, K, false, true),
    'matmul grad B': matmul64(x.a, x.gC, K, M, N, true, false),
    softmax: y,
    'softmax grad': gs,
    attention: attention64(x.q, x.k, x.v),
    'attention grad q': attentionGrad64(x, 'q'),
    'attention grad k': attentionGrad64(x, 'k'),
    'attention grad v': attentionGrad64(x, 'v'),
  };
}

/** True when the native kernels load (a load failure counts as absent; doctor reports why). */
export function nativeAvailable(): boolean {
  try { return getNativeKernels() !== null; } catch { return false; }
}

/** Runs the self-check on every available backend. `ok` is false if any check exceeds its tolerance. */
export function selfCheck(): SelfCheckResult {
  const t0 = performance.now();
  const x = makeInputs();
  const ref = references(x);
  const backends: BackendName[] = nativeAvailable() ? ['native', 'reference'] : ['reference'];
  const checks: SelfCheckItem[] = [];
  const results = new Map<BackendName, Outputs>();
  for (const be of backends) {
    let out: Outputs;
    try {
      out = withBackend(be, () => runEngine(x));
    } catch (e) {
      checks.push({ name: `${be}: ops ran (${(e as Error).message.slice(0, 120)})`, maxDiff: Infinity, tol: 0, ok: false });
      continue;
    }
    results.set(be, out);
    for (const [name, want] of Object.entries(ref)) {
      const d = relDiff(out[name], want);
      const tol = name.includes('grad') ? 1e-4 : 2e-5;
      checks.push({ name: `${be}: ${name} vs float64`, maxDiff: d, tol, ok: d <= tol });
    }
  }
  const nat = results.get('native'), rf = results.get('reference');
  if (nat && rf) {
    for (const name of Object.keys(ref)) {
      const d = relDiff(nat[name], rf[name]);
      checks.push({ name: `native vs reference: ${name}`, maxDiff: d, tol: 1e-4, ok: d <= 1e-4 });
    }
  }
  let current: BackendName;
  try { current = backendName(); } catch { current = 'reference'; }
  return { ok: checks.every((c) => c.ok), backend: current, backends, checks, ms: performance.now() - t0 };
}

export interface EngineDiagnostics {
  /** The backend ops run on now, and why. */
  backend: BackendName;
  backendReason: string;
  native: { loaded: boolean; error: string | null; info: Record<string, unknown> | null };
  /** Threads the native kernels / OpenBLAS use (from the addon), else null. */
  threads: number | null;
  cpu: { model: string; cores: number; arch: string };
  memory: { totalBytes: number; freeBytes: number; rssBytes: number };
  node: string;
  platform: string;
  selfCheck: SelfCheckResult;
}

/** Everything `glassbox doctor` reports: backend and why, BLAS build and threads, machine, and the self-check. */
export function engineDiagnostics(): EngineDiagnostics {
  const addon = loadNativeAddon();
  let info: Record<string, unknown> | null = null;
  try {
    const raw = addon?.info?.();
    if (raw && typeof raw === 'object') info = raw as Record<string, unknown>;
  } catch (e) {
    info = { error: (e as Error).message };
  }
  let kernelsError: string | null = null;
  try { getNativeKernels(); } catch (e) { kernelsError = (e as Error).message; }
  let backend: BackendName = 'reference';
  try { backend = backendName(); } catch { /* the native wrapper failed to build: reported below */ }
  const forced = process.env.GLASSBOX_BACKEND;
  const loadError = nativeLoadError() ?? kernelsError;
  const backendReason = backend === 'native'
    ? 'native addon loaded (OpenBLAS sgemm + multithreaded C++ kernels)'
    : forced === 'reference' ? 'GLASSBOX_BACKEND=reference forces the TypeScript reference kernels'
      : `native addon unavailable: ${loadError ?? 'unknown reason'} (run \`npm run build:native\`)`;
  const threads = info && typeof info.threads === 'number' ? info.threads : null;
  const cpus = os.cpus();
  return {
    backend,
    backendReason,
    native: { loaded: addon !== null && kernelsError === null, error: loadError, info },
    threads,
    cpu: { model: cpus[0]?.model?.trim() ?? 'unknown', cores: os.availableParallelism?.() ?? cpus.length, arch: process.arch },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem(), rssBytes: process.memoryUsage().rss },
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    selfCheck: selfCheck(),
  };
}
