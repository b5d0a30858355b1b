import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';

describe('publishing and delivering', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  beforeAll(async () => {
    hy = await startTestHookyard();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await hy?.stop();
  });

  it('delivers a published event signed so standardwebhooks and svix both verify it', async () => {
    const { secret, webhookId } = await createWebhookSetup(hy.admin, receiver.url);
    const result = await publish(hy.admin, { type: 'invoice.created', payload: { id: 'inv_1', total: 42 }, source: '/billing' });
    expect(result).toMatchObject({ __typename: 'PublishedEvent', duplicate: false, deliveryCount: 1 });
    await receiver.waitFor(1);
    const request = receiver.requests[0];
    const headers = {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    };
    expect(new StandardWebhook(secret).verify(request.body, headers)).toMatchObject({ type: 'invoice.created', data: { id: 'inv_1', total: 42 } });
    // svix 2 returns nothing and throws when the signature does not match.
    expect(() => new SvixWebhook(secret).verify(request.body, headers)).not.toThrow();
    expect(() => new SvixWebhook(secret).verify(request.body.replace('42', '43'), headers)).toThrow();
    expect(JSON.parse(request.body)).toMatchObject({ specversion: '1.0', source: '/billing', type: 'invoice.created', datacontenttype: 'application/json' });
    expect(request.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(request.headers['user-agent']).toMatch(/^Hookyard\//);

    const delivery = await eventually(async () => {
      const r = await hy.admin(`{ node(id: "${headers['webhook-id']}") { ... on Delivery { status attemptCount deliveredAt webhook { id } attempts { trigger succeeded response { status } } } } }`);
      return r.data.node?.status === 'SUCCEEDED' ? r.data.node : null;
    }, 10_000, 'delivery SUCCEEDED');
    expect(delivery).toMatchObject({ attemptCount: 1, webhook: { id: webhookId }, attempts: [{ trigger: 'SCHEDULED', succeeded: true, response: { status: 200 } }] });
  });
});
