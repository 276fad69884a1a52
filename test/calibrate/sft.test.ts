// SFT warm-up: the loss covers completion tokens (and EOS) only — prompt and pad targets are −100 — and it
// equals a hand-computed cross-entropy over exactly those tokens; a few steps lower it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../src/models/index.js';
import { logSoftmax, noGrad } from '../../src/engine/index.js';
import { maskedTokenLoss } from '../../src/nn/index.js';
import { sftSequences, sftBatch, trainSft } from '../../src/calibrate/sft.js';
import { buildMicroOrganism, arithmeticSftExamples, arithmeticCheckAnalysis } from '../../src/calibrate/grpo-organism.js';
import { arithmeticTasks } from '../../src/data/index.js';

let tmp = '', dir = '';
let examples: { prompt: string; completion: string }[] = [];
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-sft-'));
  dir = path.join(tmp, 'org');
  const org = await buildMicroOrganism({ dir, seed: 1, hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, vocabSize: 300, sizes: { train: 100, test: 10, 'ood-subtraction': 2, 'ood-3digit': 2, 'ood-multiplication': 2 } });
  examples = arithmeticSftExamples(org.split('train'), 'tabc', 1);
  org.model.dispose();
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('targets: −100 on every prompt and pad position, the completion and EOS otherwise', () => {
  const model = loadModel(dir);
  const seqs = sftSequences(model, examples.slice(0, 3));
  const eos = model.config.eosTokenIds[0];
  for (const s of seqs) assert.equal(s.ids[s.ids.length - 1], eos, 'EOS closes each completion');
  const padId = 1;
  const b = sftBatch(seqs, padId);
  const T = b.targets.shape[1];
  const y = b.targets.toFlat();
  let trained = 0;
  seqs.forEach((s, r) => {
    for (let t = 0; t < T; t++) {
      const target = y[r * T + t];
      // position t predicts token t + 1: trained iff t + 1 is a completion token of this row
      const isCompletion = t + 1 >= s.promptLen && t + 1 < s.ids.length;
      if (isCompletion) { assert.equal(target, s.ids[t + 1]); trained++; } else assert.equal(target, -100, `row ${r} t ${t}`);
    }
  });
  assert.equal(trained, b.tokens);
  assert.equal(trained, seqs.reduce((a, s) => a + s.ids.length - s.promptLen, 0));
  model.dispose();
});

test('the loss is the mean NLL over completion tokens only (prompt tokens do not count)', () => {
  const model = loadModel(dir);
  const seqs = sftSequences(model, examples.slice(0, 4));
  const b = sftBatch(seqs, 1);
  noGrad(() => {
    const logits = model.forward(b.inputIds, { attentionMask: b.attentionMask });
    const loss = maskedTokenLoss(logits, b.targets).item();
    const lp = logSoftmax(logits);
    const [B, T, V] = lp.shape;
    const d = lp.toFlat();
    let s = 0, n = 0;
    seqs.forEach((q, r) => { for (let t = q.promptLen - 1; t < q.ids.length - 1; t++) { s -= d[(r * T + t) * V + q.ids[t + 1]]; n++; } });
    assert.ok(Math.abs(loss - s / n) < 1e-4, `${loss} vs ${s / n}`);
    assert.equal(B, 4);
  });
  model.dispose();
});

test('a few SFT steps lower the loss', async () => {
  const model = loadModel(dir);
  const res = await trainSft({ model, examples, steps: 12, batchSize: 16, lr: 3e-3, seed: 2 });
  assert.equal(res.step, 12);
  assert.ok(res.losses[11] < res.losses[0] - 0.5, `loss ${res.losses[0]} → ${res.losses[11]}`);
  model.dispose();
});

test('lossFrom: the context part is tokenized with the completion but not trained; bad offsets fail loudly', () => {
  const model = loadModel(dir);
  const tok = model.tokenizer!;
  const completion = '<think>3 + 4</think><answer>8</answer><analysis>x</analysis><confidence>0.5</confidence>';
  const from = completion.indexOf('<analysis>');
  const [whole] = sftSequences(model, [{ prompt: 'Q', completion }]);
  const [ctx] = sftSequences(model, [{ prompt: 'Q', completion, lossFrom: from }]);
  assert.deepEqual(ctx.ids, whole.ids, 'the same tokens either way');
  const p = tok.encode('Q', { addSpecialTokens: true }).length;
  assert.ok(ctx.promptLen > p && ctx.promptLen < ctx.ids.length);
  // every masked completion token lies inside the context text, and the first trained one reaches past it
  assert.ok(tok.decode(ctx.ids.slice(p, ctx.promptLen)).length <= from);
  assert.ok(tok.decode(ctx.ids.slice(p, ctx.promptLen + 1)).length > from);
  for (const bad of [-1, 1.5, completion.length]) assert.throws(() => sftSequences(model, [{ prompt: 'Q', completion, lossFrom: bad }]), /lossFrom must be an integer/);
  model.dispose();
});

