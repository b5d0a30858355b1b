import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';

describe('a test Hookyard', () => {
  const hy = useTestHookyard();

  it('answers viewer with the first-start admin key', async () => {
    const response = await hy.admin('{ viewer { role tenant { name deliveriesEnabled } } }');
    expect(response.data.viewer).toEqual({ role: 'ADMIN', tenant: { name: 'default', deliveriesEnabled: true } });
  });
});
