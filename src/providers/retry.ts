// Retry policy for HTTP providers: which failures are worth retrying, how long to wait
// (exponential backoff with full jitter, capped), and how to read a server's Retry-After header.

export interface RetryPolicy {
  /** Retries after the first try (so maxRetries + 1 attempts in all). */
  maxRetries: number;
  /** Delay scale of the first retry, ms. */
  baseDelayMs: number;
  /** Cap on any single wait, ms (also caps Retry-After). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Wait before retry number `attempt` (0-based): uniform in [d/2, d] with d = min(max, base·2^attempt)
 * ("equal jitter": never zero, never bunched).
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const d = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return d / 2 + random() * (d / 2);
}

/**
 * Retry-After in ms from a header value: either delta-seconds ("2", "0.5") or an HTTP date.
 * Returns undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** HTTP statuses that mean "try again later": rate limit, timeouts and server faults. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || (status >= 500 && status <= 599);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
