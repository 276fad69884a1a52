// Load benchmark for the reward server on loopback: the server runs in a child process, autocannon posts a
// 64-completion /get_reward batch for ~10 s (BENCH_DURATION seconds), then a burst of fuzzed malformed bodies
// must all get 4xx while the server keeps serving. Prints one JSON line. Run: npx tsx bench/reward-server.bench.ts
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { startRewardServer } from '../src/calibrate/server.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);

/** A realistic-ish batch: 64 RLCR completions (mixed right/wrong/malformed) with their prompts. */
function batch64(): string {
  const prompt = '<|im_start|>system\nAnswer in tags.<|im_end|>\n<|im_start|>user\nPROBLEM: Which city hosts the Louvre?<|im_end|>\n<|im_start|>assistant\n';
  const query: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < 64; i++) {
    const think = 'Let me recall the museums of Europe. '.repeat(8 + (i % 5));
    const ans = i % 3 === 0 ? 'London' : 'Paris';
    const body = i % 16 === 15
      ? `<think>${think}</think> I am not sure.`
      : `<think>${think}</think><answer>${ans}</answer> <analysis>The Louvre is well known; I am fairly sure.</analysis> <confidence>${((i % 10) / 10).toFixed(1)}</confidence>`;
    query.push(prompt + body + '<|im_end|>');
    labels.push('Paris');
  }
  return JSON.stringify({ query, prompts: Array(64).fill(prompt), labels });
}

/** Child mode: start the server, print its URL, serve until the parent closes stdin. */
async function child(): Promise<void> {
  const server = await startRewardServer({ bodyLimit: 1 << 20 });
  process.stdout.write(`${server.url}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    process.stdout.write(`${JSON.stringify(server.stats)}\n`);
    void server.close().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  while (lines.length === 0) {
    if (proc.exitCode !== null) throw new Error('reward server child exited before listening');
    await new Promise((r) => setTimeout(r, 20));
  }
  const server = { url: lines[0]! };
  try {
    const body = batch64();
    const load = await autocannon({
      url: `${server.url}/get_reward`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      duration,
    });

    // fuzz burst: malformed bodies of several kinds, 8 at a time
    const arb = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ query: fc.anything(), labels: fc.anything() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.constant('{"query": ["a"], "labels": ["a", "b"]}'),
      fc.constant('x'.repeat((1 << 20) + 10)),
    );
    const bodies = fc.sample(arb, { numRuns: 500, seed: 7 });
    const counts = { '2xx': 0, '4xx': 0, '5xx': 0, failed: 0 };
    for (let i = 0; i < bodies.length; i += 8) {
      await Promise.all(bodies.slice(i, i + 8).map(async (b, j) => {
        const path = (i + j) % 2 ? '/compute_score' : '/get_reward';
        try {
          const r = await fetch(`${server.url}${path}`, { method: 'POST', body: b });
          await r.arrayBuffer();
          const k = r.status >= 500 ? '5xx' : r.status >= 400 ? '4xx' : '2xx';
          counts[k]++;
        } catch {
          counts.failed++;
        }
      }));
    }
    const health = await fetch(`${server.url}/health`);
    const figures = {
      bench: 'reward-server',
      batch: 64,
      connections,
      durationS: load.duration,
      requestsPerSec: load.requests.average,
      completionsPerSec: load.requests.average * 64,
      latencyP50Ms: load.latency.p50,
      latencyP99Ms: load.latency.p99,
      latencyMaxMs: load.latency.max,
      requests: load.requests.total,
      errors: load.errors + load.timeouts + load.non2xx,
      fuzzBodies: bodies.length,
      fuzz4xx: counts['4xx'],
      fuzz2xx: counts['2xx'],
      fuzz5xx: counts['5xx'],
      fuzzFailed: counts.failed,
      healthyAfter: health.status === 200,
      serverErrors: -1,
    };
    proc.stdin.end();
    while (lines.length < 2 && proc.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    figures.serverErrors = lines[1] ? (JSON.parse(lines[1]) as { serverErrors: number }).serverErrors : -1;
    console.log(JSON.stringify(figures));
    if (figures.errors > 0 || counts['5xx'] > 0 || counts.failed > 0 || !figures.healthyAfter || figures.serverErrors !== 0) process.exitCode = 1;
  } finally {
    if (proc.exitCode === null) proc.kill();
  }
}

(process.argv.includes('--child') ? child() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
