// The sweeper: every minute, finds open deliveries with no way forward and repairs them.
// Every delivery is final or has exactly one way forward (a queued job, or a hold); a
// bug, a lost job or pg-boss's own retries running out can break that, and this mends it.
// The same holds for bulk retries: one QUEUED or RUNNING always has a job that will run it.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Logger } from '../../infra/logger.ts';
import { QUEUES, deliverJob, type BulkRetryJob } from '../../core/jobs.ts';
import { failBulkRetry } from '../../core/delivery/bulk-retries.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { WAKE_DELIVERY_WORKERS_SQL, notifyAfterCommitSql } from '../../core/sql/live-updates.ts';
import { releaseHeldDeliveries } from '../../core/delivery/holds.ts';
import * as sql from '../../core/sql/sweeper.ts';
import { recordSweeperRepairs } from '../../infra/metrics.ts';
import { queueProbe } from '../delivery/circuit-breaker.ts';

export const SWEEPER_CRON = '* * * * *';
/** Rows repaired per step and run at most; the next run takes the rest. */
export const SWEEP_LIMIT = 1000;

export interface SweepResult {
  cancelled: number;
  requeued: number;
  released: number;
  probes: number;
  /** Bulk retries whose job was lost, queued again: they resume after their last batch. */
  bulkRetriesRequeued: number;
  /** Bulk retries whose job failed for good without ending them, ended as FAILED. */
  bulkRetriesFailed: number;
}

/**
 * `graceSeconds`: how long a due delivery may lack a job before it counts as lost (a job
 * is inserted in the same transaction as its delivery's change, so any grace is safe;
 * the default only keeps the sweep from chasing rows being written).
 */
export function createSweeperHandler(deps: { pool: pg.Pool; boss: PgBoss; log: Logger; graceSeconds: number }) {
  return async function sweep(): Promise<SweepResult> {
    const result: SweepResult = { cancelled: 0, requeued: 0, released: 0, probes: 0, bulkRetriesRequeued: 0, bulkRetriesFailed: 0 };
    const changes: LiveUpdate[] = [];
    await withTransaction(deps.pool, async (client) => {
      for (const d of (await client.query(sql.cancelOrphans(SWEEP_LIMIT))).rows) {
        changes.push({ kind: 'delivery', tenantId: d.tenant_id, id: d.id, webhookId: d.webhook_id, integratorId: d.integrator_id });
        result.cancelled++;
      }
    });
    await withTransaction(deps.pool, async (client) => {
      const lost = (await client.query(sql.requeueLost(deps.graceSeconds, SWEEP_LIMIT))).rows;
      if (lost.length) {
        await deps.boss.insert(
          QUEUES.deliver,
          lost.map((d) => deliverJob({ id: d.id, tenantId: d.tenant_id, attemptCount: d.attempt_count, webhookId: d.webhook_id, maxInFlight: d.max_in_flight })),
          { db: bossDb(client) },
        );
        await client.query(WAKE_DELIVERY_WORKERS_SQL);
      }
      result.requeued = lost.length;
    });
    for (const { tenant_id: tenantId } of (await deps.pool.query(sql.tenantsWithUnheldDeliveries(SWEEP_LIMIT))).rows) {
      result.released += await withTransaction(deps.pool, (client) => releaseHeldDeliveries(client, deps.boss, { tenantId, webhookIds: null, manual: true }));
    }
    await withTransaction(deps.pool, async (client) => {
      for (const w of (await client.query(sql.reopenStuckCircuits(deps.graceSeconds))).rows) {
        await queueProbe(client, deps.boss, { webhookId: w.id, tenantId: w.tenant_id, openCount: w.circuit_open_count });
        changes.push({ kind: 'webhook', tenantId: w.tenant_id, id: w.id, webhookId: w.id });
        result.probes++;
      }
    });
    const failedBulkRetries = await withTransaction(deps.pool, async (client) => {
      const failed: sql.StrandedBulkRetry[] = [];
      const lost: BulkRetryJob[] = [];
      for (const b of (await client.query<sql.StrandedBulkRetry>(sql.strandedBulkRetries(deps.graceSeconds, SWEEP_LIMIT))).rows) {
        // A job that failed for good ends its bulk retry (the handler's own rule, which it
        // could not apply); any other loss is resumed from the stored cursor.
        if (b.last_job_state === 'failed') failed.push(b);
        else lost.push({ v: 1, bulkRetryId: b.id, tenantId: b.tenant_id });
      }
      if (lost.length) await deps.boss.insert(QUEUES.bulkRetry, lost.map((data) => ({ data })), { db: bossDb(client) });
      result.bulkRetriesRequeued = lost.length;
      return failed;
    });
    // After the commit: failing one locks its row again, in its own transaction.
    for (const b of failedBulkRetries) {
      await failBulkRetry(deps, b.tenant_id, b.id, `its job failed and its retries ran out; the last error: ${b.last_job_error ?? 'none recorded'}`);
      result.bulkRetriesFailed++;
    }
    if (changes.length) await deps.pool.query(notifyAfterCommitSql(changes)).catch((error) => deps.log.warn({ err: error }, 'change notification failed'));
    for (const [repair, count] of Object.entries(result)) recordSweeperRepairs(repair, count);
    if (Object.values(result).some((count) => count > 0)) deps.log.warn(result, 'sweeper repaired deliveries or bulk retries that had no way forward');
    return result;
  };
}
