// `glassbox organisms build|list` through their CommandSpecs: flags are checked, the build prints progress
// and a report of perplexity and recall, --json gives the manifest, and list shows the built organism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs } from '../../src/lab/args.js';
import type { CommandSpec } from '../../src/lab/command.js';
import { organismCommands, progressLine } from '../../src/lab/commands/organisms.js';

const home = mkdtempSync(join(tmpdir(), 'glassbox-orgcmd-'));
test.after(() => rmSync(home, { recursive: true, force: true }));

async function run(verb: string, argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const spec = organismCommands.find((c) => c.name === `organisms ${verb}`) as CommandSpec;
  const { opts, positionals } = parseCommandArgs(spec, argv);
  const out: string[] = [], err: string[] = [];
  const code = await spec.run(opts, positionals, { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, env: { GLASSBOX_HOME: home } });
  return { code, out, err };
}

test('bad flags are user errors naming the fix', async () => {
  await assert.rejects(run('build', ['--size', 'huge']), /--size must be one of tiny, small, micro/);
  await assert.rejects(run('build', ['--steps', '3', '--time-budget', '10']), /not both/);
  await assert.rejects(run('build', ['--steps', '0']), /positive integer/);
});

test('build prints progress and a report; --json gives the manifest; list shows it', async () => {
  const a = await run('build', ['--size', 'micro', '--steps', '3', '--seed', '4']);
  assert.equal(a.code, 0);
  assert.ok(a.err.some((l) => /corpus:/.test(l)) && a.err.some((l) => /train step \d+/.test(l)), a.err.join('\n'));
  const report = a.out.join('\n');
  assert.match(report, /held-out perplexity [\d.]+ \(unigram baseline [\d.]+\)/);
  assert.match(report, /recall elementSymbol: held-out paraphrases [\d.]+%/);
  assert.match(report, /training: 3 steps/);
  const j = await run('build', ['--size', 'micro', '--steps', '3', '--seed', '4', '--json']);
  const parsed = JSON.parse(j.out.join('')) as { cached: boolean; dir: string; manifest: { training: { steps: number } } };
  assert.equal(parsed.cached, true);
  assert.equal(parsed.manifest.training.steps, 3);
  const l = await run('list', []);
  assert.match(l.out.join('\n'), /base-micro +[0-9a-f]{12} +4 /);
  const lj = JSON.parse((await run('list', ['--json'])).out.join('')) as { organisms: { dir: string }[] };
  assert.deepEqual(lj.organisms.map((o) => o.dir), [parsed.dir]);
});

test('progress lines show step, loss, tokens/s and ETA', () => {
  const line = progressLine({ phase: 'train', message: 'step', elapsedSec: 65, step: 10, totalSteps: 100, loss: 4.25, lr: 0.001, tokensPerSec: 2500.4, etaSec: 90 });
  assert.equal(line, '[01:05] train step 10/100  loss 4.250  lr 1.00e-3  2,500 tok/s  ETA 01:30');
});
