// SQL of the sweeper: open deliveries with no way forward (no queued job, no hold),
// circuits whose probe was lost, and bulk retries whose job was lost. Each statement
// repairs at most `limit` rows per run.
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { BEHIND_IN_LINE } from './holds.ts';

/** Open deliveries of deleted webhooks, cancelled. */
export function cancelOrphans(limit: number) {
  return {
    text: `update delivery d set status = 'CANCELLED', next_attempt_at = null, manual_requested_at = null
            where d.id in (select d2.id from webhook w join delivery d2 on d2.tenant_id = w.tenant_id and d2.webhook_id = w.id
                            where w.status = 'DELETED' and d2.status in ('PENDING', 'RETRYING') limit $1)
              and d.status in ('PENDING', 'RETRYING')
        returning d.id, d.tenant_id, d.webhook_id, d.integrator_id`,
    values: [limit],
  };
}

/**
 * Open deliveries due for `graceSeconds` or more whose job is gone (pg-boss's own retries
 * ran out, or a job was lost): scheduled again now, for the caller to queue.
 */
export function requeueLost(graceSeconds: number, limit: number) {
  return {
    text: `update delivery d set next_attempt_at = now()
             from webhook w
            where d.id in (select d2.id from delivery d2
                            where d2.status in ('PENDING', 'RETRYING') and d2.next_attempt_at < now() - make_interval(secs => $1)
                              and d2.manual_requested_at is null
                              and not exists (select 1 from ${BOSS_SCHEMA}.job j
                                               where j.name = 'deliver' and j.state in ('created', 'retry', 'active')
                                                 and coalesce(j.data->>'deliveryId', j.data->>'d') = d2.id)
                            order by d2.next_attempt_at limit $2)
              and w.id = d.webhook_id and d.status in ('PENDING', 'RETRYING') and w.status <> 'DELETED'
        returning d.id, d.tenant_id, d.webhook_id, d.attempt_count, w.max_in_flight`,
    values: [graceSeconds, limit],
  };
}

/** Tenants with held deliveries or kept resends that nothing holds any more (for holds.ts to release). */
export function tenantsWithUnheldDeliveries(limit: number) {
  return {
    text: `select distinct d.tenant_id from delivery d
             join webhook w on w.id = d.webhook_id
             join tenant t on t.id = d.tenant_id
            where t.deliveries_enabled
              and ((d.status in ('PENDING', 'RETRYING') and d.next_attempt_at is null and d.manual_requested_at is null
                    and w.status = 'ACTIVE' and (w.circuit_state = 'CLOSED' or d.id = w.circuit_probe_delivery_id)
                    and (w.ordering <> 'FIFO' or not ${BEHIND_IN_LINE}))
                   or (d.manual_requested_at is not null and d.status <> 'CANCELLED' and w.status <> 'DELETED'))
            limit $1`,
    values: [limit],
  };
}

/**
 * Circuits whose probe never came: open past their probe time by `graceSeconds` (the
 * probe job was lost), or half-open that long with no outcome (the probe delivery was
 * held, cancelled or lost). Set open again, due now; the caller queues their probe.
 */
export function reopenStuckCircuits(graceSeconds: number) {
  return {
    text: `update webhook set circuit_state = 'OPEN', circuit_probe_delivery_id = null, circuit_next_probe_at = now()
            where circuit_state in ('OPEN', 'HALF_OPEN') and circuit_next_probe_at < now() - make_interval(secs => $1)
              and status <> 'DELETED'
        returning id, tenant_id, circuit_open_count`,
    values: [graceSeconds],
  };
}

/**
 * Bulk retries QUEUED or RUNNING for `graceSeconds` or more with no job that will run
 * them (a job deleted, or one that ended without ending its bulk retry: a worker died
 * while failing it), locked so that two sweeps never take the same one. With the state
 * and error of the newest job that was theirs, if any is left.
 */
export interface StrandedBulkRetry {
  id: string;
  tenant_id: string;
  /** pg-boss's state of its newest job, null when none is left. */
  last_job_state: string | null;
  last_job_error: string | null;
}

export function strandedBulkRetries(graceSeconds: number, limit: number) {
  return {
    text: `select b.id, b.tenant_id, last.state as last_job_state, last.output->>'message' as last_job_error
             from bulk_retry b
             left join lateral (select j.state, j.output from ${BOSS_SCHEMA}.job j
                                 where j.name = 'bulk-retry' and j.data->>'bulkRetryId' = b.id
                                 order by j.created_on desc limit 1) last on true
            where b.state in ('QUEUED', 'RUNNING') and b.created_at < now() - make_interval(secs => $1)
              and not exists (select 1 from ${BOSS_SCHEMA}.job j
                               where j.name = 'bulk-retry' and j.state in ('created', 'retry', 'active')
                                 and j.data->>'bulkRetryId' = b.id)
            order by b.created_at limit $2
              for update of b skip locked`,
    values: [graceSeconds, limit],
  };
}