test("arithmeticSftExamples 'check': honest verdicts, half the judged answers wrong and never trained on", () => {
  const org = arithmeticTasks({ seed: 3, sizes: { train: 40, test: 1 } }).filter((i) => i.split === 'train');
  const ex = arithmeticSftExamples(org, 'tabc', 3, 'check');
  assert.equal(ex.length, 2 * org.length);
  const judged = ex.slice(org.length);
  let wrong = 0;
  judged.forEach((e, i) => {
    const stated = /<answer>(.*?)<\/answer>/.exec(e.completion)![1];
    const right = stated === org[i].answer;
    if (!right) wrong++;
    const t = [...org[i].answer.padStart(3, '0')], st = [...stated.padStart(3, '0')];
    const marks = t.length === st.length ? t.map((d, k) => (d === st[k] ? 1 : 0)).join(' ') : t.map(() => 0).join(' ');
    assert.ok(e.completion.includes(`gives ${t.join(' ')}, stated ${st.join(' ')}, same ${marks}, ${right ? 'agrees' : 'differs'}</analysis>`), e.completion);
    assert.equal(marks.includes('0'), !right);
    assert.equal(e.lossFrom, e.completion.indexOf('<analysis>'));
  });
  assert.equal(wrong, org.length / 2);
  for (const e of ex.slice(0, org.length)) { assert.match(e.completion, /, agrees<\/analysis>/); assert.equal(e.lossFrom, undefined); }
  assert.doesNotMatch(arithmeticSftExamples(org, 'tabc', 3)[0].completion, /check/, "the default 'sizes' analysis has no check");
});

test("arithmeticSftExamples confidencePrior 'routed': even tenths after agrees, odd after differs, both with mean ½; 'uniform' unchanged", () => {
  const org = arithmeticTasks({ seed: 5, sizes: { train: 400, test: 1 } }).filter((i) => i.split === 'train');
  const qOf = (c: string) => Number(/<confidence>([\d.]+)<\/confidence>/.exec(c)![1]);
  const routed = arithmeticSftExamples(org, 'tabc', 5, { analysis: 'check', confidencePrior: 'routed' });
  const byVerdict: Record<'agrees' | 'differs', number[]> = { agrees: [], differs: [] };
  for (const e of routed) byVerdict[/, agrees<\/analysis>/.test(e.completion) ? 'agrees' : 'differs'].push(qOf(e.completion));
  const tenths = (xs: number[]) => new Set(xs.map((x) => Math.round(x * 10)));
  assert.deepEqual([...tenths(byVerdict.agrees)].sort((a, b) => a - b), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual([...tenths(byVerdict.differs)].sort((a, b) => a - b), [1, 3, 5, 7, 9]);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(mean(byVerdict.agrees) - 0.5) < 0.05 && Math.abs(mean(byVerdict.differs) - 0.5) < 0.06, `means ${mean(byVerdict.agrees)} / ${mean(byVerdict.differs)}`);
  assert.ok(routed.some((e) => e.completion.endsWith('<confidence>1.0</confidence>')) && routed.some((e) => e.completion.endsWith('<confidence>0.0</confidence>')));
  // the texts apart from q are those of the uniform prior, and the uniform prior is what the positional form gives
  const uniform = arithmeticSftExamples(org, 'tabc', 5, { analysis: 'check' });
  assert.deepEqual(uniform, arithmeticSftExamples(org, 'tabc', 5, 'check'));
  const strip = (c: string) => c.replace(/<confidence>.*<\/confidence>/, '');
  assert.deepEqual(routed.map((e) => strip(e.completion)), uniform.map((e) => strip(e.completion)));
  assert.ok(uniform.every((e) => { const q = qOf(e.completion); return q >= 0.1 && q <= 0.9; }));
  assert.throws(() => arithmeticSftExamples(org, 'tabc', 5, { confidencePrior: 'routed' }), /needs analysis 'check'/);
  assert.throws(() => arithmeticSftExamples(org, 'tabc', 5, { analysis: 'check', confidencePrior: 'verdict' as never }), /confidencePrior must be one of uniform, routed/);
});

test('arithmeticCheckAnalysis writes the column working, both numbers padded, the digit marks and the verdict', () => {
  assert.equal(arithmeticCheckAnalysis({ a: 32, op: '+', b: 59, answer: '91' }, '82'), 'two-digit and two-digit sum; check 2+9=11 carry 1, 3+5+1=9 gives 0 9 1, stated 0 8 2, same 1 0 0, differs');
  assert.equal(arithmeticCheckAnalysis({ a: 48, op: '+', b: 54, answer: '102' }, ' 102 '), 'two-digit and two-digit sum; check 8+4=12 carry 1, 4+5+1=10 gives 1 0 2, stated 1 0 2, same 1 1 1, agrees');
  assert.equal(arithmeticCheckAnalysis({ a: 3, op: '+', b: 4, answer: '7' }, '1007'), 'one-digit and one-digit sum; check 3+4=7 gives 0 0 7, stated 1 0 0 7, same 0 0 0, differs');
  assert.equal(arithmeticCheckAnalysis({ a: 3, op: '+', b: 4, answer: '7' }, 'x7'), 'one-digit and one-digit sum; check 3+4=7 gives 0 0 7, stated x7, same 0 0 0, differs', 'a stated answer that is not a number is copied as it is');
});
