// The tests StrykerJS runs against each mutant (npm run mutation): the unit tests of the
// modules listed in test/mutation/stryker.config.mjs, not the whole suite. They need no PostgreSQL, so
// there is no global setup.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/address-guard.test.ts',
      'test/unit/url-policy.test.ts',
      'test/unit/signature.test.ts',
      'test/unit/secret.test.ts',
      'test/unit/custom-headers.test.ts',
      'test/unit/retry-delay.test.ts',
      'test/unit/event-type-matching.test.ts',
    ],
    testTimeout: 30_000,
  },
});
