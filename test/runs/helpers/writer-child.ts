// Child process for the store's crash and concurrency tests: writes `n` records to a new run in the
// store at argv[2], printing "run <id>" first and "progress <k>" every 100 records; never finishes
// the run when argv[4] === 'hang' (it then waits to be killed).
import { openStore } from '../../../src/runs/index.js';

const [home, nArg, mode] = process.argv.slice(2);
const n = Number(nArg);
const store = openStore(home);
const run = store.createRun({ kind: 'calibrate-eval', name: 'child', config: { n }, seed: 7 });
process.stdout.write(`run ${run.id}\n`);
for (let i = 0; i < n; i++) {
  // Sizes vary up to ~200 KB so a reader racing the writer would meet long, multi-chunk lines.
  const len = i % 97 === 0 ? 200_000 : 50 + ((i * 7919) % 3000);
  const payload = String.fromCharCode(97 + (i % 26)).repeat(len);
  run.log({ type: i % 10 === 9 ? 'step' : 'sample', seq: i, len, payload });
  if (i % 100 === 99) {
    run.flush();
    process.stdout.write(`progress ${i + 1}\n`);
  }
}
if (mode === 'hang') {
  run.flush();
  process.stdout.write('hanging\n');
  setInterval(() => {}, 1000);
} else {
  run.finish('completed');
  store.close();
}
