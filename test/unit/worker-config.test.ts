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
