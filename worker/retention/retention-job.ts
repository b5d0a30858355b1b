import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import * as sql from '../../core/sql/retention.ts';

/** Every 15 minutes: old logs go in small steps, so no long lock stands in the way of delivery. */
export const RETENTION_CRON = '*/15 * * * *';
export const RETENTION_BATCH = 2000;

/**
 * Deletes events older than the retention period (their deliveries and attempts go
 * with them), then expired idempotency keys and usage rows, in bounded batches.
 */
export function createRetentionHandler(deps: { pool: pg.Pool; log: Logger; retentionDays: number }) {
  return async function retention(): Promise<{ events: number; idempotencyKeys: number }> {
    const cutoff = new Date(Date.now() - deps.retentionDays * 24 * 3600 * 1000);
    let events = 0;
    for (;;) {
      const { rowCount } = await deps.pool.query(sql.deleteOldEvents(cutoff, RETENTION_BATCH));
      events += rowCount ?? 0;
      if ((rowCount ?? 0) < RETENTION_BATCH) break;
      // Yield between batches so delivery queries are not starved.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const keys = await deps.pool.query(sql.deleteExpiredIdempotencyKeys());
    await deps.pool.query(sql.deleteOldUsage(cutoff));
    if (events) deps.log.info({ events, cutoff }, 'retention deleted old events with their deliveries and attempts');
    return { events, idempotencyKeys: keys.rowCount ?? 0 };
  };
}
