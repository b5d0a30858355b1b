// What a delivery does at the edges of its schedule: held while its webhook is paused or
// disabled, the last retry step, a failed manual resend of a closed delivery, and a
// rate-limited backlog spread over the following seconds. Times are compared between
// recorded requests, never against the wall clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, ERROR, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { QUEUES } from '../../core/jobs.ts';

const DELIVERY = `query($id: ID!) { node(id: $id) { ... on Delivery { id status attemptCount nextAttemptAt deliveredAt heldBy attempts { attemptNumber trigger succeeded createdAt } } } }`;
const PUBLISH_MANY = `mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename ... on PublishEventsPayload { results { deliveryCount event { id } } } ${ERROR} } }`;

describe('holds, the last retry step, resends and rate limits', () => {
  const hy = useTestHookyard();
  let db: ReturnType<typeof sqlClient>;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  let n = 0;
  const setup = async (url: string, webhook: Record<string, unknown> = {}) => createWebhookSetup(hy.admin, url, { eventType: `edge${++n}.happened`, webhook });
  const delivery = async (id: string) => (await hy.admin(DELIVERY, { id })).data.node;
  const deliveryOf = async (eventId: string) => (await db.one<{ id: string }>('select id from delivery where event_id = $1', [eventId])).id;
  const settled = (id: string, status: string, timeoutMs = 20_000) =>
    eventually(async () => {
      const d = await delivery(id);
      return d?.status === status ? d : null;
    }, timeoutMs, `delivery ${id} ${status}`);
  /** Jobs of a delivery that will still run (queued, retrying or running). */
  const openJobs = async (deliveryId: string) =>
    (await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state < 'completed' and data->>'deliveryId' = $2`, [QUEUES.deliver, deliveryId])).n;
  const bodyOf = (body: string) => JSON.parse(body).data;

  beforeAll(() => {
    db = sqlClient(hy.databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    for (const r of receivers) await r.close();
  });

  it.each(['PAUSED', 'DISABLED'] as const)('holds a retry that falls due while the webhook is %s, and sends it on resume', async (hold) => {
    // Answers 500 to the first event until told otherwise, and 410 Gone to an event that asks for it.
    let healthy = false;
    const r = await receiver((req, res) => void res.writeHead(bodyOf(req.body).answer ?? (healthy ? 200 : 500)).end());
    const { eventType, webhookId } = await setup(r.url, { retrySchedule: [4, 4] });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    expect((await settled(id, 'RETRYING')).attemptCount).toBe(1);
    if (hold === 'PAUSED') {
      await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    } else {
      // The receiver says the endpoint is gone: Hookyard disables the webhook itself.
      await publish(hy.admin, { type: eventType, payload: { answer: 410 } });
      await eventually(async () => (await hy.admin(`{ node(id: "${webhookId}") { ... on Webhook { status } } }`)).data.node.status === 'DISABLED', 20_000, 'webhook disabled');
    }
    const requestsBefore = r.requests.length;
    // The retry's job runs while the webhook is held: it parks the delivery (no next attempt) instead of sending.
    await eventually(async () => (await delivery(id)).nextAttemptAt === null && (await openJobs(id)) === 0, 20_000, 'the retry held');
    const held = await delivery(id);
    expect(held).toMatchObject({ status: 'RETRYING', attemptCount: 1, heldBy: hold === 'PAUSED' ? 'WEBHOOK_PAUSED' : 'WEBHOOK_DISABLED' });
    expect(r.requests.length).toBe(requestsBefore);
    expect(r.requests.filter((q) => q.headers['webhook-id'] === id)).toHaveLength(1);

    healthy = true;
    const resumed = await mutate(hy.admin, `mutation { resumeWebhook(input: { id: "${webhookId}" }) { __typename ... on WebhookPayload { webhook { status } } } }`);
    expect(resumed).toMatchObject({ __typename: 'WebhookPayload', webhook: { status: 'ACTIVE' } });
    const done = await settled(id, 'SUCCEEDED');
    expect(done.attempts.map((a: any) => [a.attemptNumber, a.trigger, a.succeeded])).toEqual([
      [1, 'SCHEDULED', false],
      [2, 'SCHEDULED', true],
    ]);
  });

  it('waits the last step of the schedule before the last attempt, then gives up with nothing left queued', async () => {
    const r = await receiver((_req, res) => void res.writeHead(500).end());
    const { eventType } = await setup(r.url, { retrySchedule: [1, 3] });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    const failed = await settled(id, 'FAILED');
    expect(failed.attemptCount).toBe(3);
    expect(failed.nextAttemptAt).toBeNull();
    // The job that recorded the attempt completes just after that commit; a queued retry never would.
    await eventually(async () => (await openJobs(id)) === 0, 10_000, 'no job left to run for the delivery');
    expect(r.requests).toHaveLength(3);
    const [first, second, third] = r.requests.map((q) => q.at);
    // 1 s and then 3 s, each −20 % at most (timer slack allowed for, not wall-clock targets).
    expect(second - first).toBeGreaterThanOrEqual(700);
    expect(third - second).toBeGreaterThanOrEqual(2300);
  });

  it.each(['SUCCEEDED', 'FAILED'] as const)('records a failed manual resend of a %s delivery, keeping its status (a success is never undone) without restarting its schedule', async (closed) => {
    const r = await receiver((_req, res) => void res.writeHead(closed === 'SUCCEEDED' ? 200 : 500).end());
    const { eventType, webhookId } = await setup(r.url, { retrySchedule: [1] });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    const before = await settled(id, closed);
    const attempts = before.attemptCount;
    expect(attempts).toBe(closed === 'SUCCEEDED' ? 1 : 2);
    expect(before.deliveredAt === null).toBe(closed === 'FAILED');
    // A longer schedule now: steps remain that a restarted schedule would take.
    await mutate(hy.admin, `mutation { updateWebhook(input: { id: "${webhookId}", retrySchedule: [1, 1, 1, 1, 1] }) { __typename } }`);
    r.respondWith((_req, res) => void res.writeHead(500).end());

    const resend = await mutate(hy.admin, `mutation { retryDelivery(input: { id: "${id}" }) { __typename ${ERROR} } }`);
    expect(resend.__typename).toBe('DeliveryPayload');
    const after = await eventually(async () => {
      const d = await delivery(id);
      return d.attemptCount === attempts + 1 ? d : null;
    }, 20_000, 'the manual attempt');
    // The failed attempt is in the log, and the delivery is what it was: SUCCEEDED keeps its delivered_at.
    expect(after).toMatchObject({ status: closed, nextAttemptAt: null, deliveredAt: before.deliveredAt });
    expect(after.attempts.at(-1)).toMatchObject({ trigger: 'MANUAL', succeeded: false });
    // The job that recorded the attempt completes just after that commit; a queued retry never would.
    await eventually(async () => (await openJobs(id)) === 0, 10_000, 'no job left to run for the delivery');
    // A second resend that succeeds is the next attempt: no scheduled one came in between.
    r.respondWith((_req, res) => void res.writeHead(200).end());
    await mutate(hy.admin, `mutation { retryDelivery(input: { id: "${id}" }) { __typename } }`);
    const done = await eventually(async () => {
      const d = await delivery(id);
      return d.attemptCount === attempts + 2 ? d : null;
    }, 20_000, 'the second manual attempt');
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attempts.map((a: any) => a.trigger)).toEqual([...Array(attempts).fill('SCHEDULED'), 'MANUAL', 'MANUAL']);
    expect(r.requests).toHaveLength(attempts + 2);
  });

  it('spreads a rate-limited backlog over the following seconds: never more than the limit at once, each delayed delivery counted once', async () => {
    const perSecond = 2;
    const backlog = 16;
    const r = await receiver();
    const { eventType, webhookId } = await setup(r.url, { rateLimitPerSecond: perSecond });
    // One call: the whole backlog is queued at once.
    const published = await mutate(hy.admin, PUBLISH_MANY, { input: { events: Array.from({ length: backlog }, (_, i) => ({ type: eventType, payload: { i } })) } });
    expect(published.results).toHaveLength(backlog);
    await r.waitFor(backlog, 60_000);
    for (const result of published.results) await settled(await deliveryOf(result.event.id), 'SUCCEEDED');
    const at = r.requests.map((q) => q.at).sort((x, y) => x - y);
    // Lower bound: the limiter counts in 1 s windows, so any 2 × limit + 1 requests span more than a second.
    for (let i = 0; i + 2 * perSecond < at.length; i++) expect(at[i + 2 * perSecond] - at[i], `requests ${i} to ${i + 2 * perSecond}`).toBeGreaterThanOrEqual(900);
    // Upper bound: the backlog goes out about as fast as the limit allows, not in a lump at the end.
    expect(at[backlog - 1] - at[0]).toBeLessThan((backlog / perSecond) * 1000 + 10_000);
    // Usage counts each delayed delivery once per hour, however many times it waited: exactly
    // the deliveries that were delayed (at least all but the first second's), unless the run
    // crossed an hour boundary (then at most twice that).
    const delayed = (await db.one<{ n: number; hours: number }>(
      `select count(*)::int as n, count(distinct date_trunc('hour', throttled_at))::int as hours from delivery where webhook_id = $1 and throttled_at is not null`,
      [webhookId],
    ));
    expect(delayed.n).toBeGreaterThanOrEqual(backlog - perSecond);
    const throttled = (await db.one('select coalesce(sum(throttled), 0)::int as n from webhook_usage where webhook_id = $1', [webhookId])).n;
    const usageHours = (await db.one('select count(*)::int as n from webhook_usage where webhook_id = $1 and throttled > 0', [webhookId])).n;
    if (usageHours === 1) expect(throttled).toBe(delayed.n);
    else expect(throttled).toBeLessThanOrEqual(2 * delayed.n);
  });
});
