import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffFor, retryDelayMs } from '../../server/services/webhooks/backoff.ts';

const DAY = 24 * 3_600_000;

describe('webhook retry backoff', () => {
  it('starts at 30 s and doubles up to 1 h for the default 24 h window', () => {
    const backoff = backoffFor(DAY);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffCeilingMs(n, backoff)))
      .toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
  });

  it('jitters fully: anywhere from 0 to the ceiling', () => {
    const backoff = backoffFor(DAY);
    expect(retryDelayMs(3, backoff, () => 0)).toBe(0);
    expect(retryDelayMs(3, backoff, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(3, backoff, () => 0.999_999)).toBeLessThanOrEqual(120_000);
    const delays = Array.from({ length: 200 }, () => retryDelayMs(4, backoff));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(240_000);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });

  it('scales with a shorter window', () => {
    expect(backoffFor(2880)).toEqual({ baseMs: 1, capMs: 120 });
  });
});
