// GRPO trainer end to end on a tiny random organism: 3 steps where the policy emits garbage, so every reward is
// the malformed penalty — rewards stay finite, advantages are zero, logs carry the monitors; a custom reward
// that throws or returns NaN is replaced by the penalty; a run store gets the steps and the summary; and a
// run resumed from a checkpoint continues on exactly the uninterrupted curve; a built micro organism is reused only
// when it was built the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../src/models/index.js';
import { openStore } from '../../src/runs/index.js';
import { trainGrpo, isConfidenceCollapsed, promptIndicesForStep, type GrpoStepLog } from '../../src/calibrate/grpo.js';
import { buildMicroOrganism, arithmeticGrpoItems, formatCompletion, MICRO_ORGANISM_RECIPE_FILE } from '../../src/calibrate/grpo-organism.js';

let tmp = '';
let dir = '';
let items: ReturnType<typeof arithmeticGrpoItems> = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-grpo-'));
  dir = path.join(tmp, 'org');
  const org = await buildMicroOrganism({ dir, seed: 3, hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, vocabSize: 300, sizes: { train: 200, test: 20, 'ood-subtraction': 5, 'ood-3digit': 5, 'ood-multiplication': 5 } });
  items = arithmeticGrpoItems(org.split('train'));
  org.model.dispose();
});
after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

const base = () => ({ prompts: items, promptStyle: 'compact' as const, groupSize: 4, promptsPerStep: 2, maxNewTokens: 12, lr: 1e-3, seed: 5, onWarn: () => {} });

test('3 GRPO steps on a random (garbage-emitting) policy: finite rewards, malformed penalty, monitors logged', async () => {
  const model = loadModel(dir);
  const logs: GrpoStepLog[] = [];
  const res = await trainGrpo({ ...base(), model, steps: 3, reward: 'rlcr', onStep: (l) => logs.push(l), onWarn: () => {} });
  assert.equal(res.step, 3);
  assert.equal(logs.length, 3);
  for (const l of logs) {
    for (const [k, v] of Object.entries(l)) if (typeof v === 'number') assert.ok(Number.isFinite(v), `${k} = ${v} at step ${l.step}`);
    assert.equal(l.rewardMean, -2, 'a random model never writes the tabc format: every reward is the malformed −2');
    assert.equal(l.formatRate, 0);
    assert.equal(l.zeroAdvantageGroups, 2);
    assert.equal(l.gradNorm, 0, 'equal rewards in every group give zero advantages and no gradient');
    assert.ok(l.completionLength > 0 && l.completionLength <= 12);
    assert.ok(l.kl !== null && l.kl >= 0);
  }
  model.dispose();
});

test('a custom reward that throws or returns NaN is replaced by the penalty; mixed rewards move the weights', async () => {
  const model = loadModel(dir);
  const before = Float32Array.from(model.params.get('model.norm.weight')!.toFlat() as Float32Array);
  let calls = 0;
  const logs: GrpoStepLog[] = [];
  await trainGrpo({
    ...base(), model, steps: 2, malformedReward: -1, onStep: (l) => logs.push(l),
    reward: (text) => { calls++; if (calls % 3 === 0) throw new Error('boom'); if (calls % 3 === 1) return NaN; return { reward: text.length / 10, correct: 0, confidence: 0.5 }; },
  });
  assert.equal(calls, 16);
  for (const l of logs) {
    assert.ok(Number.isFinite(l.rewardMean));
    assert.ok(l.rewardErrors > 0);
    assert.ok(l.gradNorm > 0, 'unequal rewards give a gradient');
  }
  const after = model.params.get('model.norm.weight')!.toFlat();
  assert.ok(after.some((x, i) => x !== before[i]), 'the optimizer step changed the weights');
  model.dispose();
});

