/**
 * Profile of one training step at the tiny organism's shape: wall time per phase and per kernel (gemm split by
 * shape and transpose flags), time outside kernels (JS: ops, autograd, allocation) and bytes allocated (zeroed
 * or not), per step. Not a bench (no JSON line); kernels are timed through wrappers, so totals run a little high.
 * Run: npx tsx bench/train-profile.ts   (PROFILE_STEPS=3, PROFILE_MODEL=tiny|gpt2)
 */
import { performance } from 'node:perf_hooks';
import { K, scope, reshape } from '../src/engine/index.js';
import { Storage } from '../src/engine/storage.js';
import { loadNativeAddon } from '../src/engine/native-addon.js';
import { clipGradNorm, maskedTokenLoss } from '../src/nn/index.js';
import { TINY, GPT2_SMALL, trainingSetup } from './train.bench.js';

const shape = process.env.PROFILE_MODEL === 'gpt2' ? GPT2_SMALL : TINY;
const steps = Number(process.env.PROFILE_STEPS ?? 3);
const { model, opt, ids, tgt, V, B, T } = trainingSetup(shape);

const stats = new Map<string, { ms: number; n: number }>();
let phase = '';
const kern = K() as unknown as Record<string, unknown>;
for (const key of Object.keys(kern)) {
  const fn = kern[key];
  if (typeof fn !== 'function') continue;
  kern[key] = (...args: unknown[]) => {
    const t0 = performance.now();
    const r = (fn as (...a: unknown[]) => unknown)(...args);
    const ms = performance.now() - t0;
    let label = key;
    if (key === 'gemm') label = `gemm ${args[0] ? 'T' : 'N'}${args[1] ? 'T' : 'N'} M${args[2]} N${args[3]} K${args[4]} b${args[19]}`;
    else if (key === 'binary') label = `binary op${args[0]} [${args[8]}] a[${args[3]}] b[${args[6]}]`;
    else if (key === 'unary' || key === 'unaryBackward') label = `${key} op${args[0]}`;
    else if (key === 'copyStrided') label = `copyStrided [${args[6]}] src[${args[2]}]`;
    else if (key === 'reduce') label = `reduce op${args[0]} ${args[3]}x${args[4]}x${args[5]}`;
    label = `${phase}:${label}`;
    const s = stats.get(label) ?? { ms: 0, n: 0 };
    s.ms += ms; s.n++;
    stats.set(label, s);
    return r;
  };
}
const allocBytes: Record<string, number> = {};
const origAlloc = Storage.alloc.bind(Storage);
const allocMs: Record<string, number> = {};
(Storage as unknown as { alloc: typeof Storage.alloc }).alloc = (dtype, n, zero = true) => { const key = `${phase}${zero ? '' : '(uninit)'}`; allocBytes[key] = (allocBytes[key] ?? 0) + 4 * n; const t0 = performance.now(); const r = origAlloc(dtype, n, zero); allocMs[key] = (allocMs[key] ?? 0) + performance.now() - t0; return r; };
const origRelease = Storage.prototype.release;
Storage.prototype.release = function (this: Storage) { const t0 = performance.now(); origRelease.call(this); allocMs['free:' + phase] = (allocMs['free:' + phase] ?? 0) + performance.now() - t0; };
const phases: Record<string, number> = {};
const timed = <T>(name: string, fn: () => T): T => { phase = name; const t0 = performance.now(); const r = fn(); phases[name] = (phases[name] ?? 0) + performance.now() - t0; return r; };
const step = () => {
  scope(() => {
    const logits = timed('fwd', () => model.forward(ids));
    const loss = timed('loss', () => maskedTokenLoss(reshape(logits, [B * T, V]), reshape(tgt, [B * T])));
    timed('bwd', () => loss.backward());
  });
  timed('clip', () => clipGradNorm(model.params, 1));
  timed('adamw', () => opt.step());
  timed('zero', () => opt.zeroGrad());
};
step();
stats.clear();
for (const k of Object.keys(allocBytes)) delete allocBytes[k];
for (const k of Object.keys(allocMs)) delete allocMs[k];
for (const k of Object.keys(phases)) delete phases[k];
const t0 = performance.now();
for (let s = 0; s < steps; s++) step();
const total = (performance.now() - t0) / steps;
const rows = [...stats.entries()].map(([k, v]) => ({ k, ms: v.ms / steps, n: v.n / steps })).sort((a, b) => b.ms - a.ms);
const kernelMs = rows.reduce((a, r) => a + r.ms, 0);
console.log(`${shape.name}: ${total.toFixed(1)} ms/step; kernels ${kernelMs.toFixed(1)} ms, outside kernels ${(total - kernelMs).toFixed(1)} ms`);
console.log('phases (ms/step): ' + Object.entries(phases).map(([k, v]) => `${k} ${(v / steps).toFixed(1)}`).join(', '));
console.log('allocated MB/step: ' + Object.entries(allocBytes).map(([k, v]) => `${k} ${(v / steps / 1e6).toFixed(0)}`).join(', '));
console.log('alloc/free ms/step: ' + Object.entries(allocMs).map(([k, v]) => `${k} ${(v / steps).toFixed(1)}`).join(', '));
const byKernel = new Map<string, number>();
for (const r of rows) { const k = r.k.split(' ')[0]; byKernel.set(k, (byKernel.get(k) ?? 0) + r.ms); }
console.log('by phase:kernel: ' + [...byKernel.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
for (const r of rows.slice(0, Number(process.env.PROFILE_TOP ?? 45))) console.log(`${r.ms.toFixed(2).padStart(8)} ms ${String(r.n).padStart(5)}x  ${r.k}`);
console.log('memStats', JSON.stringify((loadNativeAddon() as unknown as { memStats(): unknown }).memStats()));
