/**
 * Model speed beside the machine's limits, measured in the same run: a Qwen2.5-0.5B-shaped model with random
 * weights — forward tokens/s (seq 128, batch 4) against the engine's sgemm peak, KV-cache decode tokens/s at
 * batch 1 and 8, batch-1 decode against memory bandwidth (bench/c/membw.c), peak RSS against f32 weight bytes.
 * The model runs in a fresh child process (so its peak RSS is its own). Ends with one JSON line.
 * Run: npx tsx bench/models.bench.ts   [--profile: per-kernel time split of one forward and one decode step]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readSync } from 'node:fs';
import { tmpdir, loadavg, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { findRepoRoot, loadNativeAddon, nativeLoadError } from '../src/engine/native-addon.js';
import { createNativeKernels } from '../src/engine/backends/native.js';
import { engineGflops } from './sgemm.bench.js';

/** Qwen2.5-0.5B's config.json fields that shape the compute (weights are random). */
export const QWEN05B = {
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, hidden_act: 'silu', max_position_embeddings: 32768,
  rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: true, bos_token_id: 151643, eos_token_id: 151643,
};

/** What runs: QWEN05B, with fewer layers when MODELS_BENCH_LAYERS says so (quick smoke runs only). */
const CFG = { ...QWEN05B, num_hidden_layers: Number(process.env.MODELS_BENCH_LAYERS ?? QWEN05B.num_hidden_layers) };
const FWD_B = 4, FWD_T = 128;
const GEN_PROMPT = 16, GEN_NEW = Number(process.env.MODELS_BENCH_NEW ?? 17);

/** Matmul parameters (every linear, plus the tied LM head) and FLOPs of one forward of B x T tokens. */
export function flopsOf(cfg: typeof QWEN05B, B: number, T: number): { matmulParams: number; flops: number } {
  const D = cfg.hidden_size, F = cfg.intermediate_size, L = cfg.num_hidden_layers, H = cfg.num_attention_heads;
  const Hkv = cfg.num_key_value_heads, Dh = D / H, V = cfg.vocab_size;
  const perLayer = D * H * Dh + 2 * D * Hkv * Dh + H * Dh * D + 3 * D * F;
  const matmulParams = L * perLayer + V * D;
  // causal attention: q.k and p.v over the T(T+1)/2 visible (query, key) pairs, 2 FLOPs per MAC
  const attn = L * B * H * 2 * 2 * Dh * (T * (T + 1)) / 2;
  return { matmulParams, flops: 2 * matmulParams * B * T + attn };
}

// ---------------------------------------------------------------- child: the model itself

