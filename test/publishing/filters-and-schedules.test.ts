import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createIntegrator, createWebhook, ok, publish, registerEventType, run } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';

const TEST = `query($filter: JSON!, $event: FilterTestEventInput, $eventId: ID) {
  testWebhookFilter(filter: $filter, event: $event, eventId: $eventId) {
    __typename ... on FilterTestResult { matched condition explanation eventId }
    ... on Error { message code } ... on ValidationError { field } } }`;

describe('payload filters at publish, and retry schedules per event type', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard();
    receiver = await startReceiver((_req, res) => void res.writeHead(200).end());
    db = sqlClient(hy.databaseUrl);
    integratorId = (await createIntegrator(hy.admin)).id;
  });
  afterAll(async () => {
    await db?.end();
    await receiver?.close();
    await hy?.stop();
  });

  const deliveriesOf = async (eventId: string) =>
    (await db.query<{ webhook_id: string }>('select webhook_id from delivery where event_id = $1 order by webhook_id', [eventId])).map((r) => r.webhook_id);

  it('makes a delivery only for the webhooks whose filter the event matches, in the publish itself', async () => {
    await registerEventType(hy.admin, 'order.placed');
    const make = async (name: string, filter: unknown) =>
      (await createWebhook(hy.admin, { integratorId, name, url: receiver.url, eventTypes: ['order.*'], ...(filter === undefined ? {} : { filter }) })).webhook;
    const all = await make('all', undefined);
    const big = await make('big', { 'data.total': { $gte: 100 } });
    const french = await make('french vip', { 'data.customer.country': 'FR', $or: [{ 'data.customer.tags': { $contains: 'vip' } }, { channel: 'vip' }] });
    const pro = await make('pro items', { 'data.lines.sku': { $startsWith: 'PRO-' }, source: { $neq: '/test' } });
    expect(big.filter).toEqual({ 'data.total': { $gte: 100 } });
    expect(all.filter).toBeNull();

    const cases: [Record<string, unknown>, string[]][] = [
      [{ payload: { total: 99.5, customer: { country: 'FR', tags: [] }, lines: [] } }, [all.id]],
      [{ payload: { total: 100, customer: { country: 'FR', tags: ['vip'] }, lines: [{ sku: 'STD-1' }] } }, [all.id, big.id, french.id]],
      [{ payload: { total: '150', customer: { country: 'DE' }, lines: [{ sku: 'STD-1' }, { sku: 'PRO-9' }] } }, [all.id, pro.id]],
      [{ payload: { total: 5, customer: { country: 'FR' }, lines: [{ sku: 'PRO-9' }] }, channel: 'vip', source: '/test' }, [all.id, french.id]],
      [{ payload: [] }, [all.id]],
    ];
    for (const [input, expected] of cases) {
      const published = await publish(hy.admin, { type: 'order.placed', ...input });
      expect(published.deliveryCount, JSON.stringify(input)).toBe(expected.length);
      expect(await deliveriesOf(published.event.id), JSON.stringify(input)).toEqual([...expected].sort());
    }
    // The filter is read in the publish's transaction: a change applies to the next publish.
    await ok(hy.admin, 'updateWebhook', { id: big.id, filter: { 'data.total': { $lt: 100 } } });
    const next = await publish(hy.admin, { type: 'order.placed', payload: { total: 1 } });
    expect(await deliveriesOf(next.event.id)).toEqual([all.id, big.id].sort());
    await ok(hy.admin, 'updateWebhook', { id: big.id, filter: null });
    expect((await ok(hy.admin, 'updateWebhook', { id: big.id, name: 'big again' })).webhook.filter).toBeNull();
  });

  it('refuses a filter it cannot evaluate, naming the path and the operator, on create and on update', async () => {
    await registerEventType(hy.admin, 'order.refused');
    const created = await run(hy.admin, 'createWebhook', { integratorId, name: 'x', url: receiver.url, eventTypes: ['order.refused'], filter: { 'data.total': { $gtt: 1 } } });
    expect(created).toMatchObject({ __typename: 'ValidationError', field: 'input.filter.data.total.$gtt' });
    expect(created.message).toMatch(/\$gtt is not an operator; use one of/);
    const { webhook } = await createWebhook(hy.admin, { integratorId, url: receiver.url, eventTypes: ['order.refused'] });
    const updated = await run(hy.admin, 'updateWebhook', { id: webhook.id, filter: { $or: [{ channel: 'eu' }, { 'data.n': { $in: 'x' } }] } });
    expect(updated).toMatchObject({ __typename: 'ValidationError', field: 'input.filter.$or[1].data.n.$in' });
  });

  it('testWebhookFilter answers match or not and the deciding condition, for a given event or a stored one', async () => {
    const filter = { 'data.total': { $gte: 100 }, $or: [{ channel: 'eu' }, { 'data.rush': true }] };
    const given = await hy.admin(TEST, { filter, event: { type: 'order.placed', payload: { total: 120, rush: false }, channel: 'us' } });
    expect(given.data.testWebhookFilter).toEqual({
      __typename: 'FilterTestResult',
      matched: false,
      condition: '$or[1].data.rush',
      explanation: 'no branch of $or held; the last: data.rush is false, not equal to true',
      eventId: null,
    });
    const stored = await publish(hy.admin, { type: 'order.placed', payload: { total: 120 }, channel: 'eu' });
    const fromLog = await hy.admin(TEST, { filter, eventId: stored.event.id });
    expect(fromLog.data.testWebhookFilter).toMatchObject({ matched: true, condition: '$or[0].channel', eventId: stored.event.id });
    const bad = await hy.admin(TEST, { filter: { 'data.total': { $gt: [] } }, event: { type: 'order.placed', payload: {} } });
    expect(bad.data.testWebhookFilter).toMatchObject({ __typename: 'ValidationError', field: 'filter.data.total.$gt' });
    const neither = await hy.admin(TEST, { filter });
    expect(neither.data.testWebhookFilter).toMatchObject({ __typename: 'ValidationError', field: 'event' });
    const unknown = await hy.admin(TEST, { filter, eventId: 'evt_00000000000000000000000000' });
    expect(unknown.data.testWebhookFilter).toMatchObject({ __typename: 'NotFoundError' });
  });

  it("retries on the event type's schedule when the webhook has none of its own; the webhook's own wins", async () => {
    const failing = await startReceiver((_req, res) => void res.writeHead(500).end());
    try {
      await registerEventType(hy.admin, 'payment.failed', { retrySchedule: [1] });
      const eventType = (await hy.admin('{ eventTypes(first: 50, search: "payment.failed") { edges { node { id retrySchedule } } } }')).data.eventTypes.edges[0].node;
      expect(eventType.retrySchedule).toEqual([1]);
      const inherits = (await createWebhook(hy.admin, { integratorId, name: 'inherits', url: failing.url, eventTypes: ['payment.*'] })).webhook;
      const own = (await createWebhook(hy.admin, { integratorId, name: 'own', url: failing.url, eventTypes: ['payment.*'], retrySchedule: [1, 1] })).webhook;
      expect(inherits.retrySchedule).toBeNull();
      expect(own.retrySchedule).toEqual([1, 1]);
      const status = async (eventId: string, webhookId: string) =>
        db.one<{ status: string; attempt_count: number }>('select status, attempt_count from delivery where event_id = $1 and webhook_id = $2', [eventId, webhookId]);

      const first = (await publish(hy.admin, { type: 'payment.failed', payload: {} })).event.id;
      await eventually(async () => (await status(first, inherits.id)).status === 'FAILED', 20_000, 'the inheriting delivery failed after 2 attempts');
      await eventually(async () => (await status(first, own.id)).status === 'FAILED', 20_000, 'the own-schedule delivery failed after 3 attempts');
      expect(await status(first, inherits.id)).toEqual({ status: 'FAILED', attempt_count: 2 });
      expect(await status(first, own.id)).toEqual({ status: 'FAILED', attempt_count: 3 });

      // Removing the type's schedule falls back to Hookyard's default (8 attempts: still retrying after the second).
      const removed = await ok(hy.admin, 'updateEventType', { id: eventType.id, retrySchedule: null });
      expect(removed.eventType.retrySchedule).toBeNull();
      await ok(hy.admin, 'updateEventType', { id: eventType.id, retrySchedule: [1, 1, 1] });
      const second = (await publish(hy.admin, { type: 'payment.failed', payload: {} })).event.id;
      await eventually(async () => (await status(second, inherits.id)).status === 'FAILED', 20_000, 'the inheriting delivery failed after 4 attempts');
      expect(await status(second, inherits.id)).toEqual({ status: 'FAILED', attempt_count: 4 });
      // The webhook drops its own schedule: the type's applies to it too.
      expect((await ok(hy.admin, 'updateWebhook', { id: own.id, retrySchedule: null })).webhook.retrySchedule).toBeNull();
      const third = (await publish(hy.admin, { type: 'payment.failed', payload: {} })).event.id;
      await eventually(async () => (await status(third, own.id)).status === 'FAILED', 20_000, 'the former own-schedule delivery failed after 4 attempts');
      expect(await status(third, own.id)).toEqual({ status: 'FAILED', attempt_count: 4 });
    } finally {
      await failing.close();
    }
  });

  it('refuses a bad event type schedule with the field to fix', async () => {
    const result = await run(hy.admin, 'registerEventType', { name: 'payment.refused', retrySchedule: [0] });
    expect(result).toMatchObject({ __typename: 'ValidationError', field: 'input.retrySchedule' });
    const tooMany = await run(hy.admin, 'registerEventType', { name: 'payment.refused', retrySchedule: Array(21).fill(1) });
    expect(tooMany).toMatchObject({ __typename: 'ValidationError', field: 'input.retrySchedule' });
    expect((await run(hy.admin, 'registerEventType', { name: 'payment.refused', retrySchedule: Array(20).fill(1) })).__typename).toBe('EventTypePayload');
  });
});
