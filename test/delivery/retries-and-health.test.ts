import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';

const DELIVERY = `query($id: ID!) { node(id: $id) { ... on Delivery { id status attemptCount deliveredAt nextAttemptAt lastResponseStatus lastDurationMs
  attempts { attemptNumber trigger succeeded errorKind errorMessage durationMs response { status body truncated } request { headers body } } } } }`;

describe('retries, endpoint health and manual control', () => {
  let hy: TestHookyard;
  let db: ReturnType<typeof sqlClient>;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const delivery = async (id: string) => (await hy.admin(DELIVERY, { id })).data.node;
  const deliveryOf = async (eventId: string) => (await db.one<{ id: string }>('select id from delivery where event_id = $1', [eventId])).id;
  const settled = (id: string, status: string, timeoutMs = 15_000) =>
    eventually(async () => {
      const d = await delivery(id);
      return d?.status === status ? d : null;
    }, timeoutMs, `delivery ${id} ${status}`);
  let n = 0;
  const setup = async (url: string, webhook: Record<string, unknown> = {}) => createWebhookSetup(hy.admin, url, { eventType: `thing${++n}.happened`, webhook: { retrySchedule: [1, 1], ...webhook } });

  beforeAll(async () => {
    hy = await startTestHookyard();
    db = sqlClient(hy.databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    for (const r of receivers) await r.close();
    await hy?.stop();
  });

  it('retries a failing endpoint on its schedule and records every attempt until one succeeds', async () => {
    let calls = 0;
    const r = await receiver((_req, res) => void res.writeHead(++calls < 3 ? 500 : 200).end(calls < 3 ? 'boom' : 'fine'));
    const { eventType } = await setup(r.url);
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: { a: 1 } })).event.id);
    const done = await settled(id, 'SUCCEEDED');
    expect(done.attemptCount).toBe(3);
    expect(done.attempts.map((a: any) => [a.attemptNumber, a.succeeded, a.response.status])).toEqual([[1, false, 500], [2, false, 500], [3, true, 200]]);
    expect(done.attempts[0].response.body).toBe('boom');
    // Every attempt carries the same webhook-id, so receivers can de-duplicate.
    expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(new Set([id]));
    const gaps = r.requests.slice(1).map((q, i) => q.at - r.requests[i].at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(700); // 1 s − 20 % jitter, minus timer slack
  });

  it('marks a delivery FAILED once its schedule is exhausted, showing RETRYING in between', async () => {
    const r = await receiver((_req, res) => void res.writeHead(503).end());
    const { eventType } = await setup(r.url, { retrySchedule: [2] });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    const retrying = await settled(id, 'RETRYING');
    expect(retrying.attemptCount).toBe(1);
    expect(retrying.nextAttemptAt).not.toBeNull();
    const failed = await settled(id, 'FAILED');
    expect(failed.attemptCount).toBe(2);
    expect(failed.nextAttemptAt).toBeNull();
    expect(failed.lastResponseStatus).toBe(503);
    expect(retrying.lastDurationMs).toBe(retrying.attempts[0].durationMs);
    const second = failed.attempts.find((a: { attemptNumber: number }) => a.attemptNumber === 2);
    expect(failed.lastDurationMs).toBe(second.durationMs);
  });

  it('honours Retry-After on a 429 when it asks for longer than the schedule', async () => {
    let calls = 0;
    const r = await receiver((_req, res) => void (++calls === 1 ? res.writeHead(429, { 'retry-after': '3' }).end() : res.writeHead(200).end()));
    const { eventType } = await setup(r.url, { retrySchedule: [1] });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    await settled(id, 'SUCCEEDED');
    expect(r.requests[1].at - r.requests[0].at).toBeGreaterThanOrEqual(2900);
  });

  it('records a timeout as an error of kind TIMEOUT', async () => {
    const r = await receiver(() => undefined); // never answers
    const { eventType } = await setup(r.url, { retrySchedule: [], timeoutSeconds: 1 });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    const failed = await settled(id, 'FAILED');
    expect(failed.attempts[0]).toMatchObject({ succeeded: false, errorKind: 'TIMEOUT', response: null });
    expect(failed.attempts[0].durationMs).toBeGreaterThanOrEqual(900);
    // The delivery keeps its last attempt's duration (the log sorts and filters by it).
    expect(failed.lastDurationMs).toBe(failed.attempts[0].durationMs);
  });

  it('keeps 64 KiB of a huge response body, marked truncated', async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('y'.repeat(5 * 1024 * 1024));
    });
    const { eventType } = await setup(r.url, { retrySchedule: [] });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    const failed = await settled(id, 'FAILED');
    expect(failed.attempts[0].response).toMatchObject({ status: 500, truncated: true });
    expect(failed.attempts[0].response.body.length).toBe(64 * 1024);
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    const target = await receiver();
    const r = await receiver((_req, res) => void res.writeHead(302, { location: target.url }).end());
    const { eventType } = await setup(r.url, { retrySchedule: [] });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    expect((await settled(id, 'FAILED')).lastResponseStatus).toBe(302);
    expect(target.requests).toHaveLength(0);
  });

  it('disables a webhook at once when the endpoint answers 410 Gone, with the reason in its history', async () => {
    const r = await receiver((_req, res) => void res.writeHead(410).end());
    const { eventType, webhookId } = await setup(r.url);
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    await settled(id, 'FAILED');
    const webhook = (await hy.admin(`{ node(id: "${webhookId}") { ... on Webhook { status statusReason history { toStatus reason } } } }`)).data.node;
    expect(webhook.status).toBe('DISABLED');
    expect(webhook.statusReason).toMatch(/410/);
    expect(webhook.history.at(-1)).toMatchObject({ toStatus: 'DISABLED' });
    expect(r.requests).toHaveLength(1);
  });

  it('disables a webhook that has had no success for 5 days while attempts keep failing, but not one failing for less', async () => {
    const r = await receiver((_req, res) => void res.writeHead(500).end());
    const young = await setup(r.url, { retrySchedule: [] });
    await db.query(`update webhook set failing_since = now() - interval '4 days 23 hours' where id = $1`, [young.webhookId]);
    await settled(await deliveryOf((await publish(hy.admin, { type: young.eventType, payload: {} })).event.id), 'FAILED');
    expect((await db.one('select status from webhook where id = $1', [young.webhookId])).status).toBe('ACTIVE');

    const old = await setup(r.url, { retrySchedule: [] });
    await db.query(`update webhook set failing_since = now() - interval '5 days 1 minute' where id = $1`, [old.webhookId]);
    await settled(await deliveryOf((await publish(hy.admin, { type: old.eventType, payload: {} })).event.id), 'FAILED');
    const row = await db.one('select status, status_reason from webhook where id = $1', [old.webhookId]);
    expect(row.status).toBe('DISABLED');
    expect(row.status_reason).toMatch(/5 days/);
  });

  it('holds deliveries while a webhook is paused and sends them on resume', async () => {
    const r = await receiver();
    const { eventType, webhookId } = await setup(r.url);
    const control = await setup(r.url);
    await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await deliveryOf((await publish(hy.admin, { type: eventType, payload: { i } })).event.id));
    // Nothing may be sent while paused: a control event to an active webhook on the same receiver,
    // published after them, is sent; by then only it has arrived, and they are held (no next attempt).
    const controlId = await deliveryOf((await publish(hy.admin, { type: control.eventType, payload: {} })).event.id);
    await settled(controlId, 'SUCCEEDED');
    expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([controlId]);
    for (const id of ids) expect(await delivery(id)).toMatchObject({ status: 'PENDING', attemptCount: 0, nextAttemptAt: null });
    await mutate(hy.admin, `mutation { resumeWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    for (const id of ids) await settled(id, 'SUCCEEDED');
    expect(r.requests).toHaveLength(4);
    expect(new Set(r.requests.slice(1).map((q) => q.headers['webhook-id']))).toEqual(new Set(ids));
  });

  it('cancels what a deleted webhook still had to send', async () => {
    const r = await receiver((_req, res) => void res.writeHead(500).end());
    const { eventType, webhookId } = await setup(r.url, { retrySchedule: [30] });
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    await settled(id, 'RETRYING');
    await mutate(hy.admin, `mutation { deleteWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    expect((await delivery(id)).status).toBe('CANCELLED');
    const refused = await mutate(hy.admin, `mutation { retryDelivery(input: { id: "${id}" }) { __typename ... on Error { code } } }`);
    expect(refused).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
  });

  it('delays deliveries over the rate limit instead of dropping them, and counts them as throttled', async () => {
    const r = await receiver();
    const { eventType, webhookId } = await setup(r.url, { rateLimitPerSecond: 2 });
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await deliveryOf((await publish(hy.admin, { type: eventType, payload: { i } })).event.id));
    for (const id of ids) await settled(id, 'SUCCEEDED', 20_000);
    expect(r.requests).toHaveLength(6);
    // 6 deliveries at 2 per second need at least two more seconds after the first pair.
    expect(r.requests[5].at - r.requests[0].at).toBeGreaterThanOrEqual(1500);
    // Each delayed delivery counts once (per hour), however many times it waited.
    const delayed = (await db.one<{ n: number }>('select count(*)::int as n from delivery where webhook_id = $1 and throttled_at is not null', [webhookId])).n;
    expect(delayed).toBeGreaterThanOrEqual(1);
    const throttled = (await db.one('select coalesce(sum(throttled), 0)::int as n from webhook_usage where webhook_id = $1', [webhookId])).n;
    const hours = (await db.one('select count(*)::int as n from webhook_usage where webhook_id = $1 and throttled > 0', [webhookId])).n;
    if (hours === 1) expect(throttled).toBe(delayed);
    else expect(throttled).toBeLessThanOrEqual(2 * delayed);
  });

  it('resends any delivery on request as a MANUAL attempt, keeping the earlier ones', async () => {
    const r = await receiver();
    const { eventType } = await setup(r.url);
    const id = await deliveryOf((await publish(hy.admin, { type: eventType, payload: {} })).event.id);
    await settled(id, 'SUCCEEDED');
    const result = await mutate(hy.admin, `mutation { retryDelivery(input: { id: "${id}" }) { __typename ... on DeliveryPayload { delivery { id } } } }`);
    expect(result.__typename).toBe('DeliveryPayload');
    const again = await eventually(async () => {
      const d = await delivery(id);
      return d.attemptCount === 2 ? d : null;
    }, 10_000, 'second attempt');
    expect(again.attempts.map((a: any) => a.trigger)).toEqual(['SCHEDULED', 'MANUAL']);
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1].headers['webhook-id']).toBe(id);
  });

  it('sends a test event to one webhook on request', async () => {
    const r = await receiver();
    const { webhookId, secret } = await setup(r.url);
    const result = await mutate(hy.admin, `mutation { sendTestEvent(input: { webhookId: "${webhookId}" }) { __typename ... on DeliveryPayload { delivery { id eventType } } } }`);
    expect(result.delivery.eventType).toBe('hookyard.test');
    await r.waitFor(1);
    const q = r.requests[0];
    const payload = new StandardWebhook(secret).verify(q.body, { 'webhook-id': String(q.headers['webhook-id']), 'webhook-timestamp': String(q.headers['webhook-timestamp']), 'webhook-signature': String(q.headers['webhook-signature']) }) as any;
    expect(payload).toMatchObject({ type: 'hookyard.test', data: { webhookId } });
    expect((await settled(result.delivery.id, 'SUCCEEDED')).attempts[0].trigger).toBe('MANUAL');
  });

  it('signs with both secrets for 24 hours after a rotation, each verifying alone', async () => {
    const r = await receiver();
    const { eventType, webhookId, secret: oldSecret } = await setup(r.url);
    const rotated = await mutate(hy.admin, `mutation { rotateWebhookSecret(input: { id: "${webhookId}" }) { ... on WebhookWithSecretPayload { secret } } }`);
    await publish(hy.admin, { type: eventType, payload: { rotated: true } });
    await r.waitFor(1);
    const q = r.requests[0];
    const headers = { 'webhook-id': String(q.headers['webhook-id']), 'webhook-timestamp': String(q.headers['webhook-timestamp']), 'webhook-signature': String(q.headers['webhook-signature']) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new StandardWebhook(oldSecret).verify(q.body, headers)).toMatchObject({ data: { rotated: true } });
    expect(new StandardWebhook(rotated.secret).verify(q.body, headers)).toMatchObject({ data: { rotated: true } });
    // Once the overlap has passed, only the new secret signs.
    await db.query(`update webhook set previous_secret_expires_at = now() - interval '1 second' where id = $1`, [webhookId]);
    await publish(hy.admin, { type: eventType, payload: { rotated: 'later' } });
    await r.waitFor(2);
    expect(String(r.requests[1].headers['webhook-signature']).split(' ')).toHaveLength(1);
  });

  it('retries every delivery matching a filter, counting them first in a dry run', async () => {
    let failing = true;
    const r = await receiver((_req, res) => void res.writeHead(failing ? 500 : 200).end());
    const { eventType, webhookId } = await setup(r.url, { retrySchedule: [] });
    const control = await setup(r.url, { retrySchedule: [] });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await deliveryOf((await publish(hy.admin, { type: eventType, payload: { i } })).event.id));
    for (const id of ids) await settled(id, 'FAILED');
    const RETRY = `mutation($input: RetryDeliveriesInput!) { retryDeliveries(input: $input) { __typename ... on RetryDeliveriesPayload { count dryRun } ... on Error { message } } }`;
    const filter = { webhookId, status: ['FAILED'] };
    expect(await mutate(hy.admin, RETRY, { input: { filter, dryRun: true } })).toEqual({ __typename: 'RetryDeliveriesPayload', count: 3, dryRun: true });
    // The dry run must send nothing: a control event to another webhook on this receiver, published
    // after it, is sent (and fails, like everything here for now); by then only it has arrived since.
    const controlId = await deliveryOf((await publish(hy.admin, { type: control.eventType, payload: {} })).event.id);
    await settled(controlId, 'FAILED');
    expect(r.requests).toHaveLength(4);
    expect(r.requests[3].headers['webhook-id']).toBe(controlId);
    failing = false;
    expect(await mutate(hy.admin, RETRY, { input: { filter } })).toEqual({ __typename: 'RetryDeliveriesPayload', count: 3, dryRun: false });
    for (const id of ids) {
      const done = await settled(id, 'SUCCEEDED');
      expect(done.attempts.map((a: any) => a.trigger)).toEqual(['SCHEDULED', 'MANUAL']);
    }
    expect(await mutate(hy.admin, RETRY, { input: { filter, dryRun: true } })).toMatchObject({ count: 0 });
  });
});
