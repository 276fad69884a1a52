// The engine self-check and `glassbox doctor`: the self-check passes on every available backend, its
// tolerances can fail (a corrupted kernel is caught), and doctor prints the report / JSON and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selfCheck, engineDiagnostics, nativeAvailable } from '../../src/engine/selfcheck.js';
import { doctorCommand } from '../../src/lab/commands/doctor.js';
import { referenceKernels } from '../../src/engine/backends/reference.js';
import { withBackend } from '../../src/engine/index.js';

function ctx() {
  const out: string[] = [], err: string[] = [];
  return { out, err, c: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), isTTY: false, env: process.env } };
}

test('selfCheck passes on every available backend and compares native with reference', () => {
  const r = selfCheck();
  assert.equal(r.ok, true, r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.maxDiff}`).join('; '));
  assert.ok(r.backends.includes('reference'));
  for (const name of ['matmul', 'matmul grad A', 'softmax grad', 'attention', 'attention grad k']) {
    assert.ok(r.checks.some((c) => c.name === `reference: ${name} vs float64`), `missing check ${name}`);
  }
  if (nativeAvailable()) assert.ok(r.checks.some((c) => c.name.startsWith('native vs reference: attention grad q')));
  for (const c of r.checks) assert.ok(Number.isFinite(c.maxDiff) && c.maxDiff >= 0);
  assert.ok(r.ms > 0);
});

test('selfCheck (and doctor) fail when a kernel is wrong', async () => {
  const orig = referenceKernels.softmax;
  // a subtly wrong softmax: every row scaled by 1.001
  (referenceKernels as { softmax: typeof orig }).softmax = (x, xOff, y, rows, cols, log) => {
    orig(x, xOff, y, rows, cols, log);
    for (let i = 0; i < rows * cols; i++) y[i] *= 1.001;
  };
  try {
    const r = withBackend('reference', () => selfCheck());
    assert.equal(r.ok, false);
    assert.ok(r.checks.some((c) => !c.ok && c.name === 'reference: softmax vs float64'));
    const t = ctx();
    assert.equal(await doctorCommand.run({ json: false }, [], t.c), 1, 'doctor exits 1 when the self-check fails');
    assert.ok(t.out.some((l) => l.includes('FAIL reference: softmax vs float64')));
  } finally {
    (referenceKernels as { softmax: typeof orig }).softmax = orig;
  }
});

test('engineDiagnostics reports backend, reason, machine and node', () => {
  const d = engineDiagnostics();
  assert.ok(d.backend === 'native' || d.backend === 'reference');
  assert.ok(d.backendReason.length > 10);
  assert.equal(d.node, process.version);
  assert.ok(d.cpu.cores >= 1 && d.memory.totalBytes > 0);
  if (d.backend === 'native') { assert.ok(d.native.loaded); assert.ok(d.threads === null || d.threads >= 1); }
  else assert.ok(d.native.error || process.env.GLASSBOX_BACKEND === 'reference');
});

test('glassbox doctor: text report, --json, exit code', async () => {
  const t = ctx();
  assert.equal(await doctorCommand.run({ json: false }, [], t.c), 0);
  const text = t.out.join('\n');
  for (const key of ['backend', 'blas', 'threads', 'cpu', 'memory', 'node', 'self-check  ok']) assert.ok(text.includes(key), `missing '${key}' in:\n${text}`);
  const j = ctx();
  assert.equal(await doctorCommand.run({ json: true }, [], j.c), 0);
  assert.equal(j.out.length, 1);
  const parsed = JSON.parse(j.out[0]);
  assert.equal(parsed.selfCheck.ok, true);
  assert.ok(Array.isArray(parsed.selfCheck.checks) && parsed.selfCheck.checks.length >= 9);
  assert.ok(doctorCommand.examples.length > 0);
});
