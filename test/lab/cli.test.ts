// The glassbox CLI: the launcher spawned as users run it (help, --json, exit codes, errors without
// stacks), and argument parsing against a CommandSpec in-process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../../src/runs/index.js';
import { main, resolveCommand } from '../../src/lab/cli.js';
import { parseCommandArgs } from '../../src/lab/args.js';
import { UserError, type CommandSpec } from '../../src/lab/command.js';
import { commands } from '../../src/lab/commands/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'glassbox.js');

function glassbox(args: string[], home: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, GLASSBOX_HOME: home }, encoding: 'utf8', cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('`glassbox runs list --json` lists the store in GLASSBOX_HOME', () => {
  const home = mkdtempSync(join(tmpdir(), 'gbx-cli-'));
  try {
    let r = glassbox(['runs', 'list', '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { total: 0, runs: [] });

    const store = openStore(home);
    const a = store.createRun({ kind: 'calibrate-eval', name: 'cli-a', config: { x: 1 }, seed: 1 });
    a.log({ type: 'sample', index: 0, question: 'q', completion: 'c', answer: 'a', confidence: 0.7, correct: true });
    a.setSummary({ metrics: { accuracy: 1, ece: 0.3 } });
    a.finish('completed');
    const b = store.createRun({ kind: 'train', config: {} });
    b.finish('failed', 'boom');
    store.close();

    r = glassbox(['runs', 'list', '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.total, 2);
    assert.deepEqual(out.runs.map((x: { id: string }) => x.id).sort(), [a.id, b.id].sort());
    const ra = out.runs.find((x: { id: string }) => x.id === a.id);
    assert.equal(ra.records, 1);
    assert.equal(ra.status, 'completed');
    assert.deepEqual(ra.summary.metrics, { accuracy: 1, ece: 0.3 });

    r = glassbox(['runs', 'list', '--kind', 'train', '--json'], home);
    assert.deepEqual(JSON.parse(r.stdout).runs.map((x: { id: string }) => x.id), [b.id]);

    r = glassbox(['runs', 'list'], home);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^ID\s+KIND\s+NAME\s+STATUS/m);
    assert.match(r.stdout, new RegExp(`${a.id}\\s+calibrate-eval\\s+cli-a\\s+completed\\s+1 .*accuracy=1`));

    r = glassbox(['runs', 'show', a.id.slice(0, 5), '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse(r.stdout);
    assert.equal(shown.run.id, a.id);
    assert.equal(shown.records[0].answer, 'a');
    assert.deepEqual(shown.recordCounts, { '': 1, sample: 1 });

    r = glassbox(['runs', 'delete', b.id, '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { deleted: [b.id] });
    assert.equal(JSON.parse(glassbox(['runs', 'list', '--json'], home).stdout).total, 1);

    // user errors: one line on stderr, no stack, exit 1
    r = glassbox(['runs', 'show', 'zzzz'], home);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^glassbox: error: no run matches "zzzz"; list runs with `glassbox runs list`\n$/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('--help works on the root, on groups and on every command, with an example', async () => {
  const home = mkdtempSync(join(tmpdir(), 'gbx-cli-'));
  try {
    const root = glassbox(['--help'], home);
    assert.equal(root.code, 0);
    assert.match(root.stdout, /Usage: glassbox <command>/);
    assert.match(root.stdout, /^\s+runs\s+List, inspect and delete runs/m);
    const group = glassbox(['runs', '--help'], home);
    assert.equal(group.code, 0);
    assert.match(group.stdout, /runs list\s+List runs/);
    assert.match(group.stdout, /\$ glassbox runs list/);
    // every registered command, in-process (spawning each would only re-test the launcher)
    for (const spec of commands) {
      const out: string[] = [];
      const code = await main([...spec.name.split(' '), '--help'], { ctx: { out: (l) => out.push(l), err: (l) => out.push(l), isTTY: false, env: { GLASSBOX_HOME: home } } });
      const text = out.join('\n');
      assert.equal(code, 0, `${spec.name}: ${text}`);
      assert.match(text, new RegExp(`^Usage: glassbox ${spec.name}`));
      assert.match(text, /Examples?:\n  \$ glassbox /);
      assert.match(text, /--json/);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('unknown commands and bad flags are user errors with a hint', () => {
  const home = mkdtempSync(join(tmpdir(), 'gbx-cli-'));
  try {
    let r = glassbox(['runs', 'lst'], home);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did you mean `glassbox runs list`/);
    r = glassbox(['runs', 'list', '--limit', 'many'], home);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--limit expects a number, got "many"/);
    r = glassbox(['runs', 'list', '--frobnicate'], home);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unknown option '--frobnicate'.*glassbox runs list --help/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

const demo: CommandSpec = {
  name: 'demo eval',
  summary: 'demo',
  examples: ['glassbox demo eval --n 3'],
  options: {
    n: { type: 'number', description: 'n', default: 1 },
    cache: { type: 'boolean', description: 'cache', default: true },
    tag: { type: 'string', description: 'tags', multiple: true },
  },
  async run(opts) {
    if (opts.n === 100) return 100;
    if (opts.n === 13) throw new UserError('thirteen is unlucky; try 12', 1);
    if (opts.n === 99) throw new Error('a bug');
    return 0;
  },
};

test('parseCommandArgs: numbers, defaults, --no-<flag>, multiple, globals', () => {
  assert.deepEqual(parseCommandArgs(demo, ['--n', '5', 'pos']), { opts: { n: 5, cache: true, tag: undefined, json: false, help: false }, positionals: ['pos'] });
  assert.equal(parseCommandArgs(demo, ['--no-cache']).opts.cache, false);
  assert.deepEqual(parseCommandArgs(demo, ['--tag', 'a', '--tag', 'b', '--json']).opts.tag, ['a', 'b']);
  assert.equal(parseCommandArgs(demo, ['--json']).opts.json, true);
  assert.throws(() => parseCommandArgs(demo, ['--n', '']), /--n expects a number/);
  assert.deepEqual(resolveCommand([demo], ['demo', 'eval', 'x', '--n', '2'])?.rest, ['x', '--n', '2']);
  assert.equal(resolveCommand([demo], ['demo']), null);
});

test('main maps results and errors to exit codes 0/1/100', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), isTTY: false, env: {} };
  assert.equal(await main(['demo', 'eval'], { commands: [demo], ctx }), 0);
  assert.equal(await main(['demo', 'eval', '--n', '100'], { commands: [demo], ctx }), 100);
  assert.equal(await main(['demo', 'eval', '--n', '13'], { commands: [demo], ctx }), 1);
  assert.equal(err.at(-1), 'glassbox: error: thirteen is unlucky; try 12');
  assert.equal(await main(['demo', 'eval', '--n', '99'], { commands: [demo], ctx }), 1);
  assert.match(err.join('\n'), /internal error: Error: a bug\n\s+at /);
  assert.equal(await main(['demo'], { commands: [demo], ctx }), 0);
  assert.match(out.at(-1)!, /demo eval\s+demo/);
});

test('every registered command has a unique name, a summary and an example', () => {
  const names = commands.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, `duplicate command names: ${names.join(', ')}`);
  for (const c of commands) {
    assert.ok(c.summary.length > 0, c.name);
    assert.ok(c.examples.length > 0 && c.examples.every((e) => e.includes(`glassbox ${c.name}`)), `${c.name} examples`);
  }
});

test('`glassbox view` binds 127.0.0.1 by default, serves, and stops on SIGTERM; --export writes one file', async () => {
  const home = mkdtempSync(join(tmpdir(), 'gbx-cli-'));
  try {
    const store = openStore(home);
    const w = store.createRun({ kind: 'calibrate-eval', name: 'exp', config: {} });
    w.log({ type: 'sample', index: 0, question: 'What is 2+2?', completion: '<answer>4</answer>', answer: '4', confidence: 0.9, correct: true });
    w.setSummary({ metrics: { accuracy: 1 }, reliability: [{ bin: 9, lo: 0.9, hi: 1, n: 1, conf: 0.9, acc: 1 }] });
    w.finish('completed');
    store.close();

    const out = join(home, 'exp.html');
    const r = glassbox(['view', '--export', 'exp', '--out', out, '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.file, out);
    assert.equal(res.embeddedRecords, 1);
    const html = (await import('node:fs')).readFileSync(out, 'utf8');
    assert.match(html, /<script type="application\/json" id="glassbox-data">/);
    assert.match(html, /What is 2\+2\?/);
    assert.doesNotMatch(html, /<answer>4<\/answer>/, 'embedded text is escaped inside the JSON script');

    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'view', '--port', '0', '--json'], { env: { ...process.env, GLASSBOX_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    const info = await new Promise<{ url: string; host: string; port: number }>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]!));
      });
      child.once('exit', (code) => reject(new Error(`view exited early (${code})`)));
    });
    assert.equal(info.host, '127.0.0.1');
    assert.equal(info.url, `http://127.0.0.1:${info.port}/`);
    const runs = (await (await fetch(`${info.url}api/runs`)).json()) as { total: number };
    assert.equal(runs.total, 1);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
