// Bench: forward+backward of a GPT-2-style block (T=128, D=512, 8 heads, MLP 2048, vocab 1000, LayerNorm,
// GELU-tanh, tied LM head, cross-entropy) on the engine beside libtorch C++ and PyTorch (when present), same
// run. Bar: engine <= 1.0x libtorch. Env: BENCH_ITERS (20), BENCH_WARMUP (5), BENCH_PYTHON. Ends with one JSON line.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir, availableParallelism, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scope, tensor, backendName, loadNativeAddon, storageStats, type Tensor } from '../src/engine/index.js';
import { blockForward, initBlockParams, toEngineParams, type BlockConfig } from '../test/engine/gpt-block.js';

const cfg: BlockConfig = { T: 128, D: 512, H: 8, F: 2048, V: 1000 };
const ITERS = Number(process.env.BENCH_ITERS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const here = dirname(fileURLToPath(import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/** The engine's median ms per forward+backward step (gradients reset each step, like zero_grad(set_to_none)). */
function benchEngine(): { ms: number; min: number; loss: number } {
  const p64 = initBlockParams(cfg, 1);
  // GPT-2-like scale for the big block: shrink matrices so activations stay in range
  for (const [k, a] of Object.entries(p64)) if (k.startsWith('w_') || k === 'wte') for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i] * 0.05);
  const params = toEngineParams(cfg, p64);
  for (const t of Object.values(params)) t.requireGrad().keep();
  const ids = new Int32Array(cfg.T), targets = new Int32Array(cfg.T);
  for (let i = 0; i < cfg.T; i++) { ids[i] = (i * 7919) % cfg.V; targets[i] = (i * 104729 + 13) % cfg.V; }
  const idsT = tensor(ids, [cfg.T]).keep(), targetsT = tensor(targets, [cfg.T]).keep();
  let loss = NaN;
  const step = (): number => {
    const t0 = performance.now();
    scope(() => {
      const { loss: l } = blockForward(cfg, params, idsT, targetsT);
      l.backward();
      loss = l.item();
    });
    const ms = performance.now() - t0;
    for (const t of Object.values(params) as Tensor[]) { t.grad?.dispose(); t.grad = null; }
    return ms;
  };
  for (let i = 0; i < WARMUP; i++) step();
  const live = storageStats.live;
  const times: number[] = [];
  for (let i = 0; i < ITERS; i++) times.push(step());
  if (storageStats.live !== live) console.log(`warning: ${storageStats.live - live} storages leaked over ${ITERS} steps`);
  for (const t of [...Object.values(params), idsT, targetsT]) t.dispose();
  return { ms: median(times), min: Math.min(...times), loss };
}

interface External { ms: number | null; min: number | null; note: string }

/** Builds (once, cached in the temp dir) and runs the libtorch C++ block. */
function benchLibtorch(threads: number): External {
  const src = join(here, 'c', 'block_libtorch.cpp');
  const bin = join(tmpdir(), 'glassbox-bench', 'block_libtorch');
  if (!existsSync('/usr/include/torch/csrc/api/include/torch/torch.h')) return { ms: null, min: null, note: 'libtorch not installed (apt-get install libtorch-dev)' };
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    console.log('building bench/c/block_libtorch.cpp (about a minute, once) ...');
    const b = spawnSync('bash', [join(here, 'c', 'build-block-libtorch.sh'), bin], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (b.status !== 0) return { ms: null, min: null, note: `libtorch build failed (exit ${b.status})` };
  }
  const run = (env: NodeJS.ProcessEnv, how: string): External => {
    const r = spawnSync(bin, [String(ITERS), String(WARMUP), String(cfg.T), String(cfg.D), String(cfg.H), String(cfg.F), String(cfg.V), String(threads)], { encoding: 'utf8', env });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      const j = JSON.parse(line) as { median_ms: number; min_ms: number; torch: string; threads: number };
      return { ms: j.median_ms, min: j.min_ms, note: `libtorch ${j.torch} C++, ${j.threads} threads${how}` };
    } catch {
      return { ms: null, min: null, note: `libtorch run failed: ${(r.stderr || line).slice(0, 200)}` };
    }
  };
  return bestUnderLoad(run);
}

/**
 * OpenMP's spin-waiting collapses when other processes compete for the cores (seen: 5-10x slower at load
 * 10 on 2 cores). On a loaded machine also run with passive waiting and keep the reference's better time,
 * so the ratio never flatters the engine.
 */
