import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';

const PUBLISH_MANY = `mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename
  ... on PublishEventsPayload { results { duplicate deliveryCount event { id } } } ... on Error { message code } ... on ValidationError { field } } }`;

describe('publishing events', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  const counts = async () => db.one<{ events: number; deliveries: number }>('select (select count(*)::int from event) as events, (select count(*)::int from delivery) as deliveries');

  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_PAYLOAD_LIMIT_BYTES: String(1024 * 1024) });
    receiver = await startReceiver();
    db = sqlClient(hy.databaseUrl);
    await createWebhookSetup(hy.admin, receiver.url, { eventType: 'invoice.created', webhook: { eventTypes: ['invoice.*'] } });
    await mutate(hy.admin, `mutation { registerEventType(input: { name: "invoice.paid", schema: { type: "object", required: ["amount"], properties: { amount: { type: "number" } } } }) { __typename } }`);
    await mutate(hy.admin, `mutation { registerEventType(input: { name: "customer.created" }) { __typename } }`);
  });
  afterAll(async () => {
    await db?.end();
    await receiver?.close();
    await hy?.stop();
  });

  it('refuses an unknown event type with a typed error and stores nothing', async () => {
    const before = await counts();
    const result = await publish(hy.admin, { type: 'invoice.voided', payload: {} });
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'input.type' });
    expect(result.message).toMatch(/not registered/);
    expect(await counts()).toEqual(before);
  });

  it("refuses a payload that fails its type's JSON Schema and says what is wrong", async () => {
    const before = await counts();
    const result = await publish(hy.admin, { type: 'invoice.paid', payload: { amount: 'ten' } });
    expect(result).toMatchObject({ __typename: 'ValidationError', field: 'input.payload' });
    expect(result.message).toMatch(/amount/);
    expect(await counts()).toEqual(before);
    expect(await publish(hy.admin, { type: 'invoice.paid', payload: { amount: 10 } })).toMatchObject({ __typename: 'PublishedEvent', deliveryCount: 1 });
  });

  it('accepts a payload of exactly 1 MiB and refuses one byte more', async () => {
    // JSON of a string of n characters is n + 2 bytes (the quotes).
    const exact = 'x'.repeat(1024 * 1024 - 2);
    expect(await publish(hy.admin, { type: 'customer.created', payload: exact })).toMatchObject({ __typename: 'PublishedEvent' });
    const before = await counts();
    const over = await publish(hy.admin, { type: 'customer.created', payload: exact + 'x' });
    expect(over).toMatchObject({ __typename: 'LimitExceededError', code: 'LIMIT_EXCEEDED' });
    expect(await counts()).toEqual(before);
  });

  it('refuses events while the tenant has deliveries switched off, and accepts them again when on', async () => {
    const off = await mutate(hy.admin, 'mutation { setDeliveriesEnabled(input: { enabled: false }) { __typename } }');
    expect(off.__typename).toBe('SetDeliveriesEnabledPayload');
    const before = await counts();
    expect(await publish(hy.admin, { type: 'customer.created', payload: {} })).toMatchObject({ __typename: 'DeliveriesDisabledError', code: 'DELIVERIES_DISABLED' });
    expect(await counts()).toEqual(before);
    await mutate(hy.admin, 'mutation { setDeliveriesEnabled(input: { enabled: true }) { __typename } }');
    expect(await publish(hy.admin, { type: 'customer.created', payload: {} })).toMatchObject({ __typename: 'PublishedEvent' });
  });

  it('returns the first event for a repeated idempotency key and creates nothing, even when 100 calls race', async () => {
    const first = await publish(hy.admin, { type: 'invoice.created', payload: { n: 1 }, idempotencyKey: 'order-7' });
    expect(first).toMatchObject({ duplicate: false, deliveryCount: 1 });
    const before = await counts();
    const again = await publish(hy.admin, { type: 'invoice.created', payload: { n: 2 }, idempotencyKey: 'order-7' });
    expect(again).toMatchObject({ duplicate: true, deliveryCount: 0, event: { id: first.event.id } });
    expect(await counts()).toEqual(before);

    const racing = await Promise.all(Array.from({ length: 100 }, () => publish(hy.admin, { type: 'invoice.created', payload: {}, idempotencyKey: 'race-1' })));
    expect(racing.every((r) => r.__typename === 'PublishedEvent')).toBe(true);
    expect(racing.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(racing.map((r) => r.event.id)).size).toBe(1);
    expect((await db.one(`select count(*)::int as n from event where idempotency_key = 'race-1'`)).n).toBe(1);
  });

  it('keeps an idempotency key for 24 hours: a minute before, a repeat is a duplicate; a minute after, it publishes a new event', async () => {
    const first = await publish(hy.admin, { type: 'invoice.created', payload: {}, idempotencyKey: 'day-key' });
    await db.query(`update event_idempotency_key set created_at = now() - interval '23 hours 59 minutes' where key = 'day-key'`);
    const before = await counts();
    expect(await publish(hy.admin, { type: 'invoice.created', payload: {}, idempotencyKey: 'day-key' })).toMatchObject({ duplicate: true, deliveryCount: 0, event: { id: first.event.id } });
    expect(await counts()).toEqual(before);
    await db.query(`update event_idempotency_key set created_at = now() - interval '24 hours 1 minute' where key = 'day-key'`);
    const second = await publish(hy.admin, { type: 'invoice.created', payload: {}, idempotencyKey: 'day-key' });
    expect(second).toMatchObject({ duplicate: false, deliveryCount: 1 });
    expect(second.event.id).not.toBe(first.event.id);
    // The new event holds the key from now on.
    expect(await publish(hy.admin, { type: 'invoice.created', payload: {}, idempotencyKey: 'day-key' })).toMatchObject({ duplicate: true, event: { id: second.event.id } });
  });

  it('publishes one event for a key repeated within a batch, the repeats marked duplicate with its id', async () => {
    const before = await counts();
    const result = await mutate(hy.admin, PUBLISH_MANY, {
      input: { events: [{ type: 'invoice.created', payload: { n: 1 }, idempotencyKey: 'batch-key' }, { type: 'invoice.created', payload: { n: 2 }, idempotencyKey: 'batch-key' }, { type: 'invoice.created', payload: { n: 3 } }] },
    });
    expect(result.results.map((r: any) => [r.duplicate, r.deliveryCount])).toEqual([[false, 1], [true, 0], [false, 1]]);
    expect(result.results[1].event.id).toBe(result.results[0].event.id);
    expect(await counts()).toEqual({ events: before.events + 2, deliveries: before.deliveries + 2 });
  });

  it('publishes a batch atomically: one bad event stores none of them', async () => {
    const before = await counts();
    const events = [
      { type: 'invoice.created', payload: { n: 1 } },
      { type: 'invoice.paid', payload: { amount: 'bad' } },
      { type: 'invoice.created', payload: { n: 3 } },
    ];
    const result = await mutate(hy.admin, PUBLISH_MANY, { input: { events } });
    expect(result).toMatchObject({ __typename: 'ValidationError', field: 'input.events[1].payload' });
    expect(await counts()).toEqual(before);
    const ok = await mutate(hy.admin, PUBLISH_MANY, { input: { events: [events[0], events[2]] } });
    expect(ok.results).toHaveLength(2);
    expect((await counts()).events).toBe(before.events + 2);
  });

  it('accepts 1,000 events in one call and refuses 1,001', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'customer.created', payload: { i } }));
    const ok = await mutate(hy.admin, PUBLISH_MANY, { input: { events } });
    expect(ok.results).toHaveLength(1000);
    const before = await counts();
    const over = await mutate(hy.admin, PUBLISH_MANY, { input: { events: [...events, events[0]] } });
    expect(over).toMatchObject({ __typename: 'LimitExceededError' });
    expect(await counts()).toEqual(before);
  });

  it('delivers each event to exactly the webhooks whose type pattern and channels match, no more', async () => {
    for (const name of ['customer.deleted', 'customers.created', 'customerx.y']) {
      await mutate(hy.admin, `mutation($n: String!) { registerEventType(input: { name: $n }) { __typename } }`, { n: name });
    }
    const integrator = await mutate(hy.admin, 'mutation { createIntegrator(input: { name: "Matcher" }) { ... on IntegratorPayload { integrator { id } } } }');
    const make = async (eventTypes: string[], channels: string[] = []) =>
      (await mutate(hy.admin, `mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { ... on WebhookWithSecretPayload { webhook { id } } } }`, {
        i: { integratorId: integrator.integrator.id, name: 'm', url: receiver.url, eventTypes, channels },
      })).webhook.id as string;
    const w = {
      exact: await make(['customer.created']),
      wildcard: await make(['customer.*']),
      all: await make(['*']),
      euOnly: await make(['customer.*'], ['eu']),
      euOrUs: await make(['*'], ['eu', 'us']),
      paused: await make(['customer.created']),
      disabled: await make(['*']),
      deleted: await make(['*']),
    };
    await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${w.paused}" }) { __typename } }`);
    await mutate(hy.admin, `mutation { deleteWebhook(input: { id: "${w.deleted}" }) { __typename } }`);
    await db.query(`update webhook set status = 'DISABLED', disabled_at = now() where id = $1`, [w.disabled]);
    const name = new Map(Object.entries(w).map(([k, id]) => [id, k]));
    const cases: [type: string, channel: string | null, expected: (keyof typeof w)[]][] = [
      ['customer.created', null, ['all', 'exact', 'paused', 'wildcard']],
      ['customer.created', 'eu', ['all', 'euOnly', 'euOrUs', 'exact', 'paused', 'wildcard']],
      ['customer.created', 'us', ['all', 'euOrUs', 'exact', 'paused', 'wildcard']],
      ['customer.deleted', 'apac', ['all', 'wildcard']],
      // `customer.*` is the resource customer: not customers, not customerx.
      ['customers.created', null, ['all']],
      ['customerx.y', 'eu', ['all', 'euOrUs']],
    ];
    for (const [type, channel, expected] of cases) {
      const result = await publish(hy.admin, { type, payload: {}, channel });
      const got = (await db.query(`select webhook_id from delivery where event_id = $1`, [result.event.id])).map((r) => name.get(r.webhook_id) ?? r.webhook_id).sort();
      expect({ type, channel, webhooks: got, deliveryCount: result.deliveryCount }).toEqual({ type, channel, webhooks: expected, deliveryCount: expected.length });
    }
    // The same in one batch: each event's count is its own.
    const batch = await mutate(hy.admin, PUBLISH_MANY, { input: { events: cases.map(([type, channel]) => ({ type, channel, payload: {} })) } });
    expect(batch.results.map((r: any) => r.deliveryCount)).toEqual(cases.map(([, , expected]) => expected.length));
    // The paused webhook holds its delivery (no next attempt until resumed); the active ones are due now.
    const first = await publish(hy.admin, { type: 'customer.created', payload: {}, channel: 'eu' });
    const rows = await db.query(`select id, webhook_id, next_attempt_at is null as held from delivery where event_id = $1`, [first.event.id]);
    expect(rows.map((r) => [name.get(r.webhook_id), r.held]).sort()).toEqual(['all', 'euOnly', 'euOrUs', 'exact', 'paused', 'wildcard'].map((k) => [k, k === 'paused']));
    for (const r of rows) expect(r.id).toMatch(/^dlv_/);
    for (const id of [w.exact, w.wildcard, w.all, w.euOnly, w.euOrUs, w.paused, w.disabled]) await mutate(hy.admin, `mutation { deleteWebhook(input: { id: "${id}" }) { __typename } }`);
  });

  it('returns the stored event, its payload exactly as given, whatever JSON it is', async () => {
    const SELECT = `mutation($input: PublishEventInput!) { publishEvent(input: $input) { ... on PublishedEvent { event { id type source channel payload occurredAt createdAt } } } }`;
    for (const payload of ['a plain string', '{"looks":"like json"}', 42, [1, 'two'], { nested: { ok: true } }, false]) {
      const result = await mutate(hy.admin, SELECT, { input: { type: 'customer.created', payload, source: '/crm', channel: 'eu', occurredAt: '2026-01-02T03:04:05.000Z' } });
      expect(result.event).toMatchObject({ type: 'customer.created', source: '/crm', channel: 'eu', payload, occurredAt: '2026-01-02T03:04:05.000Z' });
      const stored = (await hy.admin(`{ node(id: "${result.event.id}") { ... on Event { payload createdAt } } }`)).data.node;
      expect(stored).toEqual({ payload, createdAt: result.event.createdAt });
    }
  });

  it('refuses a null payload with an error that names the input', async () => {
    const before = await counts();
    const response = await hy.admin(`mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename } }`, { input: { type: 'customer.created', payload: null } });
    expect(response.errors?.[0].message).toMatch(/payload.*null|null.*JSON!/);
    expect(await counts()).toEqual(before);
  });
});
