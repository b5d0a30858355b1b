// Inbound log retention, as for deliveries (HOOKYARD_RETENTION_DAYS): every 15 minutes,
// requests older than the period go in small batches; queued items are kept.
import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import * as sql from '../../core/sql/inbound.ts';

export const INBOUND_RETENTION_CRON = '*/15 * * * *';
const BATCH = 2000;

export function createInboundRetentionHandler(deps: { pool: pg.Pool; log: Logger; retentionDays: number; now?: () => Date }) {
  return async function inboundRetention(): Promise<number> {
    const cutoff = new Date((deps.now ?? (() => new Date()))().getTime() - deps.retentionDays * 24 * 3600 * 1000);
    let deleted = 0;
    for (;;) {
      const { rowCount } = await deps.pool.query(sql.deleteOldInboundRequests(cutoff, BATCH));
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < BATCH) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (deleted) deps.log.info({ deleted, cutoff }, 'retention deleted old inbound requests');
    return deleted;
  };
}
