import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import { withTransaction } from '../../infra/transaction.ts';
import * as sql from '../../core/sql/retention.ts';

/** Every 15 minutes: old logs go in small steps, so no long lock stands in the way of delivery. */
export const RETENTION_CRON = '*/15 * * * *';
export const RETENTION_BATCH = 2000;

/**
 * Deletes events older than the retention period with their deliveries and attempts, in
 * bounded batches, then expired idempotency keys and usage rows. An event with an open
 * delivery (pending, retrying, or held by a paused webhook) is kept whole, whatever its
 * age: a later run deletes it once that delivery is final.
 */
export function createRetentionHandler(deps: { pool: pg.Pool; log: Logger; retentionDays: number; batchSize?: number }) {
  const batchSize = deps.batchSize ?? RETENTION_BATCH;
  return async function retention(): Promise<{ events: number; kept: number; idempotencyKeys: number }> {
    const cutoff = new Date(Date.now() - deps.retentionDays * 24 * 3600 * 1000);
    const final = new Set(sql.FINAL_DELIVERY_STATUSES);
    let events = 0;
    let kept = 0;
    let after: { createdAt: string; id: string } | null = null;
    for (;;) {
      const batch = await withTransaction(deps.pool, async (client) => {
        const { rows } = await client.query<{ id: string; created_key: string }>(sql.oldEventBatch(cutoff, after, batchSize));
        if (rows.length === 0) return { scanned: 0, deleted: 0, last: null };
        const ids = rows.map((r) => r.id);
        const locked = await client.query<{ id: string; tenant_id: string; event_id: string; status: string }>(sql.lockDeliveriesOfEvents(ids));
        const open = new Set(locked.rows.filter((d) => !final.has(d.status)).map((d) => d.event_id));
        const gone = ids.filter((id) => !open.has(id));
        const deliveries = locked.rows.filter((d) => !open.has(d.event_id));
        if (deliveries.length) {
          const ids = deliveries.map((d) => d.id);
          await client.query(sql.deleteAttempts([...new Set(deliveries.map((d) => d.tenant_id))], ids));
          await client.query(sql.deleteDeliveries(ids));
        }
        if (gone.length) await client.query(sql.deleteEvents(gone));
        const last = rows[rows.length - 1];
        return { scanned: rows.length, deleted: gone.length, last: { createdAt: last.created_key, id: last.id } };
      });
      events += batch.deleted;
      kept += batch.scanned - batch.deleted;
      if (batch.scanned < batchSize || !batch.last) break;
      after = batch.last;
      // Yield between batches so delivery queries are not starved.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const keys = await deps.pool.query(sql.deleteExpiredIdempotencyKeys());
    await deps.pool.query(sql.deleteOldUsage(cutoff));
    if (events || kept) deps.log.info({ events, kept, cutoff }, 'retention deleted old events with their deliveries and attempts, and kept those with an open delivery');
    return { events, kept, idempotencyKeys: keys.rowCount ?? 0 };
  };
}
