// New deliveries wake the worker's delivery engine at once (core/live-updates/channels.ts), not
// at their next poll: with the poll set to a minute, everything below still arrives in
// seconds, or the test times out.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PgBoss } from 'pg-boss';
import { QUEUES } from '../../core/jobs.ts';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';

const WITHIN = 15_000; // far below the 60 s poll

describe('waking the delivery loops', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let webhookId: string;
  beforeAll(async () => {
    // Records the delivery engine's fetches (Hookyard runs in-process here).
    const fetches = vi.spyOn(PgBoss.prototype, 'fetch');
    hy = await startTestHookyard({ HOOKYARD_WORKER_POLL_MS: '60000' });
    receiver = await startReceiver();
    ({ webhookId } = await createWebhookSetup(hy.admin, receiver.url));
    // The engine fetches once as it starts, then sleeps for the poll: wait until that first
    // fetch has returned (nothing was queued), so from here only a wake-up can deliver.
    await eventually(async () => {
      const first = fetches.mock.calls.findIndex((call) => call[0] === QUEUES.deliver);
      if (first < 0) return false;
      return (await fetches.mock.results[first].value).length === 0;
    }, 10_000, "the engine's first fetch");
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await receiver?.close();
    await hy?.stop();
  });

  it('wakes them on publishEvent', async () => {
    await publish(hy.admin, { type: 'invoice.created', payload: { n: 1 } });
    await receiver.waitFor(1, WITHIN);
  });

  it('wakes them on retryDelivery', async () => {
    const deliveryId = String(receiver.requests[0].headers['webhook-id']);
    const result = await hy.admin(`mutation($id: ID!) { retryDelivery(input: { id: $id }) { __typename } }`, { id: deliveryId });
    expect(result.data.retryDelivery.__typename).toBe('DeliveryPayload');
    await receiver.waitFor(2, WITHIN);
    expect(receiver.requests[1].headers['webhook-id']).toBe(deliveryId);
  });

  it('wakes them on sendTestEvent', async () => {
    const result = await hy.admin(`mutation($id: ID!) { sendTestEvent(input: { webhookId: $id }) { __typename } }`, { id: webhookId });
    expect(result.data.sendTestEvent.__typename).toBe('DeliveryPayload');
    await receiver.waitFor(3, WITHIN);
    expect(JSON.parse(receiver.requests[2].body).type).toBe('hookyard.test');
  });

  it('wakes them when a paused webhook is resumed', async () => {
    const pause = await hy.admin(`mutation($id: ID!) { pauseWebhook(input: { id: $id }) { __typename } }`, { id: webhookId });
    expect(pause.data.pauseWebhook.__typename).toBe('WebhookPayload');
    await publish(hy.admin, { type: 'invoice.created', payload: { n: 2 } });
    const resume = await hy.admin(`mutation($id: ID!) { resumeWebhook(input: { id: $id }) { __typename } }`, { id: webhookId });
    expect(resume.data.resumeWebhook.__typename).toBe('WebhookPayload');
    await receiver.waitFor(4, WITHIN);
    expect(JSON.parse(receiver.requests[3].body).data).toEqual({ n: 2 });
  });
});
