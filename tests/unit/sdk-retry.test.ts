import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy } from '../../sdk/index.ts';
import { isRetryableStatus, retryAfterMs, retryDelayMs } from '../../sdk/retry.ts';

describe('SDK retries', () => {
  it('retries 5xx and 429, never another 4xx', () => {
    expect([500, 502, 503, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });

  it('backs off with full jitter up to the cap, and waits at least what Retry-After says', () => {
    const p = defaultRetryPolicy;
    expect([1, 2, 3, 10].map((n) => retryDelayMs(p, n, undefined, 1))).toEqual([
      200, 400, 800, 5000,
    ]);
    expect(retryDelayMs(p, 3, undefined, 0)).toBe(0);
    expect(retryDelayMs(p, 1, retryAfterMs('2'), 1)).toBe(2000);
    const at = Date.parse('2026-01-01T00:00:10Z');
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:15 GMT', at)).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
