// The tests StrykerJS runs against the mutants of publishing and the CSV export
// (npm run mutation:integration): real PostgreSQL (the suite's global setup), real receivers.
// The 100,000-row streaming test is left out: it proves memory use, not escaping.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/publishing/publishing.test.ts', 'test/api/tenant-isolation.test.ts', 'test/exports/exports.test.ts'],
      testNamePattern: '^(?!.*streams 100,000 rows)',
    },
  }),
);
