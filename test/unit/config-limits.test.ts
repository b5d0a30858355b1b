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