function bestUnderLoad(run: (env: NodeJS.ProcessEnv, how: string) => External): External {
  const byDefault = run(process.env, '');
  if (loadavg()[0] <= availableParallelism() || byDefault.ms === null) return byDefault;
  const passive = run({ ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, ', OMP_WAIT_POLICY=PASSIVE (faster than the default on this loaded machine)');
  return passive.ms !== null && passive.ms < byDefault.ms ? passive : byDefault;
}

const PY = `
import sys, time, json
import torch
import torch.nn.functional as F
T, D, H, Fd, V, iters, warm, threads = map(int, sys.argv[1:9])
torch.set_num_threads(threads); torch.manual_seed(0)
Dh = D // H
def P(*s, std=0.02, mean=0.0): return (torch.randn(*s) * std + mean).requires_grad_()
wte = P(V, D); ln1w, ln1b, ln2w, ln2b, lnfw, lnfb = P(D, std=0, mean=1), P(D, std=0), P(D, std=0, mean=1), P(D, std=0), P(D, std=0, mean=1), P(D, std=0)
wqkv, bqkv, wo, bo = P(3 * D, D), P(3 * D, std=0), P(D, D), P(D, std=0)
wfc, bfc, wpr, bpr = P(Fd, D), P(Fd, std=0), P(D, Fd), P(D, std=0)
ps = [wte, ln1w, ln1b, wqkv, bqkv, wo, bo, ln2w, ln2b, wfc, bfc, wpr, bpr, lnfw, lnfb]
ids = torch.randint(V, (1, T)); tg = torch.randint(V, (T,))
def step():
    for p in ps: p.grad = None
    x0 = F.embedding(ids, wte)
    h = F.layer_norm(x0, (D,), ln1w, ln1b, 1e-5)
    q, k, v = F.linear(h, wqkv, bqkv).view(1, T, 3, H, Dh).permute(2, 0, 3, 1, 4)
    a = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(1, T, D)
    x1 = x0 + F.linear(a, wo, bo)
    x2 = x1 + F.linear(F.gelu(F.linear(F.layer_norm(x1, (D,), ln2w, ln2b, 1e-5), wfc, bfc), approximate='tanh'), wpr, bpr)
    logits = F.linear(F.layer_norm(x2, (D,), lnfw, lnfb, 1e-5), wte)
    loss = F.cross_entropy(logits.view(T, V), tg); loss.backward()
for _ in range(warm): step()
ts = []
for _ in range(iters):
    t0 = time.perf_counter(); step(); ts.append((time.perf_counter() - t0) * 1000)
ts.sort(); n = len(ts)
print(json.dumps({"median_ms": ts[n // 2] if n % 2 else 0.5 * (ts[n // 2 - 1] + ts[n // 2]), "min_ms": ts[0], "torch": torch.__version__, "threads": torch.get_num_threads()}))
`;

function benchPyTorch(threads: number): External {
  const python = process.env.BENCH_PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { ms: null, min: null, note: `PyTorch not installed (${python} -c "import torch" fails; BENCH_PYTHON picks another python)` };
  return bestUnderLoad((env, how) => {
    const r = spawnSync(python, ['-c', PY, String(cfg.T), String(cfg.D), String(cfg.H), String(cfg.F), String(cfg.V), String(ITERS), String(WARMUP), String(threads)], { encoding: 'utf8', env });
    try {
      const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { median_ms: number; min_ms: number; torch: string; threads: number };
      return { ms: j.median_ms, min: j.min_ms, note: `PyTorch ${j.torch}, ${j.threads} threads${how}` };
    } catch {
      return { ms: null, min: null, note: `PyTorch run failed: ${r.stderr.slice(0, 200)}` };
    }
  });
}

const info = (loadNativeAddon()?.info?.() ?? {}) as { threads?: number; blas?: string };
const threads = info.threads ?? availableParallelism();
console.log(`GPT-2-style block fwd+bwd: T=${cfg.T} D=${cfg.D} H=${cfg.H} MLP=${cfg.F} V=${cfg.V}, ${ITERS} iterations after ${WARMUP} warm-up, median`);
const eng1 = benchEngine();
const lt = benchLibtorch(threads);
const pt = benchPyTorch(threads);
// The references get two tries on a loaded machine (bestUnderLoad); the engine gets a second round after them.
const eng2 = loadavg()[0] > availableParallelism() ? benchEngine() : eng1;
const eng = eng2.ms < eng1.ms ? eng2 : eng1;
console.log(`engine (${backendName()}, ${threads} threads)  ${eng.ms.toFixed(2)} ms  (min ${eng.min.toFixed(2)}, loss ${eng.loss.toFixed(4)})${eng2 !== eng1 ? ` [better of 2 rounds: ${eng1.ms.toFixed(2)}, ${eng2.ms.toFixed(2)} ms]` : ''}`);
console.log(lt.ms !== null ? `${lt.note}  ${lt.ms.toFixed(2)} ms  (min ${lt.min!.toFixed(2)})  -> engine/libtorch = ${(eng.ms / lt.ms).toFixed(2)}x median, ${(eng.min / lt.min!).toFixed(2)}x min (bar <= 1.00x)` : lt.note);
console.log(pt.ms !== null ? `${pt.note}  ${pt.ms.toFixed(2)} ms  (min ${pt.min!.toFixed(2)})  -> engine/PyTorch = ${(eng.ms / pt.ms).toFixed(2)}x median, ${(eng.min / pt.min!).toFixed(2)}x min` : pt.note);
// Medians are the figures; minima are printed too because a loaded machine inflates medians unevenly.
const figures: Record<string, number> = { block_engine_ms: round(eng.ms), block_engine_min_ms: round(eng.min) };
if (lt.ms !== null) { figures.block_libtorch_ms = round(lt.ms); figures.block_libtorch_min_ms = round(lt.min!); figures.block_engine_over_libtorch = round(eng.ms / lt.ms); }
if (pt.ms !== null) { figures.block_pytorch_ms = round(pt.ms); figures.block_pytorch_min_ms = round(pt.min!); figures.block_engine_over_pytorch = round(eng.ms / pt.ms); }
const load = loadavg()[0];
if (load > availableParallelism()) console.log(`note: load average ${load.toFixed(1)} on ${availableParallelism()} cores: other processes are competing, figures are noisy`);
console.log(JSON.stringify(figures));

function round(x: number): number { return Math.round(x * 1000) / 1000; }
