// Progress output: an in-place bar with ETA on a TTY, plain lines every 10% otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, estimateEta, renderProgress } from '../../src/lab/progress.js';

test('renderProgress shows the bar, counts, rate and ETA', () => {
  assert.equal(renderProgress({ label: 'eval', done: 25, total: 100, elapsedS: 5 }, 10), 'eval [###-------] 25/100 25% 5.0/s ETA 00:15');
  assert.equal(renderProgress({ label: 'eval', done: 3, total: null, elapsedS: 6, note: 'acc 0.5' }, 10), 'eval 3 2.0s/it elapsed 00:06 acc 0.5');
  assert.equal(estimateEta(0, 10, 5), null);
  assert.equal(estimateEta(50, 100, 3600), 3600);
});

test('non-TTY progress prints a plain line at the start, at each 10% and at the end', () => {
  const lines: string[] = [];
  let t = 0;
  const p = createProgress({ total: 100, label: 'eval', isTTY: false, write: (c) => lines.push(c), now: () => t });
  for (let i = 0; i < 100; i++) {
    t += 100;
    p.tick();
  }
  p.finish('done');
  assert.equal(lines.length, 12); // the first tick, each 10%, and the final line
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.equal(lines[0], 'eval 1/100 1% 10/s ETA 00:10\n');
  assert.equal(lines[1], 'eval 10/100 10% 10/s ETA 00:09\n');
  assert.equal(lines.at(-1), 'eval 100/100 100% 10/s ETA 00:00 done\n');
});

test('TTY progress redraws in place at most every 100 ms', () => {
  const chunks: string[] = [];
  let t = 0;
  const p = createProgress({ total: 50, label: 'train', isTTY: true, width: 5, write: (c) => chunks.push(c), now: () => t });
  for (let i = 0; i < 50; i++) {
    t += 20;
    p.tick();
  }
  p.finish();
  assert.ok(chunks.every((c) => c.startsWith('\r\x1b[2K')));
  assert.ok(chunks.length <= 12 && chunks.length >= 9, `redraws: ${chunks.length}`);
  assert.equal(chunks.at(-1), '\r\x1b[2Ktrain [#####] 50/50 100% 50/s ETA 00:00\n');
});
