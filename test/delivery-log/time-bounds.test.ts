// Every time range of the API includes its `from` and excludes its `to`, to the millisecond:
// the events list, the delivery log (created and delivered), and a webhook's usage
// (attempts, failed deliveries). The rows' times are set in the database to exact instants.
// (The attempts list has no time filter in this version; DESIGN.md names one.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { sqlClient } from '../support/sql.ts';

const T = new Date('2026-03-01T10:00:00.000Z'); // created
const D = new Date('2026-03-01T10:00:10.000Z'); // delivered
const A = new Date('2026-03-01T10:00:05.000Z'); // the attempt
const F = new Date('2026-03-01T11:00:00.000Z'); // another delivery's last attempt, which failed
const ms = (d: Date, delta: number) => new Date(d.getTime() + delta).toISOString();

/** For an instant X: [from, to, included?] around it, one millisecond either side. */
const around = (x: Date): [from: string | undefined, to: string | undefined, included: boolean][] => [
  [x.toISOString(), undefined, true],
  [ms(x, -1), undefined, true],
  [ms(x, 1), undefined, false],
  [undefined, x.toISOString(), false],
  [undefined, ms(x, 1), true],
  [undefined, ms(x, -1), false],
  [x.toISOString(), ms(x, 1), true],
];

describe('time ranges include from and exclude to', () => {
  const hy = useTestHookyard();
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  let webhookId: string;
  let event: string;
  let delivered: string;
  let failed: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    db = sqlClient(hy.databaseUrl);
    const setup = await createWebhookSetup(hy.admin, receiver.url);
    webhookId = setup.webhookId;
    event = (await publish(hy.admin, { type: setup.eventType, payload: {} })).event.id;
    const other = (await publish(hy.admin, { type: setup.eventType, payload: {} })).event.id;
    await eventually(async () => (await db.one(`select count(*)::int as n from delivery where status = 'SUCCEEDED'`)).n === 2, 20_000, 'both delivered');
    delivered = (await db.one('select id from delivery where event_id = $1', [event])).id;
    failed = (await db.one('select id from delivery where event_id = $1', [other])).id;
    await db.query('update event set created_at = $2 where id = $1', [event, T]);
    await db.query('update delivery set created_at = $2, delivered_at = $3, last_attempt_at = $4 where id = $1', [delivered, T, D, A]);
    await db.query('update attempt set created_at = $2 where delivery_id = $1', [delivered, A]);
    // The other one failed for good at F; its attempt is moved out of every range below.
    await db.query(`update delivery set status = 'FAILED', delivered_at = null, created_at = $2, last_attempt_at = $3 where id = $1`, [failed, ms(F, -3600_000), F]);
    await db.query(`update attempt set created_at = '2020-01-01T00:00:00Z' where delivery_id = $1`, [failed]);
  });
  afterAll(async () => {
    await db?.end();
    await receiver?.close();
  });

  it('filters the events list by createdFrom (included) and createdTo (excluded)', async () => {
    for (const [from, to, included] of around(T)) {
      const { data, errors } = await hy.admin('query ($f: EventFilter) { events(filter: $f) { edges { node { id } } } }', { f: { ids: [event], createdFrom: from, createdTo: to } });
      expect(errors).toBeUndefined();
      expect(data.events.edges.map((e: any) => e.node.id), `from ${from} to ${to}`).toEqual(included ? [event] : []);
    }
  });

  it('filters the delivery log by createdFrom/createdTo and deliveredFrom/deliveredTo the same way', async () => {
    const query = 'query ($f: DeliveryFilter) { deliveries(filter: $f) { totalCount edges { node { id } } } }';
    for (const [from, to, included] of around(T)) {
      const { data } = await hy.admin(query, { f: { ids: [delivered], createdFrom: from, createdTo: to } });
      expect(data.deliveries.edges.map((e: any) => e.node.id), `created from ${from} to ${to}`).toEqual(included ? [delivered] : []);
    }
    for (const [from, to, included] of around(D)) {
      const { data } = await hy.admin(query, { f: { ids: [delivered], deliveredFrom: from, deliveredTo: to } });
      expect(data.deliveries.edges.map((e: any) => e.node.id), `delivered from ${from} to ${to}`).toEqual(included ? [delivered] : []);
    }
  });

  it("counts a webhook's attempts and failed deliveries in usage(from, to) with from included and to excluded", async () => {
    const usage = async (from: string, to: string) =>
      (await hy.admin('query ($id: ID!, $from: DateTime!, $to: DateTime) { node(id: $id) { ... on Webhook { usage(from: $from, to: $to) { attempts delivered failed } } } }', { id: webhookId, from, to })).data.node.usage;
    const wide = (x: Date) => [ms(x, -3600_000), ms(x, 3600_000)] as const;
    for (const [from, to, included] of around(A)) {
      expect(await usage(from ?? wide(A)[0], to ?? wide(A)[1]), `attempt, from ${from} to ${to}`).toMatchObject({ attempts: included ? 1 : 0, delivered: included ? 1 : 0 });
    }
    for (const [from, to, included] of around(F)) {
      expect(await usage(from ?? wide(F)[0], to ?? wide(F)[1]), `failure, from ${from} to ${to}`).toMatchObject({ failed: included ? 1 : 0 });
    }
  });
});
