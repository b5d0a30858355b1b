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
