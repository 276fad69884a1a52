// Property test of the addon's safety: random argument lists (small and negative integers, wrong typed
// array kinds, short arrays, detached buffers, bad shapes) thrown at every native entry point must either
// run or throw a JS Error; a crash would kill this process and fail the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadNativeAddon, nativeLoadError } from '../../src/engine/native-addon.js';

const addon = loadNativeAddon();
const skip = addon ? false : `native addon unavailable: ${nativeLoadError()}`;

type Kind = 'f32' | 'i32' | 'f32?' | 'i32?' | 'any32' | 'int' | 'num' | 'bool' | 'dims' | 'geom';

// The argument kinds of each entry point (native/src/addon.cc), in order.
const SCHEMA: Record<string, Kind[]> = {
  copyStrided: ['any32', 'int', 'any32', 'int', 'int', 'dims'],
  fill: ['any32', 'int', 'int', 'num'],
  axpy: ['int', 'num', 'f32', 'int', 'f32', 'int'],
  unary: ['int', 'f32', 'int', 'f32', 'int', 'num'],
  unaryBackward: ['int', 'f32', 'int', 'f32', 'f32', 'f32', 'int', 'num'],
  binary: ['int', 'f32', 'int', 'f32', 'int', 'f32', 'int', 'dims'],
  reduce: ['int', 'f32', 'int', 'int', 'int', 'int', 'f32', 'i32?'],
  gemm: ['bool', 'bool', 'int', 'int', 'int', 'num', 'f32', 'int', 'int', 'int', 'f32', 'int', 'int', 'int', 'num', 'f32', 'int', 'int', 'int', 'int'],
  softmax: ['f32', 'int', 'f32', 'int', 'int', 'bool'],
  softmaxBackward: ['f32', 'f32', 'f32', 'int', 'int', 'bool'],
  layerNorm: ['f32', 'int', 'f32?', 'int', 'f32?', 'int', 'f32', 'f32', 'f32', 'int', 'int', 'num'],
  layerNormBackward: ['f32', 'int', 'f32?', 'int', 'f32', 'f32', 'f32', 'f32', 'f32?', 'f32?', 'int', 'int'],
  rmsNorm: ['f32', 'int', 'f32?', 'int', 'f32', 'f32', 'int', 'int', 'num', 'num'],
  rmsNormBackward: ['f32', 'int', 'f32?', 'int', 'f32', 'f32', 'f32', 'f32?', 'int', 'int', 'num'],
  rope: ['f32', 'int', 'f32', 'f32', 'f32', 'int', 'int', 'int', 'int', 'int', 'int', 'int', 'bool'],
  attention: ['f32', 'f32', 'f32', 'geom', 'i32?', 'f32', 'f32?'],
  attentionBackward: ['f32', 'f32', 'f32', 'geom', 'i32?', 'f32', 'f32', 'f32', 'f32', 'f32'],
  embedding: ['f32', 'int', 'int', 'int', 'i32', 'int', 'int', 'f32'],
  embeddingBackward: ['f32', 'i32', 'int', 'int', 'int', 'int', 'f32'],
  crossEntropy: ['f32', 'int', 'int', 'int', 'i32', 'int', 'int', 'f32', 'f32'],
  crossEntropyBackward: ['f32', 'int', 'f32', 'i32', 'int', 'int', 'int', 'int', 'f32', 'f32'],
  gatherRows: ['f32', 'int', 'int', 'int', 'i32', 'int', 'f32'],
  gatherRowsBackward: ['f32', 'i32', 'int', 'int', 'int', 'f32'],
  topk: ['f32', 'int', 'int', 'int', 'int', 'f32', 'i32'],
  sampleLogits: ['f32', 'int', 'int', 'int', 'num', 'int', 'num', 'f32', 'i32'],
  adamw: ['int', 'f32', 'int', 'f32', 'int', 'f32', 'f32', 'num', 'num', 'num', 'num', 'num', 'num', 'num'],
  swiglu: ['f32', 'int', 'f32', 'int', 'f32', 'int'],
  swigluBackward: ['f32', 'int', 'f32', 'int', 'f32', 'int', 'f32', 'f32', 'int'],
  sumSquares: ['f32', 'int', 'int'],
  tokenLogProbs: ['f32', 'int', 'int', 'int', 'i32', 'int', 'int', 'num', 'f32', 'f32'],
  tokenLogProbsBackward: ['f32', 'int', 'f32', 'i32', 'int', 'int', 'int', 'int', 'num', 'f32', 'f32'],
};

const smallInt = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: -3, max: -1 }) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, 2 ** 31, 2 ** 53, NaN, Infinity, 1e300) },
);
const f32arr = fc.integer({ min: 0, max: 40 }).map((n) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 13) - 6));
const i32arr = fc.integer({ min: 0, max: 40 }).map((n) => Int32Array.from({ length: n }, (_, i) => ((i * 31) % 9) - 1));
const detached = fc.constant(0).map(() => { const ab = addon!.alloc(64); const v = new Float32Array(ab); addon!.free(ab); return v; });

function argFor(kind: Kind): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'f32': return fc.oneof({ weight: 10, arbitrary: f32arr }, { weight: 1, arbitrary: i32arr }, { weight: 1, arbitrary: detached });
    case 'i32': return fc.oneof({ weight: 10, arbitrary: i32arr }, { weight: 1, arbitrary: f32arr });
    case 'f32?': return fc.oneof(f32arr, fc.constant(null));
    case 'i32?': return fc.oneof(i32arr, fc.constant(null));
    case 'any32': return fc.oneof(f32arr, i32arr, detached);
    case 'int': return smallInt;
    case 'num': return fc.oneof(fc.double({ min: -4, max: 4, noNaN: true }), fc.constantFrom(0, 1, NaN, -Infinity));
    case 'bool': return fc.oneof(fc.boolean(), fc.constantFrom(0, 1, 2));
    case 'dims': return fc.array(fc.integer({ min: -3, max: 8 }), { maxLength: 20 }).map((a) => Int32Array.from(a));
    case 'geom': return fc.array(smallInt, { minLength: 18, maxLength: 22 }).map((a) => Float64Array.from(a as number[]));
  }
}

const call = fc.constantFrom(...Object.keys(SCHEMA)).chain((name) =>
  fc.tuple(fc.constant(name), fc.tuple(...SCHEMA[name].map(argFor)), fc.integer({ min: 0, max: 2 })));

test('random arguments at every native entry point: a result or a thrown Error, never a crash', { skip }, () => {
  let threw = 0, ran = 0;
  fc.assert(fc.property(call, ([name, args, drop]) => {
    const fn = (addon as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    const list = drop === 2 ? args.slice(0, Math.max(0, args.length - 1)) : args; // sometimes too few arguments
    try { fn(...list); ran++; } catch (e) {
      assert.ok(e instanceof Error, `${name} threw a non-Error`);
      assert.match(e.message, new RegExp(`native ${name}`), `${name}: error message names the op: ${e.message}`);
      threw++;
    }
  }), { numRuns: 6000, seed: 20261127 });
  assert.ok(ran > 100 && threw > 100, `both outcomes exercised (ran ${ran}, threw ${threw})`);
});
