// Benchmark: `glassbox view` over a calibration run with 100,000 sample records. Measures the time to the
// first page (HTML + runs list + run + first records page) in-process and from spawning the CLI, and the
// CLI server's RSS before and after paging through every record and 1,000 random pages. One JSON line.
// Run: npx tsx bench/lab-view.bench.ts [records]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../src/runs/index.js';
import { startViewServer } from '../src/lab/view/index.js';
import { writeCalibrationRun } from '../test/lab/helpers/synthetic-runs.js';

const ROOT = resolve(import.meta.dirname, '..');
const RECORDS = Number(process.argv[2] ?? 100_000);
const PAGE = 50;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

function hwmMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round((Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024) * 10) / 10;
}

async function get(url: string): Promise<unknown> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${await r.text()}`);
  return r.headers.get('content-type')?.includes('json') ? r.json() : r.text();
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 100) / 100;
}

const home = mkdtempSync(join(tmpdir(), 'gbx-bench-'));
try {
  const t0 = performance.now();
  const store = openStore(home);
  const cal = writeCalibrationRun(store, { name: 'bench-100k', items: RECORDS / 4, samplesPerItem: 4, seed: 5, bootstrap: 0 });
  const writeS = (performance.now() - t0) / 1000;
  const logBytes = statSync(store.getRun(cal.id)!.logPath).size;
  store.close();

  // In-process: open the store, start the server, serve the first page (no CLI start-up cost).
  const tIn = performance.now();
  const inStore = openStore(home);
  const inServer = await startViewServer({ store: inStore, port: 0 });
  await get(inServer.url);
  await get(`${inServer.url}api/runs`);
  await get(`${inServer.url}api/runs/${cal.id}`);
  await get(`${inServer.url}api/runs/${cal.id}/records?type=sample&offset=0&limit=10`);
  const inProcessFirstPageMs = performance.now() - tIn;
  await inServer.close();
  inStore.close();

  // The CLI as a user runs it: `glassbox view` in its own process (from source via tsx unless dist/ is built).
  const tSpawn = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/glassbox.js'), 'view', '--port', '0', '--json'], {
    env: { ...process.env, GLASSBOX_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((res, rej) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) res((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => rej(new Error(`view exited with ${code}`)));
  });
  const listenMs = performance.now() - tSpawn;
  await get(url);
  await get(`${url}api/runs`);
  await get(`${url}api/runs/${cal.id}`);
  const first = (await get(`${url}api/runs/${cal.id}/records?type=sample&offset=0&limit=10`)) as { total: number };
  const firstPageMs = performance.now() - tSpawn;
  if (first.total !== RECORDS) throw new Error(`expected ${RECORDS} records, server sees ${first.total}`);
  const rssBefore = rssMiB(child.pid!);

  const seqMs: number[] = [];
  for (let off = 0; off < RECORDS; off += PAGE) {
    const t = performance.now();
    const page = (await get(`${url}api/runs/${cal.id}/records?type=sample&offset=${off}&limit=${PAGE}`)) as { records: { index: number }[] };
    seqMs.push(performance.now() - t);
    if (page.records[0]!.index !== off) throw new Error(`page at ${off} starts at ${page.records[0]!.index}`);
  }
  const rssAfterSeq = rssMiB(child.pid!);
  const randMs: number[] = [];
  let seed = 12345;
  for (let i = 0; i < 1000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const off = seed % (RECORDS - PAGE);
    const t = performance.now();
    await get(`${url}api/runs/${cal.id}/records?type=sample&offset=${off}&limit=${PAGE}`);
    randMs.push(performance.now() - t);
  }
  const rssAfter = rssMiB(child.pid!);
  const peak = hwmMiB(child.pid!);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  console.log(JSON.stringify({
    bench: 'lab-view',
    records: RECORDS,
    logMiB: Math.round((logBytes / 2 ** 20) * 10) / 10,
    writeSeconds: Math.round(writeS * 100) / 100,
    writeRecordsPerSecond: Math.round(RECORDS / writeS),
    inProcessFirstPageMs: Math.round(inProcessFirstPageMs),
    cliListenMs: Math.round(listenMs),
    cliFirstPageMs: Math.round(firstPageMs),
    rssBeforeMiB: rssBefore,
    rssAfterSequentialMiB: rssAfterSeq,
    rssAfterMiB: rssAfter,
    rssPeakMiB: peak,
    sequentialPages: seqMs.length,
    sequentialPageP50Ms: quantile(seqMs, 0.5),
    sequentialPageP99Ms: quantile(seqMs, 0.99),
    randomPages: randMs.length,
    randomPageP50Ms: quantile(randMs, 0.5),
    randomPageP99Ms: quantile(randMs, 0.99),
    pageSize: PAGE,
  }));
} finally {
  rmSync(home, { recursive: true, force: true });
}
