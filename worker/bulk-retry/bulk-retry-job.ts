// The worker's side of bulk retries (core/delivery/bulk-retries.ts): one job per bulk
// retry, kept alive by pg-boss's heartbeat; a worker that dies is noticed within
// BULK_RETRY_HEARTBEAT_SECONDS and another resumes from the stored cursor. A job lost
// altogether is queued again by the sweeper (worker/sweeper/).
import type pg from 'pg';
import type { Job, PgBoss } from 'pg-boss';
import type { Logger } from '../../infra/logger.ts';
import { BULK_RETRY_RETRIES, QUEUES, type BulkRetryJob } from '../../core/jobs.ts';
import { failBulkRetry, runBulkRetry } from '../../core/delivery/bulk-retries.ts';

export function createBulkRetryHandler(deps: { pool: pg.Pool; boss: PgBoss; log: Logger }) {
  return async ([job]: Job<BulkRetryJob>[]): Promise<void> => {
    try {
      // Stopping between two batches: a fresh job picks it up again (this one completes).
      if ((await runBulkRetry(deps, job.data, job.signal)) === 'stopped') await deps.boss.insert(QUEUES.bulkRetry, [{ data: job.data }]);
    } catch (error) {
      if (job.retryCount < BULK_RETRY_RETRIES) throw error;
      await failBulkRetry(deps, job.data.tenantId, job.data.bulkRetryId, `it failed ${job.retryCount + 1} times; the last error: ${(error as Error).message}`);
    }
  };
}
