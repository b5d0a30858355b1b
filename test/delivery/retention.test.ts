import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, ok, publish } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';
import { createLogger } from '../../infra/logger.ts';
import { createRetentionHandler, RETENTION_BATCH } from '../../worker/retention/retention-job.ts';
import * as retentionSql from '../../core/sql/retention.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

describe('retention', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  let pool: pg.Pool;
  const retention = (batchSize?: number) => createRetentionHandler({ pool, log: createLogger('silent'), retentionDays: 7, batchSize })();

  beforeAll(async () => {
    hy = await startTestHookyard();
    receiver = await startReceiver();
    db = sqlClient(hy.databaseUrl);
    pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 3 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.end();
    await receiver?.close();
    await hy?.stop();
  });

  it('deletes events, deliveries and attempts older than the retention period in batches, and keeps newer ones', async () => {
    const { eventType } = await createWebhookSetup(hy.admin, receiver.url);
    const events = [];
    for (let i = 0; i < 3; i++) events.push((await publish(hy.admin, { type: eventType, payload: { i } })).event.id);
    await eventually(async () => (await db.one(`select count(*)::int as n from attempt`)).n === 3, 10_000, 'three attempts');
    await eventually(async () => (await db.one(`select count(*)::int as n from delivery where status = 'SUCCEEDED'`)).n === 3, 10_000, 'three deliveries recorded');
    // Age two of them past the 7-day default, plus enough filler to need more than one batch.
    await db.query(`update event set created_at = now() - interval '8 days' where id = any($1)`, [events.slice(0, 2)]);
    await db.query(
      `insert into event (id, tenant_id, type, source, payload, occurred_at, created_at)
       select 'evt_filler' || g, (select id from tenant limit 1), $1, 'test', '{}', now(), now() - interval '9 days' from generate_series(1, $2) g`,
      [eventType, RETENTION_BATCH + 10],
    );
    const result = await retention();
    expect(result).toMatchObject({ events: 2 + RETENTION_BATCH + 10, kept: 0 });
    expect((await db.query('select id from event')).map((r) => r.id)).toEqual([events[2]]);
    expect((await db.one('select count(*)::int as n from delivery')).n).toBe(1);
    expect((await db.one('select count(*)::int as n from attempt')).n).toBe(1);
  });

  it('never deletes an open delivery (pending, retrying, or held by a paused webhook) nor its event and attempts, and deletes it once final', async () => {
    const { eventType, webhookId } = await createWebhookSetup(hy.admin, receiver.url, { eventType: 'order.created' });
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) sent.push((await publish(hy.admin, { type: eventType, payload: { i } })).event.id);
    await eventually(
      async () => (await db.one(`select count(*)::int as n from delivery where event_id = any($1) and status = 'SUCCEEDED'`, [sent])).n === 4,
      10_000,
      'four deliveries succeeded',
    );
    // One reopened as retrying, one as pending again (both with attempts), one failed: only the failed one and the succeeded one go.
    await db.query(`update delivery set status = 'RETRYING', next_attempt_at = now() + interval '1 hour' where event_id = $1`, [sent[0]]);
    await db.query(`update delivery set status = 'PENDING', next_attempt_at = now() + interval '1 hour' where event_id = $1`, [sent[1]]);
    await db.query(`update delivery set status = 'FAILED', next_attempt_at = null where event_id = $1`, [sent[2]]);
    await ok(hy.admin, 'pauseWebhook', { id: webhookId });
    const held = (await publish(hy.admin, { type: eventType, payload: { held: true } })).event.id;
    expect(await db.one(`select status, next_attempt_at from delivery where event_id = $1`, [held])).toEqual({ status: 'PENDING', next_attempt_at: null });
    const all = [...sent, held];
    await db.query(`update event set created_at = now() - interval '30 days' where id = any($1)`, [all]);
    const attemptsBefore = await db.query(`select a.id from attempt a join delivery d on d.id = a.delivery_id where d.event_id = any($1) order by a.id`, [[sent[0], sent[1]]]);
    expect(attemptsBefore).toHaveLength(2);

    // Batches of 2 so the kept events span batches: the walk goes past them and ends.
    expect(await retention(2)).toMatchObject({ events: 2, kept: 3 });
    expect((await db.query(`select id from event where id = any($1) order by id`, [all])).map((r) => r.id)).toEqual([sent[0], sent[1], held].sort());
    expect(await db.query(`select status from delivery where event_id = any($1) order by status`, [all])).toEqual([{ status: 'PENDING' }, { status: 'PENDING' }, { status: 'RETRYING' }]);
    expect(await db.query(`select a.id from attempt a join delivery d on d.id = a.delivery_id where d.event_id = any($1) order by a.id`, [[sent[0], sent[1]]])).toEqual(attemptsBefore);

    // Once those deliveries are final, the next run deletes them.
    await db.query(`update delivery set status = 'CANCELLED', next_attempt_at = null where event_id = any($1)`, [all]);
    expect(await retention(2)).toMatchObject({ events: 3, kept: 0 });
    expect(await db.query(`select id from event where id = any($1)`, [all])).toEqual([]);
  });

  it('keeps an event whose delivery a concurrent transaction reopens while retention runs', async () => {
    const { eventType } = await createWebhookSetup(hy.admin, receiver.url, { eventType: 'refund.created' });
    const eventId = (await publish(hy.admin, { type: eventType, payload: {} })).event.id;
    await eventually(async () => (await db.one(`select status from delivery where event_id = $1`, [eventId]))?.status === 'SUCCEEDED', 10_000, 'delivered');
    await db.query(`update event set created_at = now() - interval '30 days' where id = $1`, [eventId]);
    // A manual resend reopening the delivery, not yet committed when retention reads the batch.
    const resend = new pg.Client({ connectionString: hy.databaseUrl });
    await resend.connect();
    try {
      await resend.query('begin');
      await resend.query(`update delivery set status = 'RETRYING', next_attempt_at = now() where event_id = $1`, [eventId]);
      const running = retention();
      // Retention waits for the resend's row lock before it decides.
      await eventually(
        async () => (await db.one(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).n > 0,
        10_000,
        'retention waiting on the reopened delivery',
      );
      await resend.query('commit');
      expect(await running).toMatchObject({ events: 0, kept: 1 });
    } finally {
      await resend.end();
    }
    expect(await db.one(`select status from delivery where event_id = $1`, [eventId])).toEqual({ status: 'RETRYING' });
    await db.query(`update delivery set status = 'SUCCEEDED' where event_id = $1`, [eventId]);
    expect(await retention()).toMatchObject({ events: 1, kept: 0 });
  });

  it('reads each batch through indexes, never a sequential scan of events, deliveries or attempts', async () => {
    const { eventType, webhookId } = await createWebhookSetup(hy.admin, receiver.url, { eventType: 'ledger.posted' });
    const eventId = (await publish(hy.admin, { type: eventType, payload: { n: 1 } })).event.id;
    await eventually(async () => (await db.one(`select count(*)::int as n from attempt a join delivery d on d.id = a.delivery_id where d.event_id = $1`, [eventId])).n === 1, 10_000, 'one attempt');
    await eventually(async () => (await db.one(`select status from delivery where event_id = $1`, [eventId])).status === 'SUCCEEDED', 10_000, 'delivered');
    // 20,000 old events with a delivery and an attempt each, copied from the real ones so the test follows their columns.
    const rows = 20_000;
    // Copies of `table`'s rows matching `where`, `rows` times, with the columns `set` (SQL over g, 1..rows) replaced.
    const copy = async (table: string, where: string, set: Record<string, string>) => {
      const columns = (await db.query(`select column_name from information_schema.columns where table_name = $1 and is_generated = 'NEVER' order by ordinal_position`, [table])).map((r) => r.column_name as string);
      await db.query(
        `insert into ${table} (${columns.map((c) => `"${c}"`).join(', ')})
         select ${columns.map((c) => set[c] ?? `t."${c}"`).join(', ')} from ${table} t, generate_series(1, $2) g where ${where}`,
        [eventId, rows],
      );
    };
    await copy('event', 't.id = $1', { id: `'evt_old' || g`, created_at: `now() - interval '30 days' + g * interval '1 second'` });
    await copy('delivery', 't.event_id = $1', { id: `'dlv_old' || g`, event_id: `'evt_old' || g` });
    await copy('attempt', 't.delivery_id = (select id from delivery where event_id = $1)', { id: `'att_old' || g`, delivery_id: `'dlv_old' || g` });
    await db.query('analyze event; analyze delivery; analyze attempt');
    expect(webhookId).toBeTruthy();

    const explain = async (statement: { text: string; values: unknown[] }) => {
      const [row] = await db.query(`explain (format json) ${statement.text}`, statement.values);
      return row['QUERY PLAN'][0].Plan as PlanNode;
    };
    const cutoff = new Date(Date.now() - 7 * 24 * 3600 * 1000);
    // A batch is 1 % of the table here, as the job's 2,000 are of 200,000 events (a day at 2.3 events/s):
    // the planner weighs the share, and a real table past retention is far larger still.
    const batchSize = rows / 100;
    const batch = await db.query(retentionSql.oldEventBatch(cutoff, null, batchSize).text, retentionSql.oldEventBatch(cutoff, null, batchSize).values);
    expect(batch).toHaveLength(batchSize);
    const ids = batch.map((r) => r.id);
    const deliveries = await db.query(retentionSql.lockDeliveriesOfEvents(ids).text, retentionSql.lockDeliveriesOfEvents(ids).values);
    const deliveryIds = deliveries.map((d) => d.id);
    const last = batch[batch.length - 1];
    const plans = {
      firstBatch: await explain(retentionSql.oldEventBatch(cutoff, null, batchSize)),
      nextBatch: await explain(retentionSql.oldEventBatch(cutoff, { createdAt: last.created_key, id: last.id }, batchSize)),
      lockDeliveries: await explain(retentionSql.lockDeliveriesOfEvents(ids)),
      deleteAttempts: await explain(retentionSql.deleteAttempts([...new Set(deliveries.map((d) => d.tenant_id))], deliveryIds)),
      deleteDeliveries: await explain(retentionSql.deleteDeliveries(deliveryIds)),
      deleteEvents: await explain(retentionSql.deleteEvents(ids)),
      // What ON DELETE CASCADE runs for each deleted event and delivery (nothing is left to cascade, but it still looks).
      cascadeToDeliveries: await explain({ text: 'delete from only delivery where event_id = $1', values: [ids[0]] }),
      cascadeToAttempts: await explain({ text: 'delete from only attempt where delivery_id = $1', values: ['dlv_old1'] }),
    };
    const summaries = Object.entries(plans).map(([name, plan]) => {
      const nodes = planNodes(plan).map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']].filter(Boolean).join(' '));
      console.log(`retention plan, ${name}: ${nodes.join(' > ')}`);
      return [name, nodes.filter((n) => n.startsWith('Seq Scan'))];
    });
    expect(summaries.filter(([, seqScans]) => seqScans.length)).toEqual([]);
    for (const name of ['firstBatch', 'nextBatch'] as const) {
      const scans = planNodes(plans[name]).filter((n) => n['Relation Name'] === 'event');
      expect(scans.map((n) => n['Index Name']), name).toEqual(['event_created_at_id_index']);
      expect(scans[0]['Node Type'], name).toMatch(/^Index (Only )?Scan$/);
    }
    expect(planNodes(plans.lockDeliveries).some((n) => n['Index Name'] === 'delivery_event_id_index')).toBe(true);

    const result = await retention();
    expect(result.events).toBe(rows);
    expect((await db.one(`select count(*)::int as n from attempt where id like 'att_old%'`)).n).toBe(0);
  }, 120_000);
});