test('run store: one record per step and a summary with the collapse flag', async () => {
  const model = loadModel(dir);
  const store = openStore(path.join(tmp, 'home'));
  const res = await trainGrpo({ ...base(), model, steps: 2, reward: 'rlvr', store, runName: 'grpo-test' });
  const info = store.requireRun(res.runId!);
  assert.equal(info.kind, 'grpo');
  assert.equal(info.status, 'completed');
  assert.equal(store.countRecords(res.runId!, 'grpo-step'), 2);
  assert.equal((info.summary as Record<string, unknown>).collapsed, false);
  store.close(); model.dispose();
});

test('collapse watch: confidence stuck at 0 is flagged from step 1, warned about after 3 steps, and recorded as no success', async () => {
  const model = loadModel(dir);
  const store = openStore(path.join(tmp, 'home-collapse'));
  const warnings: string[] = [];
  const logs: GrpoStepLog[] = [];
  let k = 0;
  const res = await trainGrpo({
    ...base(), model, steps: 4, store, runName: 'collapse', onStep: (l) => logs.push(l), onWarn: (m) => warnings.push(m),
    // a policy that always says q = 0 (the context-QA failure): rewards still differ, so training goes on
    reward: () => ({ reward: (k++ % 3) / 3 - 0.5, correct: 0, confidence: 0 }),
  });
  assert.equal(res.collapse.collapsed, true);
  assert.equal(res.collapse.firstStep, 1);
  assert.equal(res.collapse.collapsedSteps, 4);
  assert.match(res.collapse.reason ?? '', /within 0\.01 of 0 or 1/);
  assert.deepEqual(logs.map((l) => l.collapsed), [true, true, true, true]);
  assert.ok(logs.every((l) => l.meanConfidence === 0 && l.shareExtreme === 1));
  assert.equal(warnings.filter((w) => /collapsed for 3 steps/.test(w)).length, 1, warnings.join(' | '));
  const summary = store.requireRun(res.runId!).summary as Record<string, unknown>;
  assert.equal(summary.collapsed, true);
  assert.equal(summary.success, false);
  assert.equal(summary.collapseFirstStep, 1);
  store.close(); model.dispose();
});

test('collapse watch: a spread of confidences is never flagged, and one collapsed last step still counts', async () => {
  const model = loadModel(dir);
  let k = 0;
  const qs = [0.1, 0.3, 0.5, 0.7, 0.9];
  const spread = await trainGrpo({ ...base(), model, steps: 3, reward: () => ({ reward: (k % 2) - 0.5, correct: k % 2, confidence: qs[k++ % 5] }) });
  assert.equal(spread.collapse.collapsed, false);
  assert.equal(spread.collapse.firstStep, null);
  let step = 0, n = 0;
  const warnings: string[] = [];
  const late = await trainGrpo({
    ...base(), model, steps: 2, onWarn: (m) => warnings.push(m), onStep: (l) => { step = l.step; },
    reward: () => { const q = step === 0 ? qs[n++ % 5] : 0.5; return { reward: (n++ % 2) - 0.5, correct: 0, confidence: q }; },
  });
  assert.equal(late.logs[0].collapsed, false);
  assert.equal(late.logs[1].collapsed, true, 'one constant q at the last step');
  assert.equal(late.collapse.collapsed, true, 'a run that ends collapsed is flagged');
  assert.ok(warnings.some((w) => /ended with collapsed confidence/.test(w)));
  model.dispose();
});

test('collapse detector: extremes or ≤ 2 distinct values collapse; a spread does not', () => {
  assert.equal(isConfidenceCollapsed([0, 0, 0, 0, 1, 0, 0, 0]).collapsed, true);
  assert.equal(isConfidenceCollapsed([0.3, 0.3, 0.7, 0.7, 0.3]).collapsed, true);
  assert.equal(isConfidenceCollapsed([0.1, 0.5, 0.9, 0.3, 0.7]).collapsed, false);
  assert.equal(isConfidenceCollapsed([0.5]).collapsed, false);
});

