// Bulk retries: `retryDeliveries(filter)` answers at once with a BulkRetry, and a worker
// (worker/bulk-retry/) queues a manual attempt for every delivery the filter matches, in
// batches of BULK_RETRY_BATCH. Each batch runs in one transaction that holds the bulk
// retry's row: it reads the next page of the delivery log after the stored cursor,
// queues its attempts, and stores the new cursor and counts. A worker that dies loses
// at most an uncommitted batch, and the next one resumes after the last committed one:
// no delivery is queued twice, and a cancel takes effect before the next batch.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Logger } from '../../infra/logger.ts';
import { newId } from '../ids.ts';
import { QUEUES, type BulkRetryJob } from '../jobs.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { LiveUpdate } from '../live-updates/live-update.ts';
import { notifyAfterCommitSql, notifyUpdatesSql } from '../sql/live-updates.ts';
import * as sql from '../sql/bulk-retries.ts';
import { countDeliveryLog, deliveryLogPage, openDeliveryLog } from '../delivery-log/delivery-log-query.ts';
import type { DeliveryFilterInput } from '../delivery-log/delivery-log-input.ts';
import { queueManualAttemptsIn } from './manual-attempts.ts';
import { publishOperationalEvents } from '../publishing/operational-events.ts';

/** Deliveries queued per transaction. */
export const BULK_RETRY_BATCH = 1000;

const DATE_FIELDS = ['createdFrom', 'createdTo', 'deliveredFrom', 'deliveredTo'] as const;

interface Deps {
  pool: pg.Pool;
  boss: PgBoss;
}

const changed = (row: sql.BulkRetryRow): LiveUpdate => ({ kind: 'bulkRetry', tenantId: row.tenant_id, id: row.id, webhookId: '' });

/**
 * Checks the filter (a ValidationError names the field under `filterField`), counts what
 * it matches, stores the bulk retry and queues its job (none when nothing matches: null). Deliveries created after this
 * moment are not part of it: the stored filter ends now unless it ends (or starts) later.
 * One runs per tenant at a time: while one is QUEUED or RUNNING, another is refused
 * (a ConflictError naming it), so a script asking in a loop cannot queue the same
 * deliveries over and over.
 */
export async function requestBulkRetry(deps: Deps, request: { tenantId: string; requestedBy: string; filter: DeliveryFilterInput | null; filterField: string }): Promise<sql.BulkRetryRow | null> {
  const now = new Date();
  const filter: DeliveryFilterInput = { ...(request.filter ?? {}) };
  const startsLater = filter.createdFrom != null && filter.createdFrom >= now;
  if (!startsLater && (filter.createdTo == null || filter.createdTo > now)) filter.createdTo = now;
  const log = await openDeliveryLog(deps.pool, request.tenantId, { filter }, { filter: request.filterField });
  // Refused before counting, which may read millions of rows; checked again under the lock.
  refuseWhileUnfinished((await deps.pool.query<sql.BulkRetryRow>(sql.unfinishedBulkRetry(request.tenantId))).rows[0]);
  const total = await countDeliveryLog(deps.pool, log);
  // Nothing matches: nothing to do, and no job for it.
  if (total === 0) return null;
  const stored = Object.fromEntries(Object.entries(filter).filter(([, v]) => v != null));
  return withTransaction(deps.pool, async (client) => {
    await client.query(sql.lockTenantBulkRetries(request.tenantId));
    refuseWhileUnfinished((await client.query<sql.BulkRetryRow>(sql.unfinishedBulkRetry(request.tenantId))).rows[0]);
    const row = (await client.query<sql.BulkRetryRow>(sql.insertBulkRetry({ id: newId('BulkRetry'), tenantId: request.tenantId, filter: stored, requestedBy: request.requestedBy, total }))).rows[0];
    const job: BulkRetryJob = { v: 1, bulkRetryId: row.id, tenantId: row.tenant_id };
    await deps.boss.insert(QUEUES.bulkRetry, [{ data: job }], { db: bossDb(client) });
    await client.query(notifyUpdatesSql([changed(row)]));
    return row;
  });
}

function refuseWhileUnfinished(running: sql.BulkRetryRow | undefined): void {
  if (running) {
    throw new ConflictError(
      `bulk retry ${running.id} is still ${running.state} for this tenant (${running.done} of ${running.total ?? '?'} queued); one runs at a time: wait for it to end (bulkRetryUpdated) or cancel it (cancelBulkRetry), then ask again`,
    );
  }
}

