// A manual attempt's job that runs a second time (its completion lost in a crash, or its
// lease expired) must not send again; a manual request made while another attempt was
// recorded meanwhile still sends.
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, deliverJob as makeDeliverJob, type DeliverJobV1 } from '../../core/jobs.ts';

const SECRET_KEY = '11'.repeat(32);
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { WAKE_DELIVERY_WORKERS_SQL } from '../../core/sql/live-updates.ts';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';

describe('manual attempt jobs run again', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let boss: PgBoss;
  let db: ReturnType<typeof sqlClient>;
  let tenantId: string;

  /** Inserts deliver jobs as the API does, and wakes the worker. */
  async function insertJobs(jobs: (ReturnType<typeof deliverJob> | { data: DeliverJobV1 })[]): Promise<void> {
    await boss.insert(QUEUES.deliver, jobs);
    await db.query(WAKE_DELIVERY_WORKERS_SQL);
  }

  async function deliveryOf(eventId: string) {
    return db.one<{ id: string; attempt_count: number }>('select id, attempt_count from delivery where event_id = $1', [eventId]);
  }

  /** A deliver job as the API makes it, in its webhook's concurrency group. */
  function deliverJob(delivery: { id: string; tenantId: string; attemptCount: number }, options: { manual?: boolean } = {}) {
    return makeDeliverJob({ ...delivery, webhookId, maxInFlight: 10 }, options);
  }
  let webhookId: string;

  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_SECRET_KEY: SECRET_KEY });
    receiver = await startReceiver();
    db = sqlClient(hy.databaseUrl);
    webhookId = (await createWebhookSetup(hy.admin, receiver.url)).webhookId;
    tenantId = (await db.one<{ id: string }>('select id from tenant limit 1')).id;
    boss = new PgBoss({ connectionString: hy.databaseUrl, schema: BOSS_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await db?.end();
    await receiver?.close();
    await hy?.stop();
  });

  it('sends a manual job once, and not again when the same job runs a second time', async () => {
    const first = await publish(hy.admin, { type: 'invoice.created', payload: { n: 1 } });
    const control = await publish(hy.admin, { type: 'invoice.created', payload: { n: 2 } });
    for (const event of [first, control]) {
      await eventually(async () => ((await deliveryOf(event.event.id)).attempt_count === 1 ? true : null), 10_000, 'the first attempts recorded');
    }
    const replayed = await deliveryOf(first.event.id);
    const other = await deliveryOf(control.event.id);

    // The manual request, made at attempt count 1, sends once.
    await insertJobs([deliverJob({ id: replayed.id, tenantId, attemptCount: 1 }, { manual: true })]);
    await receiver.waitFor(3);
    await eventually(async () => ((await deliveryOf(first.event.id)).attempt_count === 2 ? true : null), 10_000, 'the manual attempt recorded');

    // The same job again, beside a fresh manual request for another delivery (the control).
    await insertJobs([
      deliverJob({ id: replayed.id, tenantId, attemptCount: 1 }, { manual: true }),
      deliverJob({ id: other.id, tenantId, attemptCount: other.attempt_count }, { manual: true }),
    ]);
    await receiver.waitFor(4);
    // Every deliver job has run by now: nothing is left to send the replay later.
    await eventually(
      async () => ((await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state < 'completed'`, [QUEUES.deliver])).n === 0 ? true : null),
      10_000,
      'every deliver job completed',
    );
    const sent = receiver.requests.map((r) => String(r.headers['webhook-id']));
    expect(sent.filter((id) => id === replayed.id)).toHaveLength(2);
    expect(sent.filter((id) => id === other.id)).toHaveLength(2);
    expect((await deliveryOf(first.event.id)).attempt_count).toBe(2);
  });

  it('still sends a manual request when a scheduled attempt was recorded after it was made', async () => {
    const event = await publish(hy.admin, { type: 'invoice.created', payload: { n: 3 } });
    await eventually(async () => ((await deliveryOf(event.event.id)).attempt_count === 1 ? true : null), 10_000, 'the first attempt recorded');
    const delivery = await deliveryOf(event.event.id);
    // Asked for at attempt count 0, while the first attempt was in flight.
    await insertJobs([deliverJob({ id: delivery.id, tenantId, attemptCount: 0 }, { manual: true })]);
    await eventually(async () => ((await deliveryOf(event.event.id)).attempt_count === 2 ? true : null), 10_000, 'the manual attempt recorded');
    const triggers = await db.query<{ trigger: string }>('select trigger from attempt where delivery_id = $1 order by attempt_number', [delivery.id]);
    expect(triggers.map((t) => t.trigger)).toEqual(['SCHEDULED', 'MANUAL']);
  });

  it('sends a manual request that shares a batch with a scheduled job of the same delivery, once, whichever comes first', async () => {
    const events = [await publish(hy.admin, { type: 'invoice.created', payload: { n: 5 } }), await publish(hy.admin, { type: 'invoice.created', payload: { n: 6 } })];
    for (const event of events) await eventually(async () => ((await deliveryOf(event.event.id)).attempt_count === 1 ? true : null), 10_000, 'the first attempts recorded');
    const [scheduledFirst, manualFirst] = await Promise.all(events.map((e) => deliveryOf(e.event.id)));
    const before = receiver.requests.length;
    // Committed together, so one fetch takes them all: a scheduled job (spent, the
    // deliveries have succeeded) and a manual request for each delivery, in both orders.
    await insertJobs([
      deliverJob({ id: scheduledFirst.id, tenantId, attemptCount: 1 }),
      deliverJob({ id: scheduledFirst.id, tenantId, attemptCount: 1 }, { manual: true }),
      deliverJob({ id: manualFirst.id, tenantId, attemptCount: 1 }, { manual: true }),
      deliverJob({ id: manualFirst.id, tenantId, attemptCount: 1 }),
    ]);
    await eventually(
      async () => ((await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state < 'completed'`, [QUEUES.deliver])).n === 0 ? true : null),
      10_000,
      'every deliver job completed',
    );
    for (const d of [scheduledFirst, manualFirst]) {
      const triggers = await db.query<{ trigger: string }>('select trigger from attempt where delivery_id = $1 order by attempt_number', [d.id]);
      expect(triggers.map((t) => t.trigger), d.id === scheduledFirst.id ? 'scheduled job first' : 'manual job first').toEqual(['SCHEDULED', 'MANUAL']);
    }
    expect(receiver.requests.slice(before).map((r) => String(r.headers['webhook-id'])).sort()).toEqual([scheduledFirst.id, manualFirst.id].sort());
  });

  it('sends a resend asked for while the same delivery is being resent once (asked twice, sent once)', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    // Answers the first (scheduled) attempt at once and holds every later one until released.
    const slow = await startReceiver((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(200).end();
      else void held.then(() => res.writeHead(200).end());
    });
    try {
      const setup = await createWebhookSetup(hy.admin, slow.url, { eventType: 'parcel.resent' });
      const event = await publish(hy.admin, { type: setup.eventType, payload: { n: 7 } });
      await eventually(async () => ((await deliveryOf(event.event.id)).attempt_count === 1 ? true : null), 10_000, 'the first attempt recorded');
      const delivery = await deliveryOf(event.event.id);
      const resend = () => makeDeliverJob({ id: delivery.id, tenantId, attemptCount: 1, webhookId: setup.webhookId, maxInFlight: 10 }, { manual: true });
      const jobsOf = () =>
        db.one<{ active: number; waiting: number }>(
          `select count(*) filter (where state = 'active')::int as active, count(*) filter (where state < 'active')::int as waiting from ${BOSS_SCHEMA}.job where name = $1 and data->>'deliveryId' = $2`,
          [QUEUES.deliver, delivery.id],
        );
      await insertJobs([resend()]);
      await slow.waitFor(2);
      // Asked again while that resend's request is open: its job ends without a request.
      await insertJobs([resend()]);
      await eventually(async () => {
        const jobs = await jobsOf();
        return jobs.active === 1 && jobs.waiting === 0 ? true : null;
      }, 10_000, 'the second request collapsed into the open one');
      release();
      await eventually(async () => ((await deliveryOf(event.event.id)).attempt_count === 2 ? true : null), 10_000, 'the resend recorded');
      await eventually(async () => ((await jobsOf()).active === 0 ? true : null), 10_000, 'every job of the delivery ended');
      expect(slow.requests).toHaveLength(2);
      const triggers = await db.query<{ trigger: string }>('select trigger from attempt where delivery_id = $1 order by attempt_number', [delivery.id]);
      expect(triggers.map((t) => t.trigger)).toEqual(['SCHEDULED', 'MANUAL']);
    } finally {
      release();
      await slow.close();
    }
  });

  it('runs a job queued in payload version 1 (one-letter fields) as the same request', async () => {
    const event = await publish(hy.admin, { type: 'invoice.created', payload: { n: 4 } });
    await eventually(async () => ((await deliveryOf(event.event.id)).attempt_count === 1 ? true : null), 10_000, 'the first attempt recorded');
    const delivery = await deliveryOf(event.event.id);
    const before = receiver.requests.length;
    await insertJobs([{ data: { v: 1, d: delivery.id, t: tenantId, n: 1, m: 1 } }]);
    await eventually(async () => ((await deliveryOf(event.event.id)).attempt_count === 2 ? true : null), 10_000, 'the manual attempt recorded');
    const triggers = await db.query<{ trigger: string }>('select trigger from attempt where delivery_id = $1 order by attempt_number', [delivery.id]);
    expect(triggers.map((t) => t.trigger)).toEqual(['SCHEDULED', 'MANUAL']);
    expect(receiver.requests.slice(before).map((r) => String(r.headers['webhook-id']))).toEqual([delivery.id]);
  });
});
