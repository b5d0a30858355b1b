// SQL behind the gauges /metrics computes at scrape time.

/**
 * Open deliveries (PENDING, RETRYING) in every tenant. Counted per tenant and status
 * on the (tenant_id, status, created_at, id) index, an index-only range each: the cost
 * follows the backlog, not the size of the log, so a scrape stays cheap at any volume.
 * (Final statuses grow without bound; they are counters kept by the worker instead.)
 */
export function openDeliveries() {
  return {
    text: `select s.status, coalesce(sum(c.n), 0)::bigint as count
             from (values ('PENDING'), ('RETRYING')) as s(status)
             cross join tenant t
             cross join lateral (select count(*) as n from delivery d where d.tenant_id = t.id and d.status = s.status) c
            group by s.status`,
    values: [],
  };
}

/**
 * Per tenant, how long the most overdue delivery has waited past its due time (open, due,
 * not held). Read through the open-deliveries index on next_attempt_at: the cost follows
 * the due backlog.
 */
export function oldestWaitingDelivery() {
  return {
    text: `select tenant_id, extract(epoch from now() - min(next_attempt_at))::float8 as seconds
             from delivery where status in ('PENDING', 'RETRYING') and next_attempt_at <= now()
            group by tenant_id`,
    values: [],
  };
}

/** Open deliveries held (no next attempt: paused or disabled webhook, open circuit, deliveries off, FIFO line). */
export function heldDeliveries() {
  return {
    text: `select count(*)::bigint as count from delivery where status in ('PENDING', 'RETRYING') and next_attempt_at is null`,
    values: [],
  };
}

/** Webhooks whose circuit is not closed, by state. */
export function circuitsNotClosed() {
  return { text: `select circuit_state as state, count(*)::bigint as count from webhook where circuit_state <> 'CLOSED' and status <> 'DELETED' group by circuit_state`, values: [] };
}
