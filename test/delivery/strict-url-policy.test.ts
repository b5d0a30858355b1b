import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';

describe('strict URL policy at delivery time', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_URL_POLICY: 'strict' });
    receiver = await startReceiver();
    db = sqlClient(hy.databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    await receiver?.close();
    await hy?.stop();
  });

  it('refuses to connect to a loopback address and records the refusal as a BLOCKED attempt', async () => {
    const { eventType, webhookId } = await createWebhookSetup(hy.admin, 'https://hooks.example.com/in', { webhook: { retrySchedule: [] } });
    // A URL that passed the policy when saved can point inward later (DNS rebinding); simulate it.
    await db.query('update webhook set url = $1 where id = $2', [receiver.url, webhookId]);
    const published = await publish(hy.admin, { type: eventType, payload: {} });
    const attempt = await eventually<{ error_kind: string; error_message: string; status: string }>(
      () => db.one('select a.error_kind, a.error_message, d.status from attempt a join delivery d on d.id = a.delivery_id where d.event_id = $1', [published.event.id]),
      10_000,
      'the blocked attempt',
    );
    expect(attempt).toMatchObject({ error_kind: 'blocked', status: 'FAILED' });
    expect(attempt.error_message).toMatch(/127\.0\.0\.1|loopback/);
    expect(receiver.requests).toHaveLength(0);
  });
});
