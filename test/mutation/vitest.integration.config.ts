// The tests StrykerJS runs against the mutants of publishing and the CSV export
// (npm run mutation:integration): real PostgreSQL (the suite's global setup), real receivers.
// Standalone, not merged with vitest.config.ts: mergeConfig concatenates `include`, which ran
// the whole suite. The 100,000-row streaming test is left out: it proves memory use, not
// escaping. So is test/api/tenant-isolation.test.ts: it publishes in beforeAll, which makes
// every publishing mutant "static" (run against every test of every file).
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['test/publishing/publishing.test.ts', 'test/exports/exports.test.ts'],
    testNamePattern: '^(?!.*streams 100,000 rows)',
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
