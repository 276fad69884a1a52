// The replication verdict: issue 7's bars judged from arm results, a collapsed RLCR (training or held-out)
// never reported as success, and the comparison report carrying bars, verdict and the paper's table. A toy-size end-to-end run covers the check analysis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../src/models/index.js';
import { computeMetrics } from '../../src/calibrate/metrics.js';
import { replicate, replicateDefaults, judgeBars, renderReplicationReport, byDifficulty, PAPER_TABLE, ANALYSIS_RECIPES, REPLICATE_DEFAULTS, DEMO_DEFAULTS, type EvalRecord, type Arm, type ArmResult, type ReplicationSummary } from '../../src/calibrate/replicate.js';
import type { ScalingPoint } from '../../src/calibrate/scaling.js';
import { splitSftRl } from '../../src/calibrate/grpo-organism.js';
import { arithmeticTasks } from '../../src/data/index.js';

/** n records with accuracy acc; q given per record by qOf(i, correct). */
function records(n: number, acc: number, qOf: (i: number, c: boolean) => number) {
  return Array.from({ length: n }, (_, i) => { const c = i < acc * n; return { confidence: qOf(i, c), correct: c }; });
}
function arm(name: Arm, recs: ReturnType<typeof records>, voting: [number, number, number][], collapsed = false): ArmResult {
  const m = computeMetrics(recs, { bootstrap: 0 });
  const points: ScalingPoint[] = voting.map(([n, maj, w]) => ({ n, trials: 1, accuracy: { majority: maj, weighted: w, 'max-confidence': maj } }));
  return {
    arm: name, inDomain: { metrics: m, formatRate: 1 }, byDifficulty: [], ood: { x: { metrics: m, formatRate: 1 } },
    oodMean: { accuracy: m.accuracy, ece: m.ece, brier: m.brier, auroc: m.auroc }, voting: points,
    collapse: name === 'base' ? null : { collapsed, firstStep: collapsed ? 5 : null, collapsedSteps: collapsed ? 3 : 0, reason: collapsed ? 'test' : null },
  };
}
const vote: [number, number, number][] = [[1, 0.5, 0.5], [2, 0.5, 0.5], [4, 0.55, 0.6], [8, 0.6, 0.62], [16, 0.6, 0.65]];

test('a calibrated RLCR passes every bar; an over-confident RLVR is the contrast', () => {
  const rlvr = arm('rlvr', records(200, 0.5, () => 0.95), vote);
  const rlcr = arm('rlcr', records(200, 0.5, (i, c) => (c ? [0.7, 0.8, 0.9][i % 3] : [0.1, 0.2, 0.3][i % 3])), vote);
  const base = arm('base', records(200, 0.4, () => 0.9), vote);
  const { bars, goal, verdict } = judgeBars({ base, rlvr, rlcr });
  for (const b of bars) assert.equal(b.pass, true, `${b.id}: ${b.detail}`);
  assert.equal(goal[0].pass, true);
  assert.match(verdict, /All 6 bars pass/);
});

test('collapse at evaluation (one q value) or in training is never a success, even with a low ECE', () => {
  const rlvr = arm('rlvr', records(200, 0.1, () => 0.7), vote);
  const oneQ = arm('rlcr', records(200, 0.1, () => 0.1), vote); // ECE 0, but q is constant
  const base = arm('base', records(200, 0.1, () => 0.6), vote);
  const r1 = judgeBars({ base, rlvr, rlcr: oneQ });
  assert.equal(r1.bars.find((b) => b.id === 'ece-halved')!.pass, true);
  assert.equal(r1.bars.find((b) => b.id === 'no-collapse')!.pass, false);
  assert.equal(r1.bars.find((b) => b.id === 'distinct-q')!.pass, false);
  assert.match(r1.verdict, /NOT a calibration success/);
  const spread = arm('rlcr', records(200, 0.5, (i, c) => (c ? 0.8 + (i % 2) / 10 : 0.2 - (i % 2) / 10)), vote, true);
  const r2 = judgeBars({ base, rlvr, rlcr: spread });
  assert.match(r2.verdict, /collapsed \(during training\)/);
});

test('weighted voting below majority at some N ≥ 4 fails that bar', () => {
  const bad: [number, number, number][] = [[1, 0.5, 0.5], [4, 0.6, 0.55], [8, 0.6, 0.62], [16, 0.6, 0.6]];
  const r = judgeBars({ base: arm('base', records(50, 0.5, () => 0.9), vote), rlvr: arm('rlvr', records(50, 0.5, () => 0.9), vote), rlcr: arm('rlcr', records(50, 0.5, (i, c) => (c ? 0.8 : 0.2)), bad) });
  assert.equal(r.bars.find((b) => b.id === 'weighted-voting')!.pass, false);
});

