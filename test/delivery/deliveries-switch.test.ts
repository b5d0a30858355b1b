// The tenant's switch holds everything: while deliveries are off, a retry that falls due,
// a manual resend, a bulk retry and a test event are all held (not dropped, not failed),
// the manual actions say so, and all of it goes out when the switch is turned on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, ok, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { QUEUES } from '../../core/jobs.ts';

describe("the tenant's deliveries switch", () => {
  const hy = useTestHookyard();
  let db: ReturnType<typeof sqlClient>;
  let r: Receiver;
  let failing = true;

  beforeAll(async () => {
    db = sqlClient(hy.databaseUrl);
    // Fails the delivery named "retrying" until told otherwise; answers 200 to the rest.
    r = await startReceiver((req, res) => void res.writeHead(failing && JSON.parse(req.body).data?.n === 'retrying' ? 500 : 200).end());
  });
  afterAll(async () => {
    await db?.end();
    await r?.close();
  });

  it('holds scheduled retries, resends, bulk retries and test events while off, and sends them all when switched on', async () => {
    // The retry comes 8 s after the first attempt: the switch goes off before it.
    const { eventType, webhookId } = await createWebhookSetup(hy.admin, r.url, { webhook: { retrySchedule: [8, 8] } });
    const retrying = await publish(hy.admin, { type: eventType, payload: { n: 'retrying' } });
    const done = await publish(hy.admin, { type: eventType, payload: { n: 'done' } });
    const idOf = async (eventId: string) => (await db.one<{ id: string }>('select id from delivery where event_id = $1', [eventId])).id;
    const retryingId = await idOf(retrying.event.id);
    const doneId = await idOf(done.event.id);
    // The second succeeds on its first try; the first fails and waits for its retry.
    await eventually(async () => ((await db.one('select attempt_count from delivery where id = $1', [retryingId])).attempt_count === 1 ? true : null), 20_000, 'first attempt');
    await eventually(async () => ((await db.one('select status from delivery where id = $1', [doneId])).status === 'SUCCEEDED' ? true : null), 20_000, 'the second delivered');
    await ok(hy.admin, 'setDeliveriesEnabled', { enabled: false });
    expect((await db.one('select status from delivery where id = $1', [retryingId])).status).toBe('RETRYING');
    failing = false;
    const sentBefore = r.requests.length;

    // The retry comes due and is held: its job completes, the delivery waits with no next attempt.
    await eventually(
      async () => {
        const d = await db.one('select status, next_attempt_at, attempt_count from delivery where id = $1', [retryingId]);
        const jobs = await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state < 'completed' and data->>'deliveryId' = $2`, [QUEUES.deliver, retryingId]);
        return d.status === 'RETRYING' && d.next_attempt_at === null && d.attempt_count === 1 && jobs.n === 0 ? true : null;
      },
      20_000,
      'the retry held',
    );
    const shown = (await hy.admin(`{ node(id: "${retryingId}") { ... on Delivery { status nextAttemptAt heldBy } } }`)).data.node;
    expect(shown).toEqual({ status: 'RETRYING', nextAttemptAt: null, heldBy: 'DELIVERIES_OFF' });
    // Manual actions say they are held.
    const resend = await mutate(hy.admin, `mutation { retryDelivery(input: { id: "${doneId}" }) { __typename ... on DeliveryPayload { held } } }`);
    expect(resend).toEqual({ __typename: 'DeliveryPayload', held: true });
    const test = await mutate(hy.admin, `mutation { sendTestEvent(input: { webhookId: "${webhookId}" }) { __typename ... on DeliveryPayload { held delivery { id status } } } }`);
    expect(test).toMatchObject({ __typename: 'DeliveryPayload', held: true, delivery: { status: 'PENDING' } });
    const bulk = await mutate(hy.admin, `mutation { retryDeliveries(input: { filter: { webhookId: "${webhookId}", status: [SUCCEEDED] } }) { __typename ... on RetryDeliveriesPayload { count held } } }`);
    expect(bulk).toEqual({ __typename: 'RetryDeliveriesPayload', count: 1, held: true });
    // Publishing is refused with a clear error, as before.
    expect((await publish(hy.admin, { type: eventType, payload: {} })).code).toBe('DELIVERIES_DISABLED');
    // Nothing was sent while off, and no job is left to send it behind the switch's back.
    expect(r.requests.length).toBe(sentBefore);
    expect((await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state < 'completed'`, [QUEUES.deliver])).n).toBe(0);

    await ok(hy.admin, 'setDeliveriesEnabled', { enabled: true });
    // The held retry, one resend of the delivered one (asked twice, kept once) and the test event.
    const testId = test.delivery.id;
    await eventually(
      async () => {
        const rows = await db.query<{ id: string; status: string; attempt_count: number }>('select id, status, attempt_count from delivery where id = any($1)', [[retryingId, doneId, testId]]);
        const by = new Map(rows.map((row) => [row.id, row]));
        return by.get(retryingId)?.status === 'SUCCEEDED' && by.get(doneId)?.attempt_count === 2 && by.get(testId)?.status === 'SUCCEEDED' ? true : null;
      },
      20_000,
      'everything held went out',
    );
    const sent = r.requests.slice(sentBefore).map((q) => String(q.headers['webhook-id'])).sort();
    expect(sent).toEqual([retryingId, doneId, testId].sort());
    const triggers = await db.query<{ trigger: string }>('select trigger from attempt where delivery_id = $1 order by attempt_number', [doneId]);
    expect(triggers.map((t) => t.trigger)).toEqual(['SCHEDULED', 'MANUAL']);
  });
});