test('prompt order is a seeded permutation per epoch and a function of the step alone', () => {
  const seen = new Set<number>();
  for (let s = 0; s < 5; s++) for (const i of promptIndicesForStep(10, s, 2, 1)) seen.add(i);
  assert.equal(seen.size, 10, 'one epoch visits every prompt once');
  assert.deepEqual(promptIndicesForStep(10, 7, 3, 1), promptIndicesForStep(10, 7, 3, 1));
  assert.notDeepEqual(promptIndicesForStep(10, 0, 5, 1), promptIndicesForStep(10, 0, 5, 2));
});

test('formatCompletion writes a tabc completion the strict parser accepts', async () => {
  const { parseStrict } = await import('../../src/calibrate/parse.js');
  const p = parseStrict(formatCompletion({ think: '2 + 2', answer: '4', analysis: 'easy', confidence: 0.9 }, 'tabc'), 'tabc');
  assert.equal(p.formatOk, true);
  assert.equal(p.confidence, 0.9);
});

test('resume from a checkpoint continues on the same curve as an uninterrupted run', async () => {
  const reward = (text: string) => ({ reward: (text.length % 7) / 7, confidence: 0.5 });
  const full: GrpoStepLog[] = [];
  const m1 = loadModel(dir);
  await trainGrpo({ ...base(), model: m1, steps: 4, reward, onStep: (l) => full.push(l) });
  const w1 = m1.params.get('model.norm.weight')!.toFlat();
  m1.dispose();

  const ck = path.join(tmp, 'ckpt');
  const m2 = loadModel(dir);
  await trainGrpo({ ...base(), model: m2, steps: 2, reward, checkpointDir: ck, checkpointEvery: 1 });
  m2.dispose();
  const m3 = loadModel(dir); // fresh weights: everything must come from the checkpoint
  const resumed: GrpoStepLog[] = [];
  const res = await trainGrpo({ ...base(), model: m3, steps: 4, reward, checkpointDir: ck, resume: true, onStep: (l) => resumed.push(l) });
  assert.equal(res.resumedFrom, 2);
  assert.deepEqual(resumed.map((l) => l.step), [3, 4]);
  for (let i = 0; i < 2; i++) {
    const a = full[2 + i], b = resumed[i];
    assert.equal(b.rewardMean, a.rewardMean, `reward at step ${a.step}`);
    assert.equal(b.completionLength, a.completionLength);
    assert.ok(Math.abs(b.loss - a.loss) <= 1e-6, `loss at step ${a.step}: ${b.loss} vs ${a.loss}`);
    assert.ok(Math.abs((b.kl ?? 0) - (a.kl ?? 0)) <= 1e-6, `KL to the start policy at step ${a.step}`);
  }
  const w3 = m3.params.get('model.norm.weight')!.toFlat();
  for (let i = 0; i < w1.length; i++) assert.ok(Math.abs(w1[i] - w3[i]) <= 1e-6, `final weight ${i}`);
  m3.dispose();
});

test('SIGKILL mid-run, then resume in a new process: the curve equals the uninterrupted run', { timeout: 180_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const child = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/grpo/kill-child.ts');
  const runChild = (ckpt: string, steps: number, sleepMs: number, killAt?: number) => new Promise<{ lines: Record<string, number>[]; signal: string | null; done: boolean }>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir, ckpt, String(steps), String(sleepMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAt !== undefined && out.includes(`"step":${killAt},`)) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('close', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') return reject(new Error(`child failed (${code}): ${err}`));
      const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number>);
      resolve({ lines, signal, done: out.includes('done') });
    });
  });
  const full = await runChild(path.join(tmp, 'kill-a'), 5, 0);
  assert.equal(full.done, true);
  assert.equal(full.lines.length, 5);
  const killed = await runChild(path.join(tmp, 'kill-b'), 5, 400, 2);
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(killed.done, false);
  const resumed = await runChild(path.join(tmp, 'kill-b'), 5, 0);
  assert.equal(resumed.done, true);
  const firstResumed = resumed.lines[0].step;
  assert.ok(firstResumed >= 2 && firstResumed <= 3, `resumed at step ${firstResumed} (killed while step 2 was being reported, before or after its checkpoint)`);
  for (const l of resumed.lines) {
    const ref = full.lines[l.step - 1];
    assert.equal(l.rewardMean, ref.rewardMean, `reward at step ${l.step}`);
    assert.ok(Math.abs(l.loss - ref.loss) <= 1e-6, `loss at step ${l.step}: ${l.loss} vs ${ref.loss}`);
    assert.ok(Math.abs(l.kl - ref.kl) <= 1e-6, `KL at step ${l.step}`);
  }
});

