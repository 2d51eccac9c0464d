/**
 * When to try a call again, and after how long. Retried: no answer (network, timeout), 5xx and
 * 429; never another 4xx, which would be refused the same way again. Waits double from
 * baseDelayMs up to maxDelayMs with full jitter, or what Retry-After says if the hub says
 * more, and all of it within attemptsMax attempts and totalMs in all.
 */
export type RetryPolicy = {
  attemptsMax: number;
  totalMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

export const defaultRetryPolicy: RetryPolicy = {
  attemptsMax: 5,
  totalMs: 30_000,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
};

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined if absent or bad. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait before attempt `attempt + 1` (attempt 1 is the first call). */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfter: number | undefined,
  random = Math.random(),
): number {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.max(Math.round(backoff * random), retryAfter ?? 0);
}
