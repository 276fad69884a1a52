// The organism factory end to end at the micro size: the folder is a normal HF model folder that loads
// and generates, the build is recorded as a run with its loss curve, the cache is reused, the same seed
// gives bitwise identical weights (and a replayed time-budgeted plan reproduces that build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateText, loadModel } from '../../src/models/index.js';
import { openStore } from '../../src/runs/index.js';
import { FACT_TEMPLATES } from '../../src/data/index.js';
import { buildBaseOrganism, listOrganisms, type OrganismProgress } from '../../src/organisms/index.js';

const root = mkdtempSync(join(tmpdir(), 'glassbox-organisms-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const homeA = join(root, 'a'), homeB = join(root, 'b');
const weights = (dir: string) => readFileSync(join(dir, 'model.safetensors'));

test('a micro organism builds end to end into a loadable HF folder, recorded as a run', async () => {
  const phases = new Set<string>();
  const r = await buildBaseOrganism({ size: 'micro', seed: 1, steps: 8, home: homeA, onProgress: (p: OrganismProgress) => phases.add(p.phase) });
  assert.equal(r.cached, false);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'organism.json']) {
    assert.ok(existsSync(join(r.dir, f)), `${f} in ${r.dir}`);
  }
  assert.deepEqual([...phases], ['corpus', 'tokenizer', 'encode', 'train', 'eval', 'save', 'done']);
  const tc = JSON.parse(readFileSync(join(r.dir, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
  assert.match(tc.chat_template ?? '', /Assistant/);
  const m = r.manifest;
  assert.equal(m.training.steps, 8);
  assert.equal(m.seed, 1);
  assert.match(m.dataHash, /^[0-9a-f]{64}$/);
  assert.ok(m.metrics.heldOutPerplexity > 1 && Number.isFinite(m.metrics.heldOutPerplexity));
  assert.ok(m.metrics.unigramPerplexity > 1 && Number.isFinite(m.metrics.unigramPerplexity));
  assert.ok(m.metrics.recall.overall.total > 0);
  assert.ok(m.metrics.recallHeldOut.elementSymbol !== undefined);
  // 12 element facts: every held-out template, and train recall on 10 evenly spaced train templates
  const cells = m.metrics.recall.byRelation.elementSymbol!;
  assert.equal(cells.heldOut!.total, 12 * FACT_TEMPLATES.elementSymbol.heldOut.length);
  const nTrain = FACT_TEMPLATES.elementSymbol.train.length, stride = Math.ceil(nTrain / 10);
  assert.equal(cells.train!.total, 12 * Math.ceil(nTrain / stride));
  assert.ok(m.timings.totalSec! > 0 && m.timings.trainSec! > 0);

  const model = loadModel(r.dir);
  assert.equal(model.config.modelType, 'llama');
  assert.equal(model.numParams(), m.model.params);
  const out = generateText(model, ['The chemical symbol for'], { maxNewTokens: 5, eosTokenIds: [] });
  assert.equal(out.tokens[0]!.length, 5);
  assert.equal(typeof out.texts![0], 'string');
  model.dispose();

  const store = openStore(homeA);
  try {
    const run = store.requireRun(m.runId!);
    assert.equal(run.kind, 'train');
    assert.equal(run.status, 'completed');
    assert.equal(run.seed, 1);
    const steps = store.readRecords(run.id, { type: 'step', limit: 100 });
    assert.equal(steps.total, 8);
    assert.deepEqual(steps.records.map((s) => s.step), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(steps.records.every((s) => typeof s.loss === 'number' && typeof s.lr === 'number' && typeof s.tokensPerSec === 'number'));
    assert.equal((run.summary as { organism?: string }).organism, r.dir);
  } finally {
    store.close();
  }
});

test('a second build with the same recipe comes from the cache without training', async () => {
  const phases: string[] = [];
  const store = openStore(homeA);
  const before = store.countRuns();
  store.close();
  const r = await buildBaseOrganism({ size: 'micro', seed: 1, steps: 8, home: homeA, onProgress: (p) => phases.push(p.phase) });
  assert.equal(r.cached, true);
  assert.deepEqual(phases, ['cache']);
  const s2 = openStore(homeA);
  assert.equal(s2.countRuns(), before, 'no new run');
  s2.close();
  assert.equal(listOrganisms(homeA).length, 1);
});

test('same seed, same weights (bitwise); another seed, other weights', async () => {
  const a = await buildBaseOrganism({ size: 'micro', seed: 1, steps: 8, home: homeA });
  const b = await buildBaseOrganism({ size: 'micro', seed: 1, steps: 8, home: homeB, record: false, force: true });
  assert.equal(b.cached, false);
  assert.equal(a.manifest.hash, b.manifest.hash);
  assert.ok(weights(a.dir).equals(weights(b.dir)), 'identical model.safetensors');
  assert.equal(a.manifest.dataHash, b.manifest.dataHash);
  const c = await buildBaseOrganism({ size: 'micro', seed: 2, steps: 8, home: homeB, record: false });
  assert.notEqual(c.dir, b.dir);
  assert.ok(!weights(c.dir).equals(weights(b.dir)));
});

test('a time-budgeted build stays near its budget and its recorded plan replays to the same weights', async () => {
  const t = await buildBaseOrganism({ size: 'micro', seed: 3, timeBudgetSec: 12, home: homeB, record: false });
  const tr = t.manifest.training;
  assert.ok(tr.steps > 0);
  assert.ok(tr.plan.length >= 1, 'the pacer planned the end');
  assert.ok(t.manifest.recipe.budget.timeBudgetSec === 12);
  if (tr.truncated) return; // a machine stalled past the hard stop: nothing to replay exactly
  const replay = await buildBaseOrganism({ size: 'micro', seed: 3, plan: tr.plan, home: homeB, record: false });
  assert.equal(replay.manifest.training.steps, tr.steps);
  // the fact-heavy final phase began at the same step (it follows the recorded plan)
  assert.ok(tr.finalPhaseFrom !== null && tr.finalPhaseFrom > 0 && tr.finalPhaseFrom < tr.steps, `final phase from ${tr.finalPhaseFrom} of ${tr.steps} steps`);
  assert.equal(replay.manifest.training.finalPhaseFrom, tr.finalPhaseFrom);
  assert.ok(weights(replay.dir).equals(weights(t.dir)), 'replayed plan gives identical weights');
});