test('LoRA GRPO: base weights stay frozen, the adapters move, KL is measured against the adapter-free base', async () => {
  const model = loadModel(dir);
  const q = model.params.get('model.layers.0.self_attn.q_proj.weight')!;
  const before = Float32Array.from(q.toFlat() as Float32Array);
  const logs: GrpoStepLog[] = [];
  const res = await trainGrpo({ ...base(), model, steps: 2, lr: 1e-2, lora: { r: 2, alpha: 4, targetModules: ['q_proj', 'v_proj'] }, reward: (t: string) => ({ reward: (t.length % 5) / 5, confidence: 0.5 }), onStep: (l) => logs.push(l) });
  assert.ok(res.lora);
  assert.equal(model.adapters.size, 4, '2 layers × (q_proj, v_proj)');
  assert.deepEqual(Array.from(q.toFlat()), Array.from(before), 'the base weight did not change');
  const B = [...res.lora!.targets.values()][0].B.toFlat();
  assert.ok(B.some((x) => x !== 0), 'lora_B left its zero init');
  assert.equal(logs[0].kl, 0, 'at step 1 the adapters are zero: policy = base');
  assert.ok(logs[1].kl! > 0);
  model.dispose();
});

test('beta (the KL weight) must be finite and ≥ 0: a negative or NaN beta is refused before any step runs', async () => {
  const model = loadModel(dir);
  for (const beta of [-0.1, NaN, Infinity]) {
    await assert.rejects(() => trainGrpo({ ...base(), model, steps: 1, reward: 'rlcr', beta }), /beta \(the KL weight\) must be a finite number ≥ 0/);
  }
  model.dispose();
});

test('buildMicroOrganism reuses a folder only when it was built the same way, and says what differs', async () => {
  const same = { dir, seed: 3, hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, vocabSize: 300, sizes: { train: 200, test: 20, 'ood-subtraction': 5, 'ood-3digit': 5, 'ood-multiplication': 5 } };
  const recipe = JSON.parse(fs.readFileSync(path.join(dir, MICRO_ORGANISM_RECIPE_FILE), 'utf8'));
  assert.deepEqual({ analysis: recipe.analysis, splitDigits: recipe.splitDigits, layers: recipe.layers }, { analysis: 'sizes', splitDigits: false, layers: 2 });
  const config = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
  (await buildMicroOrganism(same)).model.dispose();
  assert.equal(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), config, 'reused, not rebuilt');
  await assert.rejects(buildMicroOrganism({ ...same, analysis: 'check' }), /built with analysis "sizes", not analysis "check"; delete the folder/);
  await assert.rejects(buildMicroOrganism({ ...same, layers: 3, splitDigits: true }), /splitDigits false, layers 2, not splitDigits true, layers 3/);
  // a folder from before the record: taken as the default analysis with BPE digits
  const old = path.join(tmp, 'old');
  fs.cpSync(dir, old, { recursive: true });
  fs.rmSync(path.join(old, MICRO_ORGANISM_RECIPE_FILE));
  (await buildMicroOrganism({ ...same, dir: old })).model.dispose();
  await assert.rejects(buildMicroOrganism({ ...same, dir: old, analysis: 'check' }), /analysis "sizes", not analysis "check"/);
  fs.writeFileSync(path.join(old, MICRO_ORGANISM_RECIPE_FILE), '{"analysis": ');
  await assert.rejects(buildMicroOrganism({ ...same, dir: old }), /glassbox-micro-organism\.json is not valid JSON/);
});
