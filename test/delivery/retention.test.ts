import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';
import { createLogger } from '../../infra/logger.ts';
import { createRetentionHandler, RETENTION_BATCH } from '../../worker/retention/retention-job.ts';

describe('retention', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  beforeAll(async () => {
    hy = await startTestHookyard();
    receiver = await startReceiver();
    db = sqlClient(hy.databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    await receiver?.close();
    await hy?.stop();
  });

  it('deletes events, deliveries and attempts older than the retention period in batches, and keeps newer ones', async () => {
    const { eventType } = await createWebhookSetup(hy.admin, receiver.url);
    const events = [];
    for (let i = 0; i < 3; i++) events.push((await publish(hy.admin, { type: eventType, payload: { i } })).event.id);
    await eventually(async () => (await db.one(`select count(*)::int as n from attempt`)).n === 3, 10_000, 'three attempts');
    // Age two of them past the 7-day default, plus enough filler to need more than one batch.
    await db.query(`update event set created_at = now() - interval '8 days' where id = any($1)`, [events.slice(0, 2)]);
    await db.query(
      `insert into event (id, tenant_id, type, source, payload, occurred_at, created_at)
       select 'evt_filler' || g, (select id from tenant limit 1), $1, 'test', '{}', now(), now() - interval '9 days' from generate_series(1, $2) g`,
      [eventType, RETENTION_BATCH + 10],
    );
    const pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 2 });
    const result = await createRetentionHandler({ pool, log: createLogger('silent'), retentionDays: 7 })();
    await pool.end();
    expect(result.events).toBe(2 + RETENTION_BATCH + 10);
    expect((await db.query('select id from event')).map((r) => r.id)).toEqual([events[2]]);
    expect((await db.one('select count(*)::int as n from delivery')).n).toBe(1);
    expect((await db.one('select count(*)::int as n from attempt')).n).toBe(1);
  });
});
