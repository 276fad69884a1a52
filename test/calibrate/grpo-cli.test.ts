// The `calibrate sft` and `calibrate train` command specs run end to end on a micro organism (through their
// run() functions, as the CLI calls them): they train, save a model folder, record runs, and refuse bad flags.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore } from '../../src/runs/index.js';
import { calibrateTrainCommands } from '../../src/lab/commands/calibrate-train.js';
import { buildMicroOrganism } from '../../src/calibrate/grpo-organism.js';
import type { CommandContext } from '../../src/lab/command.js';

let tmp = '', dir = '';
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-grpo-cli-'));
  dir = path.join(tmp, 'org');
  (await buildMicroOrganism({ dir, seed: 2, hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, vocabSize: 300, sizes: { train: 100, test: 10, 'ood-subtraction': 2, 'ood-3digit': 2, 'ood-multiplication': 2 } })).model.dispose();
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ctx(): CommandContext & { lines: string[]; errs: string[] } {
  const lines: string[] = [], errs: string[] = [];
  return { lines, errs, out: (l) => lines.push(l), err: (l) => errs.push(l), isTTY: false, env: { GLASSBOX_HOME: path.join(tmp, 'home') } };
}
const spec = (name: string) => calibrateTrainCommands.find((c) => c.name === name)!;

test('the four verbs are exported with examples', () => {
  assert.deepEqual(calibrateTrainCommands.map((c) => c.name), ['calibrate train', 'calibrate sft', 'calibrate replicate', 'demo']);
  for (const c of calibrateTrainCommands) assert.ok(c.examples.length > 0);
});

test('calibrate sft then calibrate train (JSON output, saved folders, runs in the store)', async () => {
  const c1 = ctx();
  const sftOut = path.join(tmp, 'sft');
  assert.equal(await spec('calibrate sft').run({ steps: 3, 'batch-size': 8, out: sftOut, json: true }, [dir], c1), 0);
  const r1 = JSON.parse(c1.lines[0]);
  assert.equal(r1.steps, 3);
  assert.ok(fs.existsSync(path.join(sftOut, 'config.json')) && fs.existsSync(path.join(sftOut, 'tokenizer.json')));

  const c2 = ctx();
  const rlOut = path.join(tmp, 'rl');
  assert.equal(await spec('calibrate train').run({ steps: 2, 'group-size': 2, 'prompts-per-step': 2, 'max-new-tokens': 8, reward: 'rlvr', out: rlOut, json: true }, [sftOut], c2), 0);
  const r2 = JSON.parse(c2.lines[0]);
  assert.equal(r2.steps, 2);
  assert.ok(Number.isFinite(r2.last.rewardMean));
  assert.ok(fs.existsSync(path.join(rlOut, 'config.json')));
  const store = openStore(path.join(tmp, 'home'));
  assert.equal(store.requireRun(r2.runId).kind, 'grpo');
  assert.equal(store.requireRun(r1.runId).kind, 'sft');
  store.close();
});

test('bad flags fail loudly with the flag name', async () => {
  await assert.rejects(spec('calibrate train').run({ reward: 'brier' }, [dir], ctx()), /--reward must be one of/);
  await assert.rejects(spec('calibrate train').run({ 'group-size': 1 }, [dir], ctx()), /--group-size must be an integer ≥ 2/);
  await assert.rejects(spec('calibrate train').run({}, [], ctx()), /model folder/);
  await assert.rejects(spec('calibrate replicate').run({ seeds: 'a,b' }, [], ctx()), /--seeds/);
  await assert.rejects(spec('calibrate replicate').run({ analysis: 'verdict' }, [], ctx()), /--analysis must be one of/);
  await assert.rejects(spec('calibrate sft').run({ analysis: 'vibes' }, [dir], ctx()), /--analysis must be one of/);
  await assert.rejects(spec('calibrate sft').run({ data: path.join(tmp, 'x.jsonl'), analysis: 'check' }, [dir], ctx()), /--analysis and --confidence-prior apply to --data arithmetic only/);
  await assert.rejects(spec('calibrate sft').run({ data: path.join(tmp, 'x.jsonl'), 'confidence-prior': 'routed' }, [dir], ctx()), /apply to --data arithmetic only/);
  await assert.rejects(spec('calibrate sft').run({ 'confidence-prior': 'routed' }, [dir], ctx()), /--confidence-prior routed .* needs --analysis check/);
  await assert.rejects(spec('calibrate sft').run({ analysis: 'check', 'confidence-prior': 'peaked' }, [dir], ctx()), /--confidence-prior must be one of/);
  await assert.rejects(spec('calibrate replicate').run({ analysis: 'sizes', 'confidence-prior': 'routed' }, [], ctx()), /needs --analysis check/);
  await assert.rejects(spec('demo').run({ analysis: 'check', 'confidence-prior': 'peaked' }, [], ctx()), /--confidence-prior must be one of/);
});
