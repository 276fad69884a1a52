// Pure pieces of the providers layer: Retry-After parsing, backoff bounds, retryable statuses, semaphore order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffDelay, parseRetryAfter, isRetryableStatus, DEFAULT_RETRY, Semaphore } from '../../src/providers/index.js';

test('parseRetryAfter: seconds, HTTP dates, junk', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter(' 0.25 '), 250);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now), 7000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter(''), undefined);
});

test('backoffDelay stays in [d/2, d] with d = min(max, base·2^attempt)', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, u) => {
    const d = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** attempt);
    const w = backoffDelay(attempt, DEFAULT_RETRY, () => u);
    return w >= d / 2 && w <= d && Number.isFinite(w);
  }));
});

test('retryable statuses', () => {
  for (const s of [408, 429, 500, 502, 503, 504]) assert.equal(isRetryableStatus(s), true, String(s));
  for (const s of [400, 401, 403, 404, 422]) assert.equal(isRetryableStatus(s), false, String(s));
});

test('Semaphore: never more than the limit, waiters served in order', async () => {
  const sem = new Semaphore(2);
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  const gates: Array<() => void> = [];
  const tasks = Array.from({ length: 6 }, (_, i) => sem.run(async () => {
    active++;
    peak = Math.max(peak, active);
    order.push(i);
    await new Promise<void>((r) => gates.push(r));
    active--;
  }));
  for (let k = 0; k < 6; k++) {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  }
  await Promise.all(tasks);
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  assert.equal(sem.inFlight, 0);
  assert.throws(() => new Semaphore(0), /positive integer/);
});
