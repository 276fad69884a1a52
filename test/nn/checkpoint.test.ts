// Checkpoints: round trip (weights, optimizer, RNG, data position), latestCheckpoint, pruning,
// atomicity (a failure while writing leaves the last good checkpoint intact), safetensors compatibility.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, scope, tensor, mean, square, sub } from '../../src/engine/index.js';
import { AdamW, saveCheckpoint, loadCheckpoint, restoreCheckpoint, latestCheckpoint, listCheckpoints } from '../../src/nn/index.js';
import { openSafetensors } from '../../src/models/safetensors.js';
import { makeMlp, disposeAll } from './helpers.js';

function tmpdir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'gb-ckpt-')); }

function trainSteps(model: ReturnType<typeof makeMlp>, opt: AdamW, rng: Rng, n: number): void {
  for (let i = 0; i < n; i++) {
    scope(() => {
      const x = tensor(Array.from({ length: 24 }, () => rng.normal()), [4, 6]);
      mean(square(sub(model.forward(x), tensor(Array.from({ length: 12 }, () => rng.normal()), [4, 3])))).backward();
    });
    opt.step(); opt.zeroGrad();
  }
}

test('save / load / restore round-trips weights, optimizer state, RNG and data position exactly', () => {
  const dir = tmpdir();
  try {
    const a = makeMlp(new Rng(1));
    const opt = new AdamW(a.params, { lr: 0.01 });
    const rng = new Rng(2);
    trainSteps(a, opt, rng, 3);
    rng.normal(); // leave a Box-Muller spare in the state
    const ck = saveCheckpoint(dir, { step: 3, params: a.params, optimizer: opt, rngs: { data: rng }, dataPosition: { epoch: 1, index: 42 }, config: { lr: 0.01 }, extra: { note: 'x' } });
    assert.equal(path.basename(ck), 'step-00000003');
    assert.equal(latestCheckpoint(dir), ck);
    const loaded = loadCheckpoint(ck);
    assert.equal(loaded.step, 3);
    assert.deepEqual(loaded.dataPosition, { epoch: 1, index: 42 });
    assert.deepEqual(loaded.config, { lr: 0.01 });
    assert.deepEqual(loaded.extra, { note: 'x' });
    const b = makeMlp(new Rng(99));
    const optB = new AdamW(b.params, { lr: 0.01 });
    const rngB = new Rng(0);
    restoreCheckpoint(loaded, { params: b.params, optimizer: optB, rngs: { data: rngB } });
    for (const [n, p] of a.params) assert.deepEqual(b.params.get(n)!.toFlat(), p.toFlat());
    assert.deepEqual(rngB.getState(), rng.getState());
    trainSteps(a, opt, rng, 2); trainSteps(b, optB, rngB, 2);
    for (const [n, p] of a.params) assert.deepEqual(b.params.get(n)!.toFlat(), p.toFlat(), `after continuing: ${n}`);
    // the weights file is a standard safetensors file
    const f = openSafetensors(path.join(ck, 'weights.safetensors'));
    assert.deepEqual([...f.header.keys()].sort(), [...a.params.keys()].sort());
    f.close();
    assert.throws(() => restoreCheckpoint(loaded, { params: new Map([['mlp.fc1.weight', b.params.get('mlp.fc2.weight')!]]) }), /is \[12,6\] in the checkpoint/);
    opt.dispose(); optB.dispose(); disposeAll(a.params); disposeAll(b.params);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a failure while writing leaves the last good checkpoint intact and no partial folder', () => {
  const dir = tmpdir();
  try {
    const m = makeMlp(new Rng(3));
    const opt = new AdamW(m.params, { lr: 0.01 });
    trainSteps(m, opt, new Rng(4), 2);
    const good = saveCheckpoint(dir, { step: 10, params: m.params, optimizer: opt, dataPosition: 10 });
    const goodWeights = fs.readFileSync(path.join(good, 'weights.safetensors'));
    trainSteps(m, opt, new Rng(5), 2);
    for (const failOn of ['weights.safetensors', 'optimizer.safetensors', 'state.json']) {
      assert.throws(() => saveCheckpoint(dir, { step: 20, params: m.params, optimizer: opt, dataPosition: 20 }, {
        onFileWritten: (f) => { if (path.basename(f) === failOn) throw new Error('ENOSPC: no space left on device (simulated)'); },
      }), /writing .*step-00000020 failed \(ENOSPC.*earlier checkpoints are untouched/);
      assert.deepEqual(fs.readdirSync(dir), ['step-00000010'], `after failing on ${failOn}`);
      assert.equal(latestCheckpoint(dir), good);
      assert.deepEqual(fs.readFileSync(path.join(good, 'weights.safetensors')), goodWeights);
      assert.equal(loadCheckpoint(good).dataPosition, 10);
    }
    // a stale temp folder (a process killed mid-write) is ignored by latestCheckpoint and cleaned by the next save
    fs.mkdirSync(path.join(dir, '.tmp-step-00000030-12345'));
    fs.writeFileSync(path.join(dir, '.tmp-step-00000030-12345', 'weights.safetensors'), 'partial');
    assert.equal(latestCheckpoint(dir), good);
    saveCheckpoint(dir, { step: 20, params: m.params, optimizer: opt, dataPosition: 20 });
    saveCheckpoint(dir, { step: 30, params: m.params, optimizer: opt, dataPosition: 30 }, { keepLast: 2 });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['step-00000020', 'step-00000030']);
    assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [20, 30]);
    assert.equal(latestCheckpoint(path.join(dir, 'nothing-here')), null);
    // saving the same step again replaces it
    saveCheckpoint(dir, { step: 30, params: m.params, optimizer: opt, dataPosition: 31 });
    assert.equal(loadCheckpoint(latestCheckpoint(dir)!).dataPosition, 31);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['step-00000020', 'step-00000030']);
    opt.dispose(); disposeAll(m.params);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
