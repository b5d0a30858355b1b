// Mutation testing (npm run mutation) of the modules where a one-character slip is a
// security or data bug, against their unit tests (test/mutation/vitest.unit.config.ts). Not part of
// CI. The clear-text report prints the score per module; the HTML report goes to
// reports/mutation/. Publishing and the CSV export need PostgreSQL and HTTP:
// test/mutation/stryker.integration.config.mjs (npm run mutation:integration).
//
// Survivors, each explained (re-check them when the report changes):
//
// core/rules/secret.ts
// - cipher.update(plain, 'utf8') -> cipher.update(plain, ""): equivalent, an empty encoding
//   falls back to UTF-8.
// - iv64 ?? '' / tag64 ?? '' -> "Stryker was here!": equivalent, a missing part is refused by
//   the format check on the next line whatever the fallback decodes to (wrong length).
// - { authTagLength: TAG_BYTES } -> {}: equivalent, 16 bytes is AES-GCM's default tag length
//   and setAuthTag is given exactly 16 bytes (the format check refuses any other length).
//
// worker/delivery/address-guard.ts
// - ip.startsWith('[') -> startsWith("") (line 42), and the same and && -> || on the host of
//   the guarded lookup (line 88): equivalent for every host a URL can carry; only a bracketed
//   IPv6 literal ends in "]", and the WHATWG URL parser refuses "]" anywhere else.
// - segmentRouting label 'segment-routing' -> "": the wording of one refusal message for an
//   IPv6 range the tests do not reach; the refusal itself is tested (not global unicast).
// - allowH2: false -> true (twice), connections ?? 128 -> && 128, connectTimeoutMs ?? 10_000
//   -> && 10_000: dispatcher tuning with no effect a unit test can observe against a local
//   HTTP/1.1 server (no ALPN, no connection limit reached, no connect that hangs).
//
// worker/delivery/retry-delay.ts
// - args.status === undefined || ... -> false || ...: equivalent, the set of statuses does not
//   contain undefined.
// - if (!text) return null -> if (false): equivalent, an empty or blank value matches neither
//   the delta-seconds nor the HTTP-date test below and also gives null.
//
// core/rules/webhook-fields.ts: see the line ranges below; the channel syntax (line 15) and
// the other field checks are validation, not matching, and are left out.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.unit.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  mutate: [
    'worker/delivery/address-guard.ts',
    'core/rules/url-policy.ts',
    'worker/delivery/signature.ts',
    'core/rules/secret.ts',
    'core/rules/custom-headers.ts',
    'worker/delivery/retry-delay.ts',
    // Event type matching of publishing: the wildcard syntax, the pattern check and eventTypeMatches.
    'core/rules/webhook-fields.ts:14-14',
    'core/rules/webhook-fields.ts:17-36',
  ],
  ignorePatterns: ['client', 'docs', '.hookyard', 'test/artifacts', 'test/bench', 'test/dashboard', 'reports'],
  concurrency: 2,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
