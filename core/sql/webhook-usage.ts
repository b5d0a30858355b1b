// SQL of a webhook's usage over a time range.

/**
 * Attempts and successes come from the attempt rows, on the (tenant_id, webhook_id,
 * created_at) index, so the cost follows the webhook's own traffic in the range, not
 * the tenant's. Failed deliveries are the ones given up in the range (status FAILED,
 * last attempt in range), found through (tenant_id, status, created_at, id); a delivery
 * cannot fail before it was created, which bounds that scan. Throttled comes from the
 * worker's hourly counters: hours that start before `to` and end after `from` count.
 */
export function webhookUsage(tenantId: string, webhookId: string, from: Date, to: Date) {
  return {
    text: `select a.attempts, a.delivered, f.failed, t.throttled
             from (select count(*)::bigint as attempts, count(*) filter (where succeeded)::bigint as delivered
                     from attempt
                    where tenant_id = $1 and webhook_id = $2 and created_at >= $3 and created_at < $4) a,
                  (select count(*)::bigint as failed
                     from delivery
                    where tenant_id = $1 and status = 'FAILED' and created_at < $4 and webhook_id = $2
                      and last_attempt_at >= $3 and last_attempt_at < $4) f,
                  (select coalesce(sum(throttled), 0)::bigint as throttled
                     from webhook_usage
                    where tenant_id = $1 and webhook_id = $2
                      and bucket > $3::timestamptz - interval '1 hour' and bucket < $4) t`,
    values: [tenantId, webhookId, from, to],
  };
}

/**
 * For the webhooks list, one query for a page of webhooks: attempts and successes since
 * `since` (on the (tenant_id, webhook_id, created_at) index, a range per webhook) and the
 * time of each one's latest attempt (one index probe per webhook).
 */
export function recentActivity(tenantId: string, webhookIds: string[], since: Date) {
  return {
    text: `select w.id as webhook_id, s.attempts, s.succeeded,
                  (select a.created_at from attempt a where a.tenant_id = $1 and a.webhook_id = w.id order by a.created_at desc limit 1) as last_attempt_at
             from unnest($2::text[]) as w(id)
             cross join lateral (
               select count(*)::int as attempts, count(*) filter (where a.succeeded)::int as succeeded
                 from attempt a
                where a.tenant_id = $1 and a.webhook_id = w.id and a.created_at >= $3) s`,
    values: [tenantId, webhookIds, since],
  };
}
