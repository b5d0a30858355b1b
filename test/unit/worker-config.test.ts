// The worker's settings, at the edges of what loadConfig accepts.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config.ts';

describe('HOOKYARD_WORKER_POLL_MS', () => {
  it('defaults to 500 ms', () => {
    expect(loadConfig({}).workerPollMs).toBe(500);
  });

  it.each([['500', 500], ['60000', 60_000]])('accepts %s', (value, expected) => {
    expect(loadConfig({ HOOKYARD_WORKER_POLL_MS: value }).workerPollMs).toBe(expected);
  });

  it.each([['499'], ['60001'], ['0.5'], ['soon']])('refuses %s, naming the variable and the range', (value) => {
    expect(() => loadConfig({ HOOKYARD_WORKER_POLL_MS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ HOOKYARD_WORKER_POLL_MS: value })).toThrow(/500 to 60000/);
  });
});

describe.each([
  ['HOOKYARD_WORKER_MAX_IN_FLIGHT', 'workerMaxInFlight', 200, 1, 5000],
  ['HOOKYARD_WORKER_BATCH_SIZE', 'workerBatchSize', 200, 1, 500],
  ['HOOKYARD_CIRCUIT_COOLDOWN_SECONDS', 'circuitCooldownSeconds', 30, 1, 3600],
] as const)('%s', (variable, key, fallback, min, max) => {
  it(`defaults to ${fallback} and takes ${min} to ${max}`, () => {
    expect(loadConfig({})[key]).toBe(fallback);
    expect(loadConfig({ [variable]: String(min) })[key]).toBe(min);
    expect(loadConfig({ [variable]: String(max) })[key]).toBe(max);
  });

  it.each([String(min - 1), String(max + 1), '2.5', 'many'])('refuses %s, naming the variable and the range', (value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`${variable}.*${min} to ${max}|${min} to ${max}.*${variable}`));
  });
});
