// No delivery is left open: each is final, or has exactly one way forward (a queued job or
// a hold). Every path that used to leave one open is driven here, and the sweeper repairs
// what has no way forward, counting it in /metrics.
import { PgBoss } from 'pg-boss';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { QUEUES, deliverJob } from '../../core/jobs.ts';
import { WAKE_DELIVERY_WORKERS_SQL } from '../../core/sql/live-updates.ts';
import { createSweeperHandler } from '../../worker/sweeper/sweeper-job.ts';
import { createLogger } from '../../infra/logger.ts';

describe('no delivery left open', () => {
  const hy = useTestHookyard();
  let db: ReturnType<typeof sqlClient>;
  let boss: PgBoss;
  let pool: pg.Pool;
  let sweep: ReturnType<typeof createSweeperHandler>;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  let n = 0;
  const setup = async (url: string, webhook: Record<string, unknown> = {}) => createWebhookSetup(hy.admin, url, { eventType: `open${++n}.happened`, webhook });
  const deliveryOf = async (eventId: string) =>
    db.one<{ id: string; tenant_id: string; status: string; attempt_count: number; next_attempt_at: Date | null }>('select * from delivery where event_id = $1', [eventId]);
  const liveJobs = async (deliveryId: string) =>
    (await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state < 'completed' and data->>'deliveryId' = $2`, [QUEUES.deliver, deliveryId])).n;
  const status = (id: string, wanted: string) => eventually(async () => ((await db.one('select status from delivery where id = $1', [id])).status === wanted ? true : null), 20_000, `${id} ${wanted}`);

  beforeAll(async () => {
    db = sqlClient(hy.databaseUrl);
    pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 3 });
    boss = new PgBoss({ connectionString: hy.databaseUrl, schema: BOSS_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
    // The sweeper as the worker runs it every minute, with no grace, run on demand.
    sweep = createSweeperHandler({ pool, boss, log: createLogger('silent'), graceSeconds: 0 });
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await pool?.end();
    await db?.end();
    for (const r of receivers) await r.close();
  });

  it('keeps a delivery CANCELLED when its webhook is deleted while its attempt is in flight, and records that attempt', async () => {
    let answer: (() => void) | null = null;
    const r = await receiver((_req, res) => {
      answer = () => res.writeHead(500).end();
    });
    const { eventType, webhookId } = await setup(r.url, { retrySchedule: [1, 1, 1] });
    const event = await publish(hy.admin, { type: eventType, payload: {} });
    await r.waitFor(1);
    const deleted = await mutate(hy.admin, `mutation { deleteWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    expect(deleted.__typename).toBe('WebhookPayload');
    expect((await deliveryOf(event.event.id)).status).toBe('CANCELLED');
    answer!();
    // The attempt is logged, and nothing more is scheduled: no job, no next attempt.
    const d = await eventually(async () => {
      const row = await deliveryOf(event.event.id);
      return row.attempt_count === 1 ? row : null;
    }, 20_000, 'the in-flight attempt recorded');
    expect(d).toMatchObject({ status: 'CANCELLED', next_attempt_at: null });
    await eventually(async () => (await liveJobs(d.id)) === 0, 10_000, 'its job completed');
    expect(r.requests).toHaveLength(1);
  });

  it("closes a delivery whose job runs after its webhook was deleted without it (the job's own check)", async () => {
    const r = await receiver();
    const { eventType, webhookId } = await setup(r.url);
    await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    const event = await publish(hy.admin, { type: eventType, payload: {} });
    const held = await deliveryOf(event.event.id);
    expect(held.next_attempt_at).toBeNull();
    // A delete that missed this delivery (the race an unlocked publish once allowed), and its job.
    await db.query(`update webhook set status = 'DELETED', deleted_at = now() where id = $1`, [webhookId]);
    await boss.insert(QUEUES.deliver, [deliverJob({ id: held.id, tenantId: held.tenant_id, attemptCount: 0, webhookId, maxInFlight: 10 })]);
    await db.query(WAKE_DELIVERY_WORKERS_SQL);
    await status(held.id, 'CANCELLED');
    expect(r.requests).toHaveLength(0);
  });

  it('repairs, and counts, open deliveries with no way forward: a lost job, a job whose pg-boss retries ran out, an orphan of a deleted webhook, a hold with nothing holding it', async () => {
    const r = await receiver();
    const lost = await setup(r.url);
    const exhausted = await setup(r.url);
    const orphan = await setup(r.url);
    const unheld = await setup(r.url);
    // All four held first (paused), so no job runs before each is put in its broken state.
    for (const w of [lost, exhausted, orphan, unheld]) await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${w.webhookId}" }) { __typename } }`);
    const rows: Record<string, Awaited<ReturnType<typeof deliveryOf>>> = {};
    for (const [name, w] of Object.entries({ lost, exhausted, orphan, unheld })) rows[name] = await deliveryOf((await publish(hy.admin, { type: w.eventType, payload: { name } })).event.id);
    const ids = Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, row.id]));
    // Statuses changed behind the API's back, as a bug or a crash would leave them.
    await db.query(`update webhook set status = 'ACTIVE', paused_at = null where id = any($1)`, [[lost.webhookId, exhausted.webhookId, unheld.webhookId]]);
    await db.query(`update webhook set status = 'DELETED', deleted_at = now() where id = $1`, [orphan.webhookId]);
    // lost: due a while ago, with no job at all.
    await db.query(`update delivery set next_attempt_at = now() - interval '10 minutes' where id = $1`, [ids.lost]);
    // exhausted: due, and its job failed for good (pg-boss's own retries ran out).
    await db.query(`update delivery set next_attempt_at = now() - interval '10 minutes' where id = $1`, [ids.exhausted]);
    await boss.insert(QUEUES.deliver, [{ ...deliverJob({ id: ids.exhausted, tenantId: rows.exhausted.tenant_id, attemptCount: 0, webhookId: exhausted.webhookId, maxInFlight: 10 }), startAfter: new Date(Date.now() + 3600_000) }]);
    await db.query(`update ${BOSS_SCHEMA}.job set state = 'failed', completed_on = now() where name = $1 and data->>'deliveryId' = $2`, [QUEUES.deliver, ids.exhausted]);
    expect(await liveJobs(ids.exhausted)).toBe(0);

    // The instance's own sweeper (every minute) may get there first: both count in this
    // process's /metrics, so the repairs are read there.
    const before = await metric(hy.baseUrl, hy.adminToken);
    await sweep();
    for (const name of ['lost', 'exhausted', 'unheld']) await status(ids[name], 'SUCCEEDED');
    await status(ids.orphan, 'CANCELLED');
    // Each sent once, under its own id.
    expect(r.requests.map((q) => q.headers['webhook-id']).sort()).toEqual([ids.lost, ids.exhausted, ids.unheld].sort());
    // A second sweep finds nothing left to repair.
    expect(await sweep()).toEqual({ cancelled: 0, requeued: 0, released: 0, probes: 0, bulkRetriesRequeued: 0, bulkRetriesFailed: 0 });
    const after = await metric(hy.baseUrl, hy.adminToken);
    expect(after.requeued - before.requeued).toBe(2);
    expect(after.cancelled - before.cancelled).toBe(1);
    expect(after.released - before.released).toBe(1);
  });
});

/** hookyard_sweeper_repairs_total by repair, from /metrics. */
async function metric(baseUrl: string, token: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const values: Record<string, number> = { cancelled: 0, requeued: 0, released: 0, probes: 0 };
  for (const match of text.matchAll(/^hookyard_sweeper_repairs_total\{repair="(\w+)"\} (\d+)/gm)) values[match[1]] = Number(match[2]);
  return values;
}
