// `glassbox serve-reward` as a CommandSpec: starts on a free loopback port, serves /get_reward with the
// flags given, refuses bad flags, and stops cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandArgs } from '../../src/lab/args.js';
import type { CommandContext } from '../../src/lab/command.js';
import { serveReward } from '../../src/lab/commands/serve-reward.js';

test('serve-reward serves with its flags and stops on SIGTERM', { skip: process.listenerCount('SIGTERM') > 0 ? 'SIGTERM already handled in this process' : false }, async () => {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CommandContext = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, env: {} };
  const { opts } = parseCommandArgs(serveReward, ['--port', '0', '--format', 'ta', '--reward', 'rlvr', '--checker', 'numeric', '--json']);
  const running = serveReward.run(opts, [], ctx);
  while (out.length === 0) await new Promise((r) => setTimeout(r, 10));
  const { url } = JSON.parse(out[0]!);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = await fetch(`${url}/get_reward`, {
    method: 'POST',
    body: JSON.stringify({ query: ['<think>x</think><answer>1/2</answer>'], labels: ['0.5'] }),
  });
  assert.deepEqual((await r.json()).rewards, [1]);
  const h = await (await fetch(`${url}/health`)).json();
  assert.deepEqual(h, { status: 'ok', format: 'ta', reward: 'rlvr', checker: 'numeric' });
  process.emit('SIGTERM', 'SIGTERM');
  assert.equal(await running, 0);
  assert.match(err.at(-1)!, /stopped after 2 requests \(1 completions scored\)/);
});

test('serve-reward refuses bad flags with a message', async () => {
  const ctx: CommandContext = { out: () => {}, err: () => {}, isTTY: false, env: {} };
  const run = (argv: string[]) => serveReward.run(parseCommandArgs(serveReward, argv).opts, [], ctx);
  await assert.rejects(run(['--reward', 'bogus']), /--reward must be one of rlcr, rlvr/);
  await assert.rejects(run(['--format', 'ta', '--reward', 'rlcr']), /cannot start the reward server: .*needs a format with a confidence/);
  await assert.rejects(run(['--port', '70000']), /--port must be an integer/);
  await assert.rejects(run(['--checker', 'fuzzy']), /--checker: unknown checker/);
});
