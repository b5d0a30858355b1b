// The hardening settings of the API edge: defaults, edges and one clear message each.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config.ts';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('HOOKYARD_JSON_DEPTH_LIMIT', () => {
  it('is 100 by default and takes 2 to 1000', () => {
    expect(loadConfig({}).jsonDepthLimit).toBe(100);
    expect(loadConfig({ HOOKYARD_JSON_DEPTH_LIMIT: '2' }).jsonDepthLimit).toBe(2);
    expect(loadConfig({ HOOKYARD_JSON_DEPTH_LIMIT: '1000' }).jsonDepthLimit).toBe(1000);
  });
  it.each(['1', '1001', 'deep', '-5'])('refuses %s with a message naming it', (value) => {
    const error = refusal({ HOOKYARD_JSON_DEPTH_LIMIT: value });
    expect(error.variable).toBe('HOOKYARD_JSON_DEPTH_LIMIT');
    expect(error.message).toMatch(/not a whole number from 2 to 1000/);
  });
});

describe('HOOKYARD_CORS_ORIGINS', () => {
  it('is empty by default and takes a comma-separated list of origins', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ HOOKYARD_CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
    expect(loadConfig({ HOOKYARD_CORS_ORIGINS: 'https://dash.example.com, http://localhost:5173' }).corsOrigins).toEqual(['https://dash.example.com', 'http://localhost:5173']);
  });
  it.each([
    ['*', /wildcard/],
    ['https://*.example.com', /wildcard/],
    ['https://dash.example.com/', /not an origin.*no path or trailing slash.*here: https:\/\/dash\.example\.com/],
    ['https://dash.example.com/app', /not an origin/],
    ['dash.example.com', /not an origin/],
    ['ftp://dash.example.com', /not an origin/],
    ['https://Dash.Example.com', /here: https:\/\/dash\.example\.com/],
    ['https://dash.example.com:443', /here: https:\/\/dash\.example\.com\)/],
  ])('refuses %s with a message naming it', (value, message) => {
    const error = refusal({ HOOKYARD_CORS_ORIGINS: value });
    expect(error.variable).toBe('HOOKYARD_CORS_ORIGINS');
    expect(error.message).toMatch(message);
  });
});

describe('HOOKYARD_METRICS_TOKEN', () => {
  it('is unset by default (an open /metrics) and takes 16 to 200 printable characters', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ HOOKYARD_METRICS_TOKEN: 'a'.repeat(16) }).metricsToken).toBe('a'.repeat(16));
    expect(loadConfig({ HOOKYARD_METRICS_TOKEN: 'a'.repeat(200) }).metricsToken).toBe('a'.repeat(200));
  });
  it.each([
    ['a'.repeat(15), /16 to 200 characters, not 15/],
    ['a'.repeat(201), /16 to 200 characters, not 201/],
    ['has a space in it ok', /printable ASCII without spaces/],
  ])('refuses %s without echoing it', (value, message) => {
    const error = refusal({ HOOKYARD_METRICS_TOKEN: value });
    expect(error.variable).toBe('HOOKYARD_METRICS_TOKEN');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(value);
  });
});

describe.each([
  ['HOOKYARD_WS_SUBSCRIPTIONS_PER_SOCKET', 'wsSubscriptionsPerSocket', 100],
  ['HOOKYARD_WS_SOCKETS_PER_KEY', 'wsSocketsPerKey', 50],
  ['HOOKYARD_WS_MESSAGES_PER_SECOND', 'wsMessagesPerSecond', 100],
] as const)('%s', (variable, key, fallback) => {
  it(`is ${fallback} by default and takes 1 to 10000`, () => {
    expect(loadConfig({})[key]).toBe(fallback);
    expect(loadConfig({ [variable]: '1' })[key]).toBe(1);
    expect(loadConfig({ [variable]: '10000' })[key]).toBe(10_000);
  });
  it.each(['0', '10001', 'many', '2.5'])('refuses %s with a message naming it', (value) => {
    const error = refusal({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(/not a whole number from 1 to 10000/);
  });
});