/** Cancels one still QUEUED or RUNNING: its batch in progress finishes, no other starts. */
export async function cancelBulkRetry(pool: pg.Pool, tenantId: string, id: string): Promise<sql.BulkRetryRow> {
  return withTransaction(pool, async (client) => {
    const current = (await client.query<sql.BulkRetryRow>(sql.lockBulkRetry(tenantId, id))).rows[0];
    if (!current) throw new NotFoundError('bulk retry', id);
    const row = (await client.query<sql.BulkRetryRow>(sql.endBulkRetry(tenantId, id, 'CANCELLED', null))).rows[0];
    if (!row) throw new ConflictError(`bulk retry ${id} has already ended (${current.state}); there is nothing to cancel`);
    await client.query(notifyUpdatesSql([changed(row)]));
    return row;
  });
}

/** The stored filter as the delivery log takes it. */
function storedFilter(filter: Record<string, unknown>): DeliveryFilterInput {
  const input: Record<string, unknown> = { ...filter };
  for (const key of DATE_FIELDS) if (typeof input[key] === 'string') input[key] = new Date(input[key] as string);
  return input as DeliveryFilterInput;
}

/**
 * Works one bulk retry through to its end (the worker's job), or until `signal` says the
 * worker is stopping: then it returns 'stopped' between two batches, and the caller
 * queues it again. Resumes after the stored cursor; returns at once if it has ended.
 * Throws only for what may pass on a retry (the database); its caller marks it FAILED
 * when its retries run out.
 */
export async function runBulkRetry(deps: Deps & { log: Logger }, job: BulkRetryJob, signal?: AbortSignal): Promise<'ended' | 'stopped'> {
  const { tenantId, bulkRetryId: id } = job;
  const started = (await deps.pool.query<sql.BulkRetryRow>(sql.startBulkRetry(tenantId, id))).rows[0];
  if (!started) return 'ended';
  await notifyAfter(deps, [changed(started)]);
  let log;
  try {
    log = await openDeliveryLog(deps.pool, tenantId, { filter: storedFilter(started.filter) });
  } catch (error) {
    // The filter was valid when asked; one that no longer is (a webhook filter of a deleted webhook stays valid) fails for good.
    await failBulkRetry(deps, tenantId, id, `its filter cannot be read any more: ${(error as Error).message}`);
    return 'ended';
  }
  if (started.total == null) await deps.pool.query(sql.setTotal(tenantId, id, await countDeliveryLog(deps.pool, log)));

  for (;;) {
    if (signal?.aborted) return 'stopped';
    const outcome = await withTransaction(deps.pool, async (client) => {
      const row = (await client.query<sql.BulkRetryRow>(sql.lockBulkRetry(tenantId, id))).rows[0];
      if (!row || row.state !== 'RUNNING') return { row: null, changes: [] as LiveUpdate[] };
      const page = await deliveryLogPage(client, log, { size: BULK_RETRY_BATCH, backward: false, after: row.cursor });
      const ids = page.rows.map((r) => r.id);
      const queued = await queueManualAttemptsIn(client, deps.boss, tenantId, ids);
      const finished = !page.hasNextPage;
      const updated = (await client.query<sql.BulkRetryRow>(sql.recordBatch(tenantId, id, { queued: queued.ids.length, failed: ids.length - queued.ids.length, cursor: page.cursors.at(-1) ?? null, finished }))).rows[0];
      const changes: LiveUpdate[] = [changed(updated)];
      if (finished) {
        changes.push(
          ...(await publishOperationalEvents(client, deps.boss, [
            { tenantId, type: 'hookyard.bulk_retry.finished', payload: { bulkRetryId: id, state: 'DONE', total: updated.total, done: updated.done, failed: updated.failed } },
          ])),
        );
      }
      return { row: updated, changes };
    });
    await notifyAfter(deps, outcome.changes, true);
    if (!outcome.row || outcome.row.state !== 'RUNNING') return 'ended';
  }
}

/** Ends a bulk retry that cannot go on, saying why. */
export async function failBulkRetry(deps: Deps & { log: Logger }, tenantId: string, id: string, error: string): Promise<void> {
  const changes = await withTransaction(deps.pool, async (client) => {
    const row = (await client.query<sql.BulkRetryRow>(sql.endBulkRetry(tenantId, id, 'FAILED', error))).rows[0];
    if (!row) return [];
    deps.log.error({ bulkRetryId: id, error }, 'bulk retry failed');
    const events = await publishOperationalEvents(client, deps.boss, [
      { tenantId, type: 'hookyard.bulk_retry.finished', payload: { bulkRetryId: id, state: 'FAILED', total: row.total, done: row.done, failed: row.failed, error } },
    ]);
    return [changed(row), ...events];
  });
  await notifyAfter(deps, changes, true);
}

async function notifyAfter(deps: Deps & { log: Logger }, changes: LiveUpdate[], wakeWorkers = false): Promise<void> {
  if (changes.length) await deps.pool.query(notifyAfterCommitSql(changes, { wakeWorkers })).catch((error) => deps.log.warn({ err: error }, 'change notification failed'));
}
