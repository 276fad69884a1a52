// Kill-and-resume: a child process trains with checkpoints, is SIGKILLed at a random step, resumes from
// its last checkpoint, and its loss curve (and final weights) equal an uninterrupted run's bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomInt } from 'node:crypto';
import { backendName } from '../../src/engine/index.js';
import { latestCheckpoint } from '../../src/nn/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'train-child.ts');
const STEPS = 30, EVERY = 4;

interface ChildRun { code: number | null; signal: NodeJS.Signals | null; stdout: string }

/** Runs the child; if killAt is given, SIGKILLs it as soon as it reports that step. */
function runChild(dir: string, log: string, sleepMs: number, killAt?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, log, String(STEPS), String(EVERY), String(sleepMs), backendName()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (killAt !== undefined && new RegExp(`^step ${killAt} `, 'm').test(stdout)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`child failed (code ${code}): ${stderr}`));
      else resolve({ code, signal, stdout });
    });
  });
}

function readLog(log: string): [number, number][] {
  return fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => { const [, s, v] = l.split(' '); return [Number(s), Number(v)]; });
}

test('SIGKILL at a random step, resume: the loss curve equals the uninterrupted run bit for bit', { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-kill-'));
  try {
    const dirA = path.join(root, 'a'), dirB = path.join(root, 'b');
    const logA = path.join(root, 'a.log'), logB = path.join(root, 'b.log');
    const full = await runChild(dirA, logA, 0);
    assert.match(full.stdout, /done/);
    const ref = readLog(logA);
    assert.deepEqual(ref.map(([s]) => s), Array.from({ length: STEPS }, (_, i) => i + 1));
    assert.ok(ref[STEPS - 1][1] < ref[0][1], `the model learns (loss ${ref[0][1]} -> ${ref[STEPS - 1][1]})`);

    const killAt = randomInt(EVERY + 2, STEPS - 4);
    const killed = await runChild(dirB, logB, 25, killAt);
    assert.equal(killed.signal, 'SIGKILL', `the first run was killed (at step ~${killAt})`);
    assert.doesNotMatch(killed.stdout, /done/);
    const before = readLog(logB);
    const lastBefore = before[before.length - 1][0];
    assert.ok(lastBefore >= killAt && lastBefore < STEPS, `killed after step ${lastBefore}`);
    const ckpt = latestCheckpoint(dirB);
    assert.ok(ckpt, 'a checkpoint survived the kill');

    const resumed = await runChild(dirB, logB, 0);
    assert.match(resumed.stdout, /done/);
    const all = readLog(logB);
    const second = all.slice(before.length);
    const resumedFrom = second[0][0] - 1;
    assert.ok(resumedFrom >= EVERY && resumedFrom % EVERY === 0 && resumedFrom <= lastBefore, `resumed from checkpoint step ${resumedFrom} (killed after ${lastBefore}, at random step ${killAt})`);
    assert.equal(second[second.length - 1][0], STEPS);
    for (const [s, v] of all) assert.ok(Object.is(v, ref[s - 1][1]), `step ${s}: loss ${v} differs from the uninterrupted run's ${ref[s - 1][1]}`);
    // and the final weights are identical byte for byte
    const wA = fs.readFileSync(path.join(latestCheckpoint(dirA)!, 'weights.safetensors'));
    const wB = fs.readFileSync(path.join(latestCheckpoint(dirB)!, 'weights.safetensors'));
    assert.equal(path.basename(latestCheckpoint(dirB)!), `step-000000${STEPS}`);
    assert.ok(wA.equals(wB), 'final weights differ');
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});