test('the report holds the verdict, PASS/FAIL rows and the paper table', () => {
  const arms = { base: arm('base', records(100, 0.4, () => 0.9), vote), rlvr: arm('rlvr', records(100, 0.5, () => 0.95), vote), rlcr: arm('rlcr', records(100, 0.5, (i, c) => (c ? 0.8 : 0.2)), vote) };
  const j = judgeBars(arms);
  const summary: ReplicationSummary = { format: 'glassbox-rlcr-replication/1', config: { steps: 10, sftSteps: 5, promptsPerStep: 4, groupSize: 8, temperature: 0.7, beta: 0.05 }, seeds: [0], arms, perSeed: [], ...j, paper: PAPER_TABLE, elapsedS: 1 };
  const html = renderReplicationReport(summary);
  assert.match(html, /KL weight β[\s\S]{0,80}0\.05 \(paper: 0\)/, 'the report says the recipe departs from the paper\'s β = 0');
  assert.match(html, /<html/i);
  assert.ok(html.includes(j.verdict.replace(/'/g, '&#39;')) || html.includes(j.verdict));
  assert.equal((html.match(/>PASS</g) ?? []).length + (html.match(/>FAIL</g) ?? []).length, 7);
  assert.match(html, /HotpotQA/);
  assert.match(html, /62\.1 \/ 0\.69 \/ 0\.21 \/ 0\.03/);
});

test('SFT and GRPO problems are disjoint (one-digit sums excepted), in order, and bad counts fail loudly', () => {
  const train = arithmeticTasks({ seed: 4, sizes: { train: 3000, test: 50, 'ood-subtraction': 0, 'ood-3digit': 0, 'ood-multiplication': 0 } }).filter((i) => i.split === 'train');
  const { sft, rl } = splitSftRl(train, 1500);
  assert.deepEqual(sft, train.slice(0, 1500));
  const key = (i: { a: number; op: string; b: number }) => `${i.a}${i.op}${i.b}`;
  const sftKeys = new Set(sft.map(key));
  assert.ok(rl.length > 500 && rl.length < 1500, `${rl.length} RL prompts`);
  for (const it of rl) if (it.difficulty > 1) assert.ok(!sftKeys.has(key(it)), `${it.question} is in both sets`);
  assert.ok(rl.some((it) => it.difficulty === 1) && rl.some((it) => it.difficulty === 3));
  assert.ok(train.slice(1500).some((it) => it.difficulty > 1 && sftKeys.has(key(it))), 'the generator repeats problems, so the filter has work to do');
  assert.throws(() => splitSftRl(train, 3000), /sftCount must be an integer in \[1, 2999\]/);
  assert.throws(() => splitSftRl(train, 0), /sftCount/);
});

test('byDifficulty: accuracy and mean stated q per level, levels in order', () => {
  const rec = (difficulty: number, correct: boolean, confidence: number): EvalRecord => ({ id: '', split: 'test', answer: '', gold: '', formatOk: true, difficulty, correct, confidence });
  const rows = byDifficulty([rec(3, false, 0.1), rec(1, true, 0.9), rec(1, false, 0.7), rec(3, true, 0.3)]);
  assert.deepEqual(rows.map((r) => [r.difficulty, r.n, r.accuracy]), [[1, 2, 0.5], [3, 2, 0.5]]);
  assert.ok(Math.abs(rows[0].meanConfidence - 0.8) < 1e-12 && Math.abs(rows[1].meanConfidence - 0.2) < 1e-12);
});

test('the report shows the per-level table when levels are given', () => {
  const rows = [{ difficulty: 1, n: 10, accuracy: 1, meanConfidence: 0.95 }, { difficulty: 3, n: 10, accuracy: 0.1, meanConfidence: 0.15 }];
  const m = computeMetrics(records(20, 0.5, (_i, c) => (c ? 0.9 : 0.2)), { bootstrap: 0 });
  const a = (name: Arm): ArmResult => ({ arm: name, inDomain: { metrics: m, formatRate: 1 }, byDifficulty: rows, ood: {}, oodMean: { accuracy: 0, ece: 0, brier: 0, auroc: null }, voting: [], collapse: null });
  const arms = { base: a('base'), rlvr: a('rlvr'), rlcr: a('rlcr') };
  const { bars, goal, verdict } = judgeBars(arms);
  const html = renderReplicationReport({ format: 'glassbox-rlcr-replication/1', config: {}, seeds: [0], arms, perSeed: [], bars, goal, verdict, paper: PAPER_TABLE, elapsedS: 1 });
  assert.match(html, /In-domain by difficulty level/);
  assert.match(html, /level 3<\/td><td>10\.0% \/ 0\.15 \(n 10\)/);
});

test("replicate end to end at toy size with the 'check' analysis: its own base, the check's numbers one digit per token, the longer budget, the routed q prior, a report", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-rep-check-'));
  try {
    const res = await replicate({ outDir: out, analysis: 'check', seeds: [0], steps: 1, sftSteps: 2, sftExamples: 40, rlPrompts: 40, groupSize: 2, promptsPerStep: 2, sizes: { evalInDomain: 3, evalOod: 2, votingProblems: 1 } });
    assert.equal(res.summary.config.analysis, 'check');
    assert.equal(res.summary.config.maxNewTokens, 96);
    assert.equal(res.summary.config.confidencePrior, 'routed');
    assert.ok(fs.existsSync(path.join(out, 'base-check', 'tokenizer.json')) && !fs.existsSync(path.join(out, 'base')), 'the check base has its own folder');
    const tok = loadModel(path.join(out, 'base-check')).tokenizer!;
    for (const id of tok.encode('gives 1 4 9, stated 1 4 8, same 1 1 0', { addSpecialTokens: false })) assert.ok((tok.decode([id]).match(/[0-9]/g) ?? []).length <= 1, 'one digit per token in the check');
    assert.equal(res.summary.bars.length, 6);
    assert.match(fs.readFileSync(res.reportPath, 'utf8'), /analysis cue<\/th><td>check/);
    assert.match(fs.readFileSync(res.reportPath, 'utf8'), /SFT q prior<\/th><td>routed/);
  } finally { fs.rmSync(out, { recursive: true, force: true }); }
});

test("replicate end to end at toy size with the 'sizes' analysis: the plain base folder, its budget and its uniform q prior", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-rep-sizes-'));
  try {
    const res = await replicate({ outDir: out, analysis: 'sizes', seeds: [1], steps: 1, sftSteps: 2, sftExamples: 40, rlPrompts: 40, groupSize: 2, promptsPerStep: 2, sizes: { evalInDomain: 3, evalOod: 2, votingProblems: 1 } });
    assert.deepEqual([res.summary.config.analysis, res.summary.config.confidencePrior, res.summary.config.maxNewTokens], ['sizes', 'uniform', 48]);
    assert.ok(fs.existsSync(path.join(out, 'base', 'tokenizer.json')) && !fs.existsSync(path.join(out, 'base-check')));
    assert.equal(res.summary.perSeed[0].seed, 1);
    assert.match(fs.readFileSync(res.reportPath, 'utf8'), /SFT q prior<\/th><td>uniform/);
  } finally { fs.rmSync(out, { recursive: true, force: true }); }
});

test('replicateDefaults: each analysis cue brings its own steps, SFT steps and q prior; the rest is the base recipe', () => {
  assert.equal(REPLICATE_DEFAULTS.analysis, 'check');
  assert.deepEqual(replicateDefaults('check'), REPLICATE_DEFAULTS);
  assert.equal(REPLICATE_DEFAULTS.confidencePrior, 'routed');
  const sizes = replicateDefaults('sizes');
  assert.deepEqual({ steps: sizes.steps, sftSteps: sizes.sftSteps, confidencePrior: sizes.confidencePrior, analysis: sizes.analysis }, { ...ANALYSIS_RECIPES.sizes, analysis: 'sizes' });
  assert.equal(sizes.confidencePrior, 'uniform');
  assert.deepEqual({ ...sizes, steps: 0, sftSteps: 0, confidencePrior: 0, analysis: 0 }, { ...REPLICATE_DEFAULTS, steps: 0, sftSteps: 0, confidencePrior: 0, analysis: 0 });
  const demoSizes = replicateDefaults('sizes', DEMO_DEFAULTS);
  assert.deepEqual([demoSizes.seeds, demoSizes.steps], [DEMO_DEFAULTS.seeds, ANALYSIS_RECIPES.sizes.steps], 'the demo keeps its one seed and takes the cue\'s steps');
  assert.ok(DEMO_DEFAULTS.steps < REPLICATE_DEFAULTS.steps && DEMO_DEFAULTS.seeds.length === 1);
});
