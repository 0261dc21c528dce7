import { describe, expect, it } from 'vitest';
import { checkReadiness } from '../../server/services/readiness.ts';

describe('checkReadiness', () => {
  it('is ready when every probe answers and unused dependencies are skipped', async () => {
    const result = await checkReadiness({ database: async () => 1, redis: null }, () => {});
    expect(result).toEqual({ ok: true, checks: { database: 'ok', redis: 'not used' } });
  });

  it('names the failed check and gives its error to the log, not to the answer', async () => {
    const logged: [string, unknown][] = [];
    const secret = new Error('connect ECONNREFUSED 10.0.0.7:6379 as user admin');
    const result = await checkReadiness(
      { database: async () => 1, redis: async () => { throw secret; } },
      (check, error) => logged.push([check, error]),
    );
    expect(result).toEqual({ ok: false, checks: { database: 'ok', redis: 'failed' } });
    expect(JSON.stringify(result)).not.toContain('10.0.0.7');
    expect(logged).toEqual([['redis', secret]]);
  });

  it('answers in time when a probe hangs', async () => {
    const started = performance.now();
    const result = await checkReadiness({ database: () => new Promise(() => {}) }, () => {}, 50);
    expect(result).toEqual({ ok: false, checks: { database: 'timed out' } });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
