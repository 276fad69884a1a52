// The calibrate CLI verbs run against a real local OpenAI-compatible server with GLASSBOX_HOME in a temp
// folder: eval (cache, --no-cache, --json, thresholds → exit 100), report (HTML file), score (new run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs } from '../../src/lab/args.js';
import type { CommandContext, CommandSpec } from '../../src/lab/command.js';
import { calibrateEval, calibrateReport, calibrateScore } from '../../src/lab/commands/calibrate.js';
import { startFakeServer, chatOk } from '../providers/fake-openai-server.js';

async function runCmd(spec: CommandSpec, argv: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CommandContext = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, env };
  const { opts, positionals } = parseCommandArgs(spec, argv);
  const code = await spec.run(opts, positionals, ctx);
  return { code, out, err };
}

test('calibrate eval / report / score through the CLI specs', async () => {
  const srv = await startFakeServer((r) => {
    const u = r.body.messages.at(-1).content as string;
    const m = /PROBLEM: half of (\d+)/.exec(u)!;
    const n = Number(m[1]);
    // answers as fractions: exact match fails on odd n, numeric succeeds
    const ans = n % 2 ? `${n}/2` : String(n / 2);
    return chatOk(`<think>t</think><answer>${ans}</answer> <analysis>a</analysis> <confidence>0.8</confidence>`);
  });
  const home = mkdtempSync(join(tmpdir(), 'gb-cli-'));
  const env = { GLASSBOX_HOME: home };
  try {
    const data = join(home, 'half.jsonl');
    writeFileSync(data, Array.from({ length: 6 }, (_, i) => JSON.stringify({ question: `half of ${i + 1}`, answer: String((i + 1) / 2) })).join('\n'));
    const provider = `${srv.url}#tiny`;
    const a = await runCmd(calibrateEval, ['--provider', provider, '--data', data, '--json', '--bootstrap', '50', '--seed', '3'], env);
    assert.equal(a.code, 0, a.err.join('\n'));
    const ja = JSON.parse(a.out[0]!);
    assert.equal(ja.metrics.accuracy.value, 0.5);
    assert.equal(srv.requests.length, 6);
    assert.equal(srv.requests[0]!.body.max_tokens, 1024);
    assert.equal(srv.requests[0]!.body.seed, 3);
    assert.ok(existsSync(join(home, 'cache')));
    // cached second run, then --no-cache goes to the server again; thresholds fail → 100
    const b = await runCmd(calibrateEval, ['--provider', provider, '--data', data, '--bootstrap', '0', '--seed', '3', '--fail-under-acc', '0.9'], env);
    assert.equal(b.code, 100);
    assert.equal(srv.requests.length, 6);
    assert.ok(b.err.some((l) => /threshold failed: accuracy 0.5000 is under 0.9/.test(l)));
    assert.ok(b.out.some((l) => /^accuracy\s+0.5/.test(l)));
    assert.ok(b.err.some((l) => /calibrate eval.*6\/6.*cached 6/.test(l)), b.err.join('\n'));
    const c = await runCmd(calibrateEval, ['--provider', provider, '--data', data, '--bootstrap', '0', '--no-cache', '--json'], env);
    assert.equal(c.code, 0);
    assert.equal(srv.requests.length, 12);
    // report
    const out = join(home, 'r.html');
    const r = await runCmd(calibrateReport, [ja.runId, '--out', out, '--bootstrap', '20'], env);
    assert.equal(r.code, 0);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /data-n="6"/);
    const r2 = await runCmd(calibrateReport, [ja.runId, '--bootstrap', '0'], env);
    assert.match(r2.out[0]!, /report\.html$/);
    // score with the numeric checker: every odd item flips to correct
    const s = await runCmd(calibrateScore, [ja.runId, '--checker', 'numeric', '--json', '--bootstrap', '0'], env);
    assert.equal(s.code, 0);
    const js = JSON.parse(s.out[0]!);
    assert.equal(js.changed, 3);
    assert.equal(js.metrics.accuracy, 1);
    assert.notEqual(js.runId, ja.runId);
    assert.ok(readdirSync(join(home, 'runs')).length >= 4);
    // user errors
    await assert.rejects(runCmd(calibrateEval, ['--data', data], env), /--provider is required/);
    await assert.rejects(runCmd(calibrateEval, ['--provider', provider, '--data', data, '--format', 'xyz'], env), /--format must be one of/);
    await assert.rejects(runCmd(calibrateScore, [ja.runId, '--checker', 'judge'], env), /needs --judge/);
  } finally { await srv.close(); rmSync(home, { recursive: true, force: true }); }
});