/** Asks the parent (over stdout/stdin) to measure a limit now; blocks until it answers with a number. */
function askParent(what: string): number {
  process.stdout.write(`NEED ${what}\n`);
  const buf = Buffer.alloc(64);
  let line = '';
  while (!line.includes('\n')) {
    let n = 0;
    try { n = readSync(0, buf, 0, buf.length, null); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue; throw e; }
    if (n === 0) throw new Error('models bench: parent closed the pipe');
    line += buf.toString('utf8', 0, n);
  }
  return Number(line.trim());
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface ChildResult {
  createS: number; weightBytes: number; matmulParams: number;
  forwardS: number; cpuShare: number; forwardTokPerS: number;
  gen1TokPerS: number; gen1StepS: number; gen1PrefillS: number;
  gen8TokPerS: number; gen8StepS: number; gen8PrefillS: number;
  maxRssBytes: number; rssAfterCreate: number; rssAfterForward: number; rssAfterGenerate: number;
  /** Median over adjacent (limit, run) pairs of run / limit; and the limits seen. */
  fwdShareAdjacent: number; decodeShareAdjacent: number | null; childPeaks: number[]; childCopyBws: number[];
  profile?: Record<string, Record<string, number>>;
}

async function child(profile: boolean): Promise<void> {
  const { createModel, generate } = await import('../src/models/index.js');
  const { noGrad, scope, empty, Rng, getNativeKernels } = await import('../src/engine/index.js');
  const t0 = performance.now();
  const model = createModel(CFG, { seed: 1 });
  const createS = (performance.now() - t0) / 1000;
  let weightElems = 0;
  for (const t of model.params.values()) weightElems += t.size;
  const { matmulParams } = flopsOf(CFG, FWD_B, FWD_T);
  const rng = new Rng(7);
  const ids = empty([FWD_B, FWD_T], 'i32').keep();
  for (let i = 0; i < ids.size; i++) ids.data[i] = rng.int(CFG.vocab_size);

  let forwardCpuShare = 0;
  const forwardOnce = () => {
    const s = performance.now(), cpu0 = process.cpuUsage();
    noGrad(() => scope(() => { model.forward(ids).dispose(); }));
    const wall = (performance.now() - s) / 1000, cpu = process.cpuUsage(cpu0);
    forwardCpuShare = (cpu.user + cpu.system) / 1e6 / wall / availableParallelism();
    return wall;
  };
  const reps = Number(process.env.MODELS_BENCH_REPS ?? 3);
  const addon = loadNativeAddon()!;
  // the limit is measured right before each timed run too (the machine may be shared: adjacent pairs see the
  // same load), by the parent, so its buffers stay out of this process's peak RSS
  const adjacentPeak = () => askParent('peak');
  const rssAfterCreate = process.memoryUsage().rss;
  forwardOnce(); // warm-up (JIT, allocator, BLAS buffers)
  let forwardS = Infinity, cpuShare = 0;
  const fwdPairs: number[] = [], peaks: number[] = [];
  const { flops } = flopsOf(CFG, FWD_B, FWD_T);
  for (let r = 0; r < reps; r++) {
    const p = adjacentPeak();
    const w = forwardOnce();
    peaks.push(p);
    fwdPairs.push(flops / w / 1e9 / p);
    if (w < forwardS) { forwardS = w; cpuShare = forwardCpuShare; }
  }
  const rssAfterForward = process.memoryUsage().rss;

  /** Decode rate: time between the first and the last new token (pure KV-cache steps), best of reps. */
  const gen = (B: number) => {
    const prompts = Array.from({ length: B }, (_, b) => Array.from({ length: GEN_PROMPT }, (_, i) => (b * 7919 + i * 104729) % CFG.vocab_size));
    let bestStep = Infinity, prefill = Infinity;
    const pairs: number[] = [], bws: number[] = [];
    for (let r = 0; r < Math.max(1, reps - 1); r++) {
      const bw = B === 1 && bwDir ? memoryBandwidth(bwDir, addon.getThreads()) : null;
      const stamps: number[] = [];
      const s = performance.now();
      generate(model, prompts, { maxNewTokens: GEN_NEW, eosTokenIds: [], onToken: (row) => { if (row === 0) stamps.push(performance.now()); } });
      if (stamps.length !== GEN_NEW) throw new Error(`models bench: expected ${GEN_NEW} tokens, got ${stamps.length}`);
      prefill = Math.min(prefill, (stamps[0] - s) / 1000);
      const step = (stamps[GEN_NEW - 1] - stamps[0]) / 1000 / (GEN_NEW - 1);
      bestStep = Math.min(bestStep, step);
      if (bw) { bws.push(bw.copy); pairs.push(matmulParams * 4 / step / 1e9 / bw.copy); }
    }
    return { step: bestStep, prefill, tokPerS: B / bestStep, pairs, bws };
  };
  const bwDir = mkdtempSync(join(tmpdir(), 'glassbox-membw-'));
  let g1: ReturnType<typeof gen>, g8: ReturnType<typeof gen>;
  try { g1 = gen(1); g8 = gen(8); } finally { rmSync(bwDir, { recursive: true, force: true }); }
  const rssAfterGenerate = process.memoryUsage().rss;

  let prof: ChildResult['profile'];
  if (profile) {
    const k = getNativeKernels();
    if (k) {
      const times = new Map<string, number>();
      const kk = k as unknown as Record<string, unknown>;
      for (const name of Object.keys(kk)) {
        const fn = kk[name];
        if (typeof fn !== 'function') continue;
        kk[name] = (...args: unknown[]) => { const s = performance.now(); try { return (fn as (...a: unknown[]) => unknown)(...args); } finally { times.set(name, (times.get(name) ?? 0) + performance.now() - s); } };
      }
      const split = (run: () => void) => {
        times.clear();
        const s = performance.now();
        run();
        const total = performance.now() - s;
        const out: Record<string, number> = { total_ms: +total.toFixed(2) };
        let inK = 0;
        for (const [n, v] of [...times].sort((a, b) => b[1] - a[1])) { out[n] = +v.toFixed(2); inK += v; }
        out.outside_kernels_ms = +(total - inK).toFixed(2);
        return out;
      };
      const fwd = split(() => { forwardOnce(); });
      const dec = split(() => { generate(model, [[1, 2, 3, 4]], { maxNewTokens: 2, eosTokenIds: [] }); });
      prof = { forward: fwd, prefill4_plus_decode1: dec };
    }
  }
  ids.dispose();
  model.dispose();
  const res: ChildResult = {
    createS, weightBytes: weightElems * 4, matmulParams, forwardS, cpuShare, forwardTokPerS: (FWD_B * FWD_T) / forwardS,
    gen1TokPerS: g1.tokPerS, gen1StepS: g1.step, gen1PrefillS: g1.prefill,
    gen8TokPerS: g8.tokPerS, gen8StepS: g8.step, gen8PrefillS: g8.prefill,
    maxRssBytes: process.resourceUsage().maxRSS * 1024, rssAfterCreate, rssAfterForward, rssAfterGenerate,
    fwdShareAdjacent: median(fwdPairs), decodeShareAdjacent: g1.pairs.length ? median(g1.pairs) : null, childPeaks: peaks, childCopyBws: g1.bws,
    profile: prof,
  };
  console.log('CHILD_RESULT ' + JSON.stringify(res));
}

// ---------------------------------------------------------------- parent: limits, child, table

/** Copy and read bandwidth (GB/s) from bench/c/membw.c; null when gcc or the run fails. */
export function memoryBandwidth(dir: string, threads: number, mib = 512): { copy: number; read: number } | null {
  const exe = join(dir, 'membw');
  try {
    execFileSync('gcc', ['-O3', '-march=native', '-pthread', '-o', exe, join(findRepoRoot(), 'bench', 'c', 'membw.c')], { stdio: 'pipe' });
  } catch (e) {
    console.error(`membw unavailable: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
  const r = spawnSync(exe, [String(threads), String(mib)], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const get = (k: string) => Number(r.stdout.match(new RegExp(`^${k} (\\S+)$`, 'm'))?.[1] ?? NaN);
  const copy = get('copy'), read = get('read');
  return Number.isFinite(copy) && Number.isFinite(read) ? { copy, read } : null;
}

/** Copy bandwidth through the engine (one big contiguous copyStrided), read+write bytes counted: the fallback. */
function engineCopyBandwidth(mib = 512): number {
  const addon = loadNativeAddon()!;
  const k = createNativeKernels(addon);
  const n = (mib * 1024 * 1024) / 4;
  const a = new Float32Array(addon.alloc(n * 4)), b = new Float32Array(addon.alloc(n * 4));
  a.fill(1);
  k.copyStrided(a, 0, [1], b, 0, [1], [n]);
  let best = Infinity;
  for (let r = 0; r < 7; r++) { const s = performance.now(); k.copyStrided(a, 0, [1], b, 0, [1], [n]); best = Math.min(best, performance.now() - s); }
  addon.free(a.buffer as ArrayBuffer); addon.free(b.buffer as ArrayBuffer);
  return (2 * n * 4) / (best / 1000) / 1e9;
}

const gib = (b: number) => (b / 2 ** 30).toFixed(2);

/** Runs the model child, answering its NEED requests with limits measured here; resolves with its output. */
function runChild(profile: boolean): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const ch = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...(profile ? ['--profile'] : [])],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '', pending = '';
    ch.stdout.setEncoding('utf8');
    ch.stdout.on('data', (d: string) => {
      out += d; pending += d;
      let i: number;
      while ((i = pending.indexOf('\n')) >= 0) {
        const l = pending.slice(0, i);
        pending = pending.slice(i + 1);
        if (l === 'NEED peak') ch.stdin.write(`${engineGflops(2048, 2048, 2048)}\n`);
      }
    });
    ch.on('close', (status) => resolve({ status, stdout: out }));
  });
}

async function main(): Promise<void> {
  const profile = process.argv.includes('--profile');
  if (process.argv.includes('--child')) { void child(profile); return; }
  const addon = loadNativeAddon();
  if (!addon) { console.error(`models bench: native addon unavailable (${nativeLoadError()})`); process.exit(1); }
  const threads = addon.getThreads();
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-models-'));
  try {
    // limits before and after the model run; the best of both counts (the machine may be shared)
    const limits = () => ({ peak: engineGflops(2048, 2048, 2048), bw: memoryBandwidth(dir, threads) });
    const before = limits();
    const r = await runChild(profile);
    const line = r.stdout.split('\n').find((l) => l.startsWith('CHILD_RESULT '));
    if (r.status !== 0 || !line) { console.error(`models bench: child failed (status ${r.status})\n${r.stdout}`); process.exit(1); }
    const c = JSON.parse(line.slice('CHILD_RESULT '.length)) as ChildResult;
    const after = limits();
    const peak = Math.max(before.peak, after.peak, ...c.childPeaks);
    const bwC = before.bw && after.bw ? { copy: Math.max(before.bw.copy, after.bw.copy, ...c.childCopyBws), read: Math.max(before.bw.read, after.bw.read) } : before.bw ?? after.bw;
    const copyBw = bwC ? bwC.copy : engineCopyBandwidth();
    const { flops } = flopsOf(CFG, FWD_B, FWD_T);
    const fwdGflops = flops / c.forwardS / 1e9;
    const decodeBytes = c.matmulParams * 4; // every matmul weight (LM head included) is read once per step
    const decodeBw = decodeBytes / c.gen1StepS / 1e9;
    const rssX = c.maxRssBytes / c.weightBytes;
    const rows: [string, string, string, string][] = [
      ['forward B=4 T=128', `${c.forwardTokPerS.toFixed(1)} tok/s (${fwdGflops.toFixed(1)} GFLOP/s)`, `sgemm peak ${peak.toFixed(1)} GFLOP/s`, `${(fwdGflops / peak).toFixed(3)} (target >= 0.7)`],
      ['decode B=1 (KV cache)', `${c.gen1TokPerS.toFixed(2)} tok/s (${decodeBw.toFixed(2)} GB/s of weights)`, `copy ${copyBw.toFixed(2)} GB/s${bwC ? `, read ${bwC.read.toFixed(2)}` : ''}`, `${(decodeBw / copyBw).toFixed(3)} (target >= 0.6)`],
      ...(bwC ? [
        ['  same, copy counted once', 'copy as bytes copied/s (mbw, numpy)', `copy ${(copyBw / 2).toFixed(2)} GB/s`, `${(decodeBw / (copyBw / 2)).toFixed(3)}`],
        ['  same, vs read ceiling', 'best read-only loop (membw)', `read ${bwC.read.toFixed(2)} GB/s`, `${(decodeBw / bwC.read).toFixed(3)}`],
        ['  read-only ceiling', 'no read-only stream passes read/copy', '', `${(bwC.read / copyBw).toFixed(3)} of copy`],
      ] as [string, string, string, string][] : []),
      ['  same, vs adjacent limit', `median over ${c.childPeaks.length} (sgemm, forward) pairs`, `peaks ${c.childPeaks.map((x) => x.toFixed(0)).join('/')} GFLOP/s`, c.fwdShareAdjacent.toFixed(3)],
      ['  same, vs adjacent limit', `median over ${c.childCopyBws.length} (copy, decode) pairs`, `copy ${c.childCopyBws.map((x) => x.toFixed(1)).join('/')} GB/s`, c.decodeShareAdjacent === null ? 'n/a' : c.decodeShareAdjacent.toFixed(3)],
      ['decode B=8 (KV cache)', `${c.gen8TokPerS.toFixed(2)} tok/s`, `${(c.gen8TokPerS / c.gen1TokPerS).toFixed(2)}x batch 1`, ''],
      ['prefill 16 tokens', `B=1 ${c.gen1PrefillS.toFixed(2)} s, B=8 ${c.gen8PrefillS.toFixed(2)} s`, '', ''],
      ['peak RSS', `${(c.maxRssBytes / 2 ** 30).toFixed(2)} GiB`, `f32 weights ${(c.weightBytes / 2 ** 30).toFixed(2)} GiB`, `${rssX.toFixed(3)}x (target <= 1.3)`],
      ['  RSS checkpoints', `create ${gib(c.rssAfterCreate)}, forward ${gib(c.rssAfterForward)}, generate ${gib(c.rssAfterGenerate)} GiB`, '', ''],
      ['createModel', `${c.createS.toFixed(1)} s`, '', ''],
    ];
    console.log(`Qwen2.5-0.5B-shaped model${CFG.num_hidden_layers !== QWEN05B.num_hidden_layers ? ` (${CFG.num_hidden_layers} layers only)` : ''}, random weights, ${threads} threads, ${addon.info().blas}`);
    console.log(`machine load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores; the best forward got ${(c.cpuShare * 100).toFixed(0)}% of the cores' time (a shared machine slows every figure, limits included)`);
    console.log(['measure', 'value', 'limit (same run)', 'share'].map((s, i) => s.padEnd([28, 44, 36, 20][i])).join(''));
    for (const row of rows) console.log(row.map((s, i) => s.padEnd([28, 44, 36, 20][i])).join(''));
    if (c.profile) for (const [k, v] of Object.entries(c.profile)) console.log(`profile ${k}: ${JSON.stringify(v)}`);
    const result: Record<string, number> = {
      models_forward_tok_s: +c.forwardTokPerS.toFixed(2), models_forward_gflops: +fwdGflops.toFixed(2),
      models_sgemm_peak_gflops: +peak.toFixed(2), models_forward_share_of_peak: +(fwdGflops / peak).toFixed(4),
      models_decode_b1_tok_s: +c.gen1TokPerS.toFixed(3), models_decode_b8_tok_s: +c.gen8TokPerS.toFixed(3),
      models_decode_b1_weight_gbs: +decodeBw.toFixed(3), models_copy_bw_gbs: +copyBw.toFixed(3),
      models_decode_share_of_bw: +(decodeBw / copyBw).toFixed(4),
      models_forward_share_adjacent: +c.fwdShareAdjacent.toFixed(4),
      ...(c.decodeShareAdjacent === null ? {} : { models_decode_share_adjacent: +c.decodeShareAdjacent.toFixed(4) }),
      models_forward_cpu_share: +c.cpuShare.toFixed(3), models_load_avg: +loadavg()[0].toFixed(2),
      models_peak_rss_bytes: c.maxRssBytes, models_weight_bytes: c.weightBytes, models_rss_over_weights: +rssX.toFixed(4),
    };
    if (bwC) {
      result.models_read_bw_gbs = +bwC.read.toFixed(3);
      result.models_decode_share_of_read = +(decodeBw / bwC.read).toFixed(4);
      result.models_decode_share_of_copy_bytes = +(decodeBw / (copyBw / 2)).toFixed(4);
    }
    console.log(JSON.stringify(result));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
