// Child process for the kill-and-resume test (not a test file): trains a tiny seeded character model
// with checkpoints, printing "step <n> <loss>" per step and appending the same line to a log file.
// Usage: node --import tsx train-child.ts <checkpointDir> <logFile> <steps> <checkpointEvery> <sleepMsPerStep> <backend>
import * as fs from 'node:fs';
import { Rng, setBackend, type BackendName } from '../../src/engine/index.js';
import { AdamW, train, cosineSchedule, collateCausal, maskedTokenLoss, type BatchSource, type CausalBatch } from '../../src/nn/index.js';
import { makeCharModel } from './helpers.js';

const [dir, logFile, stepsArg, everyArg, sleepArg, backend] = process.argv.slice(2);
setBackend(backend as BackendName); // every run of the test uses the parent's kernels
const steps = Number(stepsArg), every = Number(everyArg), sleepMs = Number(sleepArg);
const V = 11;

const model = makeCharModel(new Rng(1234), V, 8);
const opt = new AdamW(model.params, { lr: 0.05, weightDecay: 0.01, noDecay: 'auto' });
const dataRng = new Rng(99);

// Synthetic "text": counting sequences mod (V-1) of random length and start, token 0 is padding.
let drawn = 0;
const batches: BatchSource<CausalBatch> = {
  next: () => {
    drawn++;
    const seqs = Array.from({ length: 3 }, () => {
      const len = 3 + dataRng.int(6), start = dataRng.int(V - 1);
      return { ids: Array.from({ length: len }, (_, i) => 1 + ((start + i) % (V - 1))), promptLen: dataRng.int(2) };
    });
    return collateCausal(seqs, { padId: 0 }); // tensors made here are freed with the micro-step's scope
  },
  getPosition: () => drawn,
  setPosition: (p) => { drawn = p as number; },
};

const sleep = new Int32Array(new SharedArrayBuffer(4));
await train({
  params: model.params, optimizer: opt, steps, gradAccum: 2, clipNorm: 1,
  schedule: cosineSchedule({ warmupSteps: 3, totalSteps: steps, minRatio: 0.1 }),
  batches,
  lossFn: (b) => ({ loss: maskedTokenLoss(model.forward(b.inputIds), b.targets), tokens: b.tokens }),
  checkpointDir: dir, checkpointEvery: every, resume: true, rngs: { data: dataRng }, config: { V, steps },
  onStep: (info) => {
    const line = `step ${info.step} ${info.loss}\n`;
    fs.appendFileSync(logFile, line);
    process.stdout.write(line);
    if (sleepMs > 0) Atomics.wait(sleep, 0, 0, sleepMs);
  },
});
process.stdout.write('done\n');
