// SQL of bulk retries (core/delivery/bulk-retries.ts). Every statement names the tenant.

export interface BulkRetryRow {
  id: string;
  tenant_id: string;
  filter: Record<string, unknown>;
  state: 'QUEUED' | 'RUNNING' | 'DONE' | 'CANCELLED' | 'FAILED';
  total: number | null;
  done: number;
  failed: number;
  cursor: string | null;
  error: string | null;
  requested_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export function insertBulkRetry(row: { id: string; tenantId: string; filter: Record<string, unknown>; requestedBy: string; total: number }) {
  return {
    text: `insert into bulk_retry (id, tenant_id, filter, requested_by, total, created_at) values ($1, $2, $3, $4, $5, now()) returning *`,
    values: [row.id, row.tenantId, JSON.stringify(row.filter), row.requestedBy, row.total],
  };
}

/**
 * Serializes the asking of bulk retries within one tenant until the transaction ends, so
 * that two asked at once cannot both see none running.
 */
export function lockTenantBulkRetries(tenantId: string) {
  return { text: `select pg_advisory_xact_lock(hashtext('hookyard_bulk_retry:' || $1))`, values: [tenantId] };
}

/** The tenant's bulk retry still QUEUED or RUNNING, if any (at most one is). */
export function unfinishedBulkRetry(tenantId: string) {
  return { text: `select * from bulk_retry where tenant_id = $1 and state in ('QUEUED', 'RUNNING') order by created_at limit 1`, values: [tenantId] };
}

export function bulkRetryRow(tenantId: string, id: string) {
  return { text: `select * from bulk_retry where tenant_id = $1 and id = $2`, values: [tenantId, id] };
}

/** The row, locked: a batch, a cancel and a second worker on the same job take turns. */
export function lockBulkRetry(tenantId: string, id: string) {
  return { text: `select * from bulk_retry where tenant_id = $1 and id = $2 for update`, values: [tenantId, id] };
}

export function startBulkRetry(tenantId: string, id: string) {
  return {
    text: `update bulk_retry set state = 'RUNNING', started_at = coalesce(started_at, now()) where tenant_id = $1 and id = $2 and state in ('QUEUED', 'RUNNING') returning *`,
    values: [tenantId, id],
  };
}

export function setTotal(tenantId: string, id: string, total: number) {
  return { text: `update bulk_retry set total = $3 where tenant_id = $1 and id = $2 and total is null`, values: [tenantId, id, total] };
}

/** One batch done: its counts added and the log position after it, in the batch's transaction. */
export function recordBatch(tenantId: string, id: string, batch: { queued: number; failed: number; cursor: string | null; finished: boolean }) {
  return {
    text: `update bulk_retry set done = done + $3, failed = failed + $4, cursor = coalesce($5, cursor),
                  state = case when $6 then 'DONE' else state end, finished_at = case when $6 then now() else finished_at end
            where tenant_id = $1 and id = $2 returning *`,
    values: [tenantId, id, batch.queued, batch.failed, batch.cursor, batch.finished],
  };
}

/** Ends one that has not ended: CANCELLED by an operator, or FAILED with why. */
export function endBulkRetry(tenantId: string, id: string, state: 'CANCELLED' | 'FAILED', error: string | null) {
  return {
    text: `update bulk_retry set state = $3, error = $4, finished_at = now() where tenant_id = $1 and id = $2 and state in ('QUEUED', 'RUNNING') returning *`,
    values: [tenantId, id, state, error],
  };
}
