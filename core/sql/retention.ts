// Retention deletes by event: deliveries and attempts follow through ON DELETE CASCADE.
// Each statement takes a bounded batch by the (tenant_id, created_at) index order.

export function deleteOldEvents(cutoff: Date, limit: number) {
  return {
    text: `delete from event where id in (select id from event where created_at < $1 order by created_at limit $2)`,
    values: [cutoff, limit],
  };
}

/** Keys protect against repeats for 24 h only. */
export function deleteExpiredIdempotencyKeys() {
  return { text: `delete from event_idempotency_key where created_at < now() - interval '24 hours'`, values: [] };
}

export function deleteOldUsage(cutoff: Date) {
  return { text: `delete from webhook_usage where bucket < $1`, values: [cutoff] };
}
