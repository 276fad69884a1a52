/**
 * Op-table entries (test cases) for the fused neural-network ops and the selection ops, enumerated by
 * the cross-backend harness. Shapes cover odd sizes, broadcast tables, GQA/MQA, windows, caps and masks.
 */
import { Tensor, empty, tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { randn, randint, Rng } from '../random.js';
import { softmax, logSoftmax, layerNorm, rmsNorm, rope, attention, embedding, crossEntropy, gatherRows, swiglu, tokenLogProbs } from './nn.js';
import { topk, sampleLogits } from './sampling.js';
import { slice, transpose } from './shape.js';

const R = (g: () => number) => new Rng(Math.floor(g() * 1e9));
const rn = (shape: number[], std = 1) => (g: () => number) => randn(shape, R(g), std);

function ropeTables(Bc: number, T: number, half: number, g: () => number): [Tensor, Tensor] {
  const cos = empty([Bc, T, half]), sin = empty([Bc, T, half]);
  const rng = R(g);
  for (let i = 0; i < cos.size; i++) { const a = rng.next() * 6; cos.data[i] = Math.cos(a); sin.data[i] = Math.sin(a); }
  return [cos, sin];
}

defineOp({ name: 'softmax', differentiable: true, cases: [
  { label: '[3,7]', make: (g) => [rn([3, 7], 2)(g)], run: ([x]) => softmax(x) },
  { label: '[2,2,33]', make: (g) => [rn([2, 2, 33], 3)(g)], run: ([x]) => softmax(x) },
] });
defineOp({ name: 'logSoftmax', differentiable: true, cases: [
  { label: '[4,9]', make: (g) => [rn([4, 9], 2)(g)], run: ([x]) => logSoftmax(x) },
] });
defineOp({ name: 'layerNorm', differentiable: true, cases: [
  { label: '[3,4,10] w b', make: (g) => [rn([3, 4, 10])(g), rn([10])(g), rn([10])(g)], run: ([x, w, b]) => layerNorm(x, w, b, 1e-5) },
  { label: '[5,8] no affine', make: (g) => [rn([5, 8])(g)], run: ([x]) => layerNorm(x, null, null, 1e-5) },
] });
defineOp({ name: 'rmsNorm', differentiable: true, cases: [
  { label: '[3,12] w', make: (g) => [rn([3, 12])(g), rn([12])(g)], run: ([x, w]) => rmsNorm(x, w, 1e-6) },
  { label: '[2,3,8] gemma (1+w)', make: (g) => [rn([2, 3, 8])(g), rn([8], 0.2)(g)], run: ([x, w]) => rmsNorm(x, w, 1e-6, 1) },
] });
defineOp({ name: 'rope', differentiable: true, cases: [
  { label: '[2,5,3,8] shared table', make: (g) => { const [c, s] = ropeTables(1, 5, 4, g); return [rn([2, 5, 3, 8])(g), c, s]; }, run: ([x, c, s]) => rope(x, c, s), diff: [0] },
  { label: '[2,4,2,8] per-batch table, partial rotary 4', make: (g) => { const [c, s] = ropeTables(2, 4, 2, g); return [rn([2, 4, 2, 8])(g), c, s]; }, run: ([x, c, s]) => rope(x, c, s, 4), diff: [0] },
] });
function attnCase(label: string, B: number, T: number, S: number, Hq: number, Hkv: number, D: number, opts: { window?: number; softcap?: number; mask?: boolean; causal?: boolean; strided?: boolean }) {
  return {
    label,
    make: (g: () => number) => {
      const inputs = [rn([B, T, Hq, D])(g), rn([B, S + (opts.strided ? 3 : 0), Hkv, D])(g), rn([B, S + (opts.strided ? 3 : 0), Hkv, D])(g)];
      if (opts.mask) {
        const m = empty([B, S], 'i32');
        for (let b = 0; b < B; b++) for (let j = 0; j < S; j++) m.data[b * S + j] = b === 1 && j >= S - 2 ? 0 : 1;
        inputs.push(m);
      }
      return inputs;
    },
    run: ([q, k, v, m]: Tensor[]) => {
      const ks = opts.strided ? slice(k, 1, 0, S) : k, vs = opts.strided ? slice(v, 1, 0, S) : v;
      const r = attention(q, ks, vs, { window: opts.window, softcap: opts.softcap, keyMask: m ?? null, causal: opts.causal ?? true }).out;
      if (opts.strided) { ks.dispose(); vs.dispose(); }
      return r;
    },
    diff: [0, 1, 2],
    tol: 1e-5,
  };
}
defineOp({ name: 'attention', differentiable: true, cases: [
  attnCase('causal MHA B2 T5 H2 D4', 2, 5, 5, 2, 2, 4, {}),
  attnCase('GQA 4/2, window 2', 1, 6, 6, 4, 2, 4, { window: 2 }),
  attnCase('MQA 3/1 softcap 1.5', 2, 4, 4, 3, 1, 4, { softcap: 1.5 }),
  attnCase('padding mask', 2, 5, 5, 2, 1, 3, { mask: true }),
  attnCase('decode T1 S6 strided cache', 2, 1, 6, 2, 2, 4, { strided: true }),
  attnCase('non-causal', 1, 3, 4, 2, 2, 4, { causal: false }),
] });
defineOp({ name: 'embedding', differentiable: true, cases: [
  { label: 'V11 D5 ids [2,3]', make: (g) => [rn([11, 5])(g), randint([2, 3], 11, R(g))], run: ([w, i]) => embedding(w, i), diff: [0] },
  { label: 'repeated ids', make: (g) => [rn([4, 3])(g), tensor(new Int32Array([1, 1, 2, 1]), [4])], run: ([w, i]) => embedding(w, i), diff: [0] },
] });
defineOp({ name: 'crossEntropy', differentiable: true, cases: [
  { label: 'mean [6,9]', make: (g) => [rn([6, 9], 2)(g), randint([6], 9, R(g))], run: ([l, t]) => crossEntropy(l, t), diff: [0] },
  { label: 'ignore index, [2,3,7]', make: (g) => { const t = randint([2, 3], 7, R(g)); t.data[1] = -100; t.data[4] = -100; return [rn([2, 3, 7], 2)(g), t]; }, run: ([l, t]) => crossEntropy(l, t), diff: [0] },
  { label: "reduction 'none'", make: (g) => [rn([4, 5], 2)(g), randint([4], 5, R(g))], run: ([l, t]) => crossEntropy(l, t, { reduction: 'none' }), diff: [0] },
  { label: "reduction 'sum'", make: (g) => [rn([3, 6], 2)(g), randint([3], 6, R(g))], run: ([l, t]) => crossEntropy(l, t, { reduction: 'sum' }), diff: [0] },
] });
defineOp({ name: 'gatherRows', differentiable: true, cases: [
  { label: '[3,4,6]', make: (g) => [rn([3, 4, 6])(g), randint([3, 4], 6, R(g))], run: ([x, i]) => gatherRows(x, i), diff: [0] },
] });
defineOp({ name: 'swiglu', differentiable: true, cases: [
  { label: '[3,7] & [3,7]', make: (g) => [rn([3, 7], 3)(g), rn([3, 7])(g)], run: ([a, b]) => swiglu(a, b) },
  { label: 'strided gate [5,4]^T', make: (g) => [rn([5, 4], 3)(g), rn([4, 5])(g)], run: ([a, b]) => { const t = transpose(a, 0, 1); const o = swiglu(t, b); t.dispose(); return o; } },
  { label: 'only up differentiated [37]', make: (g) => [rn([37], 3)(g), rn([37])(g)], run: ([a, b]) => swiglu(a, b), diff: [1] },
] });
defineOp({ name: 'tokenLogProbs', differentiable: true, cases: [
  { label: '[5,9]', make: (g) => [rn([5, 9], 2)(g), randint([5], 9, R(g))], run: ([l, t]) => tokenLogProbs(l, t), diff: [0] },
  { label: 'temperature 0.7, ignore index, [2,3,7]', make: (g) => { const t = randint([2, 3], 7, R(g)); t.data[2] = -100; return [rn([2, 3, 7], 2)(g), t]; }, run: ([l, t]) => tokenLogProbs(l, t, { temperature: 0.7 }), diff: [0] },
  { label: 'strided logits, temperature 1.3', make: (g) => [rn([6, 4], 2)(g), randint([4], 6, R(g))], run: ([l, t]) => { const lt = transpose(l, 0, 1); const o = tokenLogProbs(lt, t, { temperature: 1.3 }); lt.dispose(); return o; }, diff: [0] },
] });
defineOp({ name: 'topk', differentiable: false, cases: [
  { label: '[4,10] k3 values', make: (g) => [rn([4, 10])(g)], run: ([x]) => { const r = topk(x, 3); r.indices.dispose(); return r.values; }, diff: [] },
  { label: '[4,10] k3 indices', make: (g) => [rn([4, 10])(g)], run: ([x]) => { const r = topk(x, 3); r.values.dispose(); return r.indices; }, diff: [] },
] });
defineOp({ name: 'sampleLogits', differentiable: false, cases: [
  { label: 'greedy [5,20]', make: (g) => [rn([5, 20], 3)(g)], run: ([x]) => sampleLogits(x, new Rng(1), { temperature: 0 }), diff: [] },
  { label: 'T0.8 top-k 5 top-p 0.9 [6,30]', make: (g) => [rn([6, 30], 2)(g)], run: ([x]) => sampleLogits(x, new Rng(7), { temperature: 0.8, topK: 5, topP: 0.9 }), diff: [] },
] });
