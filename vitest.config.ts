import { defineConfig } from 'vitest/config';

// The suite runs on PGlite always, and again on PostgreSQL (with the Redis broker when REDIS_URL
// is set) when DATABASE_URL is set — .ci/run sets both, so CI covers every driver.
const dbTests = ['test/integration/**/*.test.ts', 'test/regressions/**/*.test.ts', 'test/e2e/**/*.test.ts'];
const server = process.env.REDIS_URL ? 'postgres+redis' : 'postgres';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true as const, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true as const, test: { name: 'pglite', include: dbTests, env: { PARLEY_TEST_DB: 'pglite' } } },
      ...(process.env.DATABASE_URL
        ? [{ extends: true as const, test: { name: server, include: dbTests, env: { PARLEY_TEST_DB: 'postgres' } } }]
        : []),
    ],
  },
});
