import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('config', () => {
  it('has defaults that start a product on a fresh machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, examplePort: 3001, publicUrl: 'http://localhost:3000', databaseUrl: undefined, maxFrameBytes: 65536 });
  });

  it('refuses nonsense instead of guessing', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ SECRET: 'short' })).toThrow(/at least 32/);
    expect(() => loadConfig({ MAX_MESSAGE_LENGTH: '100000' })).toThrow(ConfigError);
  });

  it('trusts no proxy unless told, and reads TRUST_PROXY as on, a hop count or addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1');
  });

  it('names every REST rate limit count so that the bench can raise it', () => {
    const counts = ['loginRateLimitPerAddress', 'loginRateLimitPerEmail', 'sessionRateLimitPerAddress', 'apiRateLimitPerToken'] as const;
    const config = loadConfig({});
    for (const key of counts) {
      expect(key).toMatch(/rate.?limit/i);
      expect(config[key]).toBeGreaterThan(0);
    }
  });
});
