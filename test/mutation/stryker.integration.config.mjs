// Mutation testing of publishing's matching and idempotency and of the CSV export's
// formula escaping (npm run mutation:integration). These are only reachable through real
// PostgreSQL and HTTP, so each mutant costs whole test files: the ranges are kept to the
// lines where a slip is a data or security bug. Run against publishing.test.ts and
// exports.test.ts (test/mutation/vitest.integration.config.ts); tenant isolation of the same SQL is
// proven by test/api/tenant-isolation.test.ts, which Stryker cannot use here (see there).
//
// Survivors, each explained:
//
// core/publishing/publish-events.ts
// - [...firstByKey.keys()].sort() -> unsorted: the sort orders concurrent claims of several
//   keys so two transactions never wait on each other's keys in opposite orders (deadlock);
//   no test makes two multi-key batches race.
// - if (keys.length) -> if (true), if (lost.length) -> if (true), lost = keys.filter(...) -> keys:
//   equivalent in outcome; each only saves a round trip (claiming or looking up nothing, or
//   looking up keys whose events are then read from `claimed`, never from `existing`).
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'test/mutation/vitest.integration.config.ts', related: false },
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
