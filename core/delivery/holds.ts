import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { QUEUES, deliverJob } from '../jobs.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import { notifyUpdatesSql } from '../sql/live-updates.ts';
import * as sql from '../sql/holds.ts';

/**
 * Queues every held delivery of the tenant (of `webhookIds`, or all) that nothing holds any
 * more, and with `manual` the resends kept while its deliveries were off, inside the
 * caller's transaction; wakes the workers at commit. Called when a webhook is resumed, a
 * circuit closes, the tenant's switch goes on, and by the sweeper. Returns how many.
 */
export async function releaseHeldDeliveries(client: pg.PoolClient, boss: PgBoss, args: { tenantId: string; webhookIds: string[] | null; manual: boolean }): Promise<number> {
  const scheduled = (await client.query<sql.ReleasedRow>(sql.releaseHeld(args.tenantId, args.webhookIds))).rows;
  const manual = args.manual ? (await client.query<sql.ReleasedRow>(sql.releaseManualRequests(args.tenantId))).rows : [];
  const jobs = [
    ...scheduled.map((d) => deliverJob(target(d))),
    ...manual.map((d) => deliverJob(target(d), { manual: true })),
  ];
  if (jobs.length === 0) return 0;
  await boss.insert(QUEUES.deliver, jobs, { db: bossDb(client) });
  await client.query(notifyUpdatesSql([], { wakeWorkers: true }));
  return jobs.length;
}

function target(d: sql.ReleasedRow) {
  return { id: d.id, tenantId: d.tenant_id, attemptCount: d.attempt_count, webhookId: d.webhook_id, maxInFlight: d.max_in_flight };
}

/**
 * The tenant's global switch. Off, nothing is sent: the worker holds whatever comes due
 * (scheduled attempts, resends, test events). On, all of it is queued again.
 */
export async function setDeliveriesEnabled(deps: { pool: pg.Pool; boss: PgBoss }, tenantId: string, enabled: boolean): Promise<number> {
  return withTransaction(deps.pool, async (client) => {
    await client.query(sql.setDeliveriesEnabled(tenantId, enabled));
    return enabled ? releaseHeldDeliveries(client, deps.boss, { tenantId, webhookIds: null, manual: true }) : 0;
  });
}
