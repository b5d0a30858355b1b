// Concurrent publishEvent calls of a tenant share transactions (core/publishing/publisher.ts),
// yet each keeps its own outcome: its events commit together or not at all, and one call's
// bad input, or a database error its data causes, is that call's error only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';

const CALLS = 40;

describe('concurrent publishing', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  /** How many transactions wrote these events: rows a transaction inserted share its xmin. */
  const transactionsOf = async (ids: string[]) =>
    (await db.one<{ n: number }>('select count(distinct xmin::text)::int as n from event where id = any($1::text[])', [ids])).n;

  beforeAll(async () => {
    hy = await startTestHookyard();
    receiver = await startReceiver();
    db = sqlClient(hy.databaseUrl);
    await createWebhookSetup(hy.admin, receiver.url, { eventType: 'invoice.created' });
    await mutate(hy.admin, `mutation { registerEventType(input: { name: "invoice.paid", schema: { type: "object", required: ["amount"], properties: { amount: { type: "number" } } } }) { __typename } }`);
  });
  afterAll(async () => {
    await db?.end();
    await receiver?.close();
    await hy?.stop();
  });

  it('shares transactions between calls, and gives a bad call its own error while the others commit', async () => {
    const inputs = Array.from({ length: CALLS }, (_, n) => {
      if (n === 7) return { type: 'invoice.voided', payload: { n } }; // not registered
      if (n === 19) return { type: 'invoice.paid', payload: { amount: 'ten', n } }; // fails its schema
      return { type: 'invoice.created', payload: { n } };
    });
    const results = await Promise.all(inputs.map((input) => publish(hy.admin, input)));
    expect(results[7]).toMatchObject({ __typename: 'ValidationError', field: 'input.type' });
    expect(results[19]).toMatchObject({ __typename: 'ValidationError', field: 'input.payload' });
    const good = results.filter((_, n) => n !== 7 && n !== 19);
    for (const result of good) expect(result).toMatchObject({ __typename: 'PublishedEvent', duplicate: false, deliveryCount: 1 });
    const ids = good.map((r) => r.event.id);
    const stored = await db.query<{ n: number }>(`select (payload->>'n')::int as n from event where id = any($1::text[]) order by 1`, [ids]);
    expect(stored.map((r) => r.n)).toEqual(inputs.map((_, n) => n).filter((n) => n !== 7 && n !== 19));
    expect((await db.one<{ n: number }>(`select count(*)::int as n from event where payload->>'n' in ('7', '19')`)).n).toBe(0);
    // Fewer transactions than calls, or this test proves nothing about sharing.
    expect(await transactionsOf(ids)).toBeLessThan(ids.length);
    await receiver.waitFor(ids.length);
  });

  it('gives the same idempotency key in two calls of one transaction one event, the second marked duplicate', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => publish(hy.admin, { type: 'invoice.created', payload: { n }, idempotencyKey: `together-${n % 5}` })));
    for (const result of results) expect(result.__typename).toBe('PublishedEvent');
    const byKey = new Map<number, Set<string>>();
    results.forEach((r, n) => byKey.set(n % 5, (byKey.get(n % 5) ?? new Set()).add(r.event.id)));
    for (const ids of byKey.values()) expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(5);
    expect((await db.one<{ n: number }>(`select count(*)::int as n from event where idempotency_key like 'together-%'`)).n).toBe(5);
  });

  it('retries each call alone when the shared transaction fails on one call’s data, so only that call fails', async () => {
    // A database-side refusal that no check before the insert can foresee.
    await db.query(`create function refuse_poison() returns trigger language plpgsql as $$
      begin if new.payload ? 'poison' then raise exception 'poisoned payload'; end if; return new; end $$`);
    await db.query('create trigger refuse_poison before insert on event for each row execute function refuse_poison()');
    try {
      const inputs = Array.from({ length: CALLS }, (_, n) => ({ type: 'invoice.created', payload: n === 11 ? { poison: true, n } : { batch: 'poison-test', n } }));
      const results = await Promise.allSettled(inputs.map((input) => publish(hy.admin, input)));
      // An unexpected error: masked, and logged for the operator.
      expect(results[11]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/Unexpected error/) }) });
      const good = results.filter((_, n) => n !== 11);
      for (const result of good) expect(result).toMatchObject({ status: 'fulfilled', value: { __typename: 'PublishedEvent' } });
      expect((await db.one<{ n: number }>(`select count(*)::int as n from event where payload->>'batch' = 'poison-test'`)).n).toBe(CALLS - 1);
    } finally {
      await db.query('drop trigger refuse_poison on event');
      await db.query('drop function refuse_poison()');
    }
  });

  it('refuses U+0000 in a payload (PostgreSQL cannot store it in JSON) and a year outside 0001-9999, naming the field', async () => {
    expect(await publish(hy.admin, { type: 'invoice.created', payload: { text: 'a\u0000b' } })).toMatchObject({ __typename: 'ValidationError', field: 'input.payload' });
    // An escaped backslash before "u0000" is ordinary text.
    expect(await publish(hy.admin, { type: 'invoice.created', payload: { text: 'a\\u0000b' } })).toMatchObject({ __typename: 'PublishedEvent' });
    expect(await publish(hy.admin, { type: 'invoice.created', payload: {}, occurredAt: '0000-06-01T00:00:00Z' })).toMatchObject({ __typename: 'ValidationError', field: 'input.occurredAt' });
    expect(await publish(hy.admin, { type: 'invoice.created', payload: {}, occurredAt: '9999-12-31T23:59:59.000Z' })).toMatchObject({ __typename: 'PublishedEvent' });
  });
});
