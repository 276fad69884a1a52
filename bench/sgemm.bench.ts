/**
 * sgemm GFLOP/s: the engine's gemm kernel (native backend) against OpenBLAS called from C (bench/c/sgemm.c,
 * built here with gcc -O2 -lopenblas) and numpy when python3 has it, same shapes, same thread count, same
 * method (best of 7 rounds of ~0.15 s). Prints a table with engine/C ratios (bar >= 0.95) and ends with
 * one JSON line. Run: npx tsx bench/sgemm.bench.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findRepoRoot, loadNativeAddon, nativeLoadError } from '../src/engine/native-addon.js';
import { createNativeKernels } from '../src/engine/backends/native.js';

export const SHAPES: [number, number, number][] = [[512, 512, 512], [1024, 1024, 1024], [2048, 2048, 2048], [512, 2048, 512]];

function fill(a: Float32Array, p: number, m: number): void {
  for (let i = 0; i < a.length; i++) a[i] = ((i * p) % m) / m - 0.5;
}

/** GFLOP/s of the native gemm kernel on row-major C = A B. */
export function engineGflops(M: number, N: number, K: number): number {
  const addon = loadNativeAddon();
  if (!addon) throw new Error(`sgemm bench: native addon unavailable (${nativeLoadError()})`);
  const k = createNativeKernels(addon);
  const A = new Float32Array(addon.alloc(M * K * 4)), B = new Float32Array(addon.alloc(K * N * 4)), C = new Float32Array(addon.alloc(M * N * 4));
  fill(A, 7919, 13); fill(B, 104729, 17);
  const run = () => k.gemm(false, false, M, N, K, 1, A, 0, K, 0, B, 0, N, 0, 0, C, 0, N, 0, 1);
  run();
  let t0 = performance.now();
  run();
  const one = (performance.now() - t0) / 1000;
  const reps = Math.max(1, Math.floor(0.15 / Math.max(one, 1e-6)));
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  addon.free(A.buffer as ArrayBuffer); addon.free(B.buffer as ArrayBuffer); addon.free(C.buffer as ArrayBuffer);
  return (2 * M * N * K) / best / 1e9;
}

/** Compiles bench/c/sgemm.c into a temp folder; returns the executable, or null (reason printed). */
export function buildCReference(dir: string): string | null {
  const exe = join(dir, 'sgemm');
  try {
    execFileSync('gcc', ['-O2', '-o', exe, join(findRepoRoot(), 'bench', 'c', 'sgemm.c'), '-lopenblas'], { stdio: 'pipe' });
    return exe;
  } catch (e) {
    console.error(`C reference unavailable: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

/** GFLOP/s of cblas_sgemm from C for one shape. */
export function cGflops(exe: string, threads: number, M: number, N: number, K: number): number | null {
  const r = spawnSync(exe, [String(threads), String(M), String(N), String(K)], { encoding: 'utf8' });
  return r.status === 0 ? firstValue(r.stdout) : null;
}

function firstValue(out: string): number | null {
  const parts = out.trim().split(/\s+/);
  const v = Number(parts[3]);
  return Number.isFinite(v) ? v : null;
}

const NUMPY = `
import sys, time, numpy as np
M, N, K = (int(x) for x in sys.argv[1:4])
A = ((np.arange(M*K) * 7919) % 13 / 13 - 0.5).astype(np.float32).reshape(M, K)
B = ((np.arange(K*N) * 104729) % 17 / 17 - 0.5).astype(np.float32).reshape(K, N)
C = np.empty((M, N), np.float32)
np.matmul(A, B, out=C)
t0 = time.perf_counter(); np.matmul(A, B, out=C); one = time.perf_counter() - t0
reps = max(1, int(0.15 / max(one, 1e-6))); best = 1e30
for _ in range(7):
    t0 = time.perf_counter()
    for _ in range(reps): np.matmul(A, B, out=C)
    best = min(best, (time.perf_counter() - t0) / reps)
print(M, N, K, '%.2f' % (2*M*N*K / best / 1e9), flush=True)
`;

/** Whether python3 (as found on PATH) imports numpy. */
export function hasNumpy(): boolean {
  return spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
}

/** GFLOP/s of numpy's matmul (its own BLAS, run as is) for one shape. */
export function numpyGflops(threads: number, M: number, N: number, K: number): number | null {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const r = spawnSync('python3', ['-c', NUMPY, String(M), String(N), String(K)], { encoding: 'utf8', env });
  return r.status === 0 ? firstValue(r.stdout) : null;
}

const best = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

function main(): void {
  const addon = loadNativeAddon();
  if (!addon) { console.error(`sgemm bench: native addon unavailable (${nativeLoadError()})`); process.exit(1); }
  const threads = addon.getThreads();
  const trials = Number(process.env.SGEMM_TRIALS ?? 3);
  console.log(`sgemm GFLOP/s, ${threads} threads, ${addon.info().blas}; engine, C and numpy measured alternately, best of ${trials} trials`);
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-sgemm-'));
  const result: Record<string, number> = {};
  try {
    const exe = buildCReference(dir);
    const numpy = hasNumpy();
    console.log(['shape (MxNxK)', 'engine', 'C', 'numpy', 'engine/C'].map((s) => s.padStart(15)).join(''));
    for (const [M, N, K] of SHAPES) {
      const key = `${M}x${N}x${K}`;
      let e: number | null = null, c: number | null = null, np: number | null = null;
      for (let t = 0; t < trials; t++) {
        if (exe) c = best(c, cGflops(exe, threads, M, N, K));
        e = best(e, engineGflops(M, N, K));
        if (numpy) np = best(np, numpyGflops(threads, M, N, K));
      }
      const ratio = c && e ? e / c : null;
      result[`sgemm_engine_gflops_${key}`] = +(e ?? 0).toFixed(2);
      if (c !== null) result[`sgemm_c_gflops_${key}`] = c;
      if (ratio !== null) result[`sgemm_ratio_${key}`] = +ratio.toFixed(3);
      if (np !== null) result[`sgemm_numpy_gflops_${key}`] = np;
      console.log([key, e?.toFixed(1) ?? 'n/a', c?.toFixed(1) ?? 'n/a', np?.toFixed(1) ?? 'n/a',
        ratio === null ? 'n/a' : `${ratio.toFixed(3)}${ratio >= 0.95 ? '' : ' (<0.95)'}`].map((s) => s.padStart(15)).join(''));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
