// Mutation testing of publishing's matching and idempotency and of the CSV export's
// formula escaping (npm run mutation:integration). These are only reachable through real
// PostgreSQL and HTTP, so each mutant costs whole test files: the ranges are kept to the
// lines where a slip is a data or security bug.
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-integration.config.ts', related: false },
  mutate: [
    // Idempotency (claim, lookup of lost keys, which events are fresh) and the fan-out (type and channel matching).
    'core/publishing/publish-events.ts:126-153',
    // The statements that read the webhooks of a publish and claim and look up idempotency keys.
    'core/sql/publish.ts:9-46',
    // Formula escaping of the CSV export.
    'api/exports/export-csv.ts:76-76',
  ],
  concurrency: 1,
  dryRunTimeoutMinutes: 20,
  timeoutMS: 120_000,
  htmlReporter: { fileName: 'reports/mutation-integration/index.html' },
  tempDirName: '.stryker-tmp-integration',
};
