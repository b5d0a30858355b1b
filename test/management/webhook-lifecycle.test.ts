// What test/management/webhooks.test.ts and webhook-rules.test.ts leave out: that a
// generated secret works with a Standard Webhooks library as given to an integrator,
// and that a webhook's history starts at the very instant it was created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createIntegrator, createWebhook, registerEventType } from '../support/fixtures.ts';

describe('webhooks', () => {
  let hy: TestHookyard;
  let integratorId: string;
  const input = () => ({ integratorId, name: 'Billing', url: 'https://hooks.example.com/billing', eventTypes: ['invoice.created'] });

  beforeAll(async () => {
    hy = await startTestHookyard();
    integratorId = (await createIntegrator(hy.admin, { name: 'Acme' })).id;
    await registerEventType(hy.admin, 'invoice.created');
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('generates a secret that a Standard Webhooks library takes as it is', async () => {
    const { secret } = await createWebhook(hy.admin, input());
    const payload = JSON.stringify({ hello: 'world' });
    const receiver = new StandardWebhook(secret);
    const timestamp = new Date();
    const signature = receiver.sign('msg_1', timestamp, payload);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature };
    expect(receiver.verify(payload, headers)).toEqual({ hello: 'world' });
  });

  it('dates the "created" line of the history at the webhook\'s own createdAt', async () => {
    for (let i = 0; i < 5; i++) {
      const { webhook } = await createWebhook(hy.admin, input());
      expect(webhook.history).toEqual([{ fromStatus: null, toStatus: 'ACTIVE', reason: 'created', createdAt: webhook.createdAt }]);
    }
  });
});
