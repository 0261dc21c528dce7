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
});
