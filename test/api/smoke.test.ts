import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';

describe('a test Hookyard', () => {
  let hy: TestHookyard;
  beforeAll(async () => {
    hy = await startTestHookyard();
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('answers viewer with the first-start admin key', async () => {
    const response = await hy.admin('{ viewer { role tenant { name deliveriesEnabled } } }');
    expect(response.data.viewer).toEqual({ role: 'ADMIN', tenant: { name: 'default', deliveriesEnabled: true } });
  });
});
