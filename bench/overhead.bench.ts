/**
 * Per-call overhead of a tiny native kernel from JS (unary exp on 8 elements, and a 2x3 binary add through
 * the stride-packing path), in ns per call, against the reference kernel doing the same work.
 * Target: under 1000 ns. Ends with one JSON line. Run: npx tsx bench/overhead.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { loadNativeAddon, nativeLoadError } from '../src/engine/native-addon.js';
import { createNativeKernels } from '../src/engine/backends/native.js';
import { referenceKernels } from '../src/engine/backends/reference.js';
import { BinaryOp, UnaryOp, type Kernels } from '../src/engine/kernels.js';

function nsPerCall(fn: () => void, calls = 200_000): number {
  for (let i = 0; i < 20_000; i++) fn(); // warm up (JIT)
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, ((performance.now() - t0) * 1e6) / calls);
  }
  return best;
}

export function measureOverhead(k: Kernels): { unary: number; binary: number } {
  const x = new Float32Array(8).fill(0.5), y = new Float32Array(8);
  const a = new Float32Array(6), b = new Float32Array(3), out = new Float32Array(6);
  const unary = nsPerCall(() => k.unary(UnaryOp.exp, x, 0, y, 8, 0));
  const binary = nsPerCall(() => k.binary(BinaryOp.add, a, 0, [3, 1], b, 0, [0, 1], out, [2, 3]));
  return { unary, binary };
}

function main(): void {
  const addon = loadNativeAddon();
  if (!addon) { console.error(`overhead bench: native addon unavailable (${nativeLoadError()})`); process.exit(1); }
  const n = measureOverhead(createNativeKernels(addon));
  const r = measureOverhead(referenceKernels);
  console.log(`per-call overhead (ns/call, best of 5 x 200k calls)`);
  console.log(`  native unary exp n=8:      ${n.unary.toFixed(0)} ns ${n.unary < 1000 ? '(< 1000 target met)' : '(OVER the 1000 ns target)'}`);
  console.log(`  native binary add [2,3]:   ${n.binary.toFixed(0)} ns`);
  console.log(`  reference unary exp n=8:   ${r.unary.toFixed(0)} ns`);
  console.log(`  reference binary add [2,3]: ${r.binary.toFixed(0)} ns`);
  console.log(JSON.stringify({ overhead_native_unary_ns: +n.unary.toFixed(1), overhead_native_binary_ns: +n.binary.toFixed(1), overhead_reference_unary_ns: +r.unary.toFixed(1), overhead_reference_binary_ns: +r.binary.toFixed(1) }));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
