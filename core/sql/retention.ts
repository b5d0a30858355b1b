// Retention deletes by event: deliveries and attempts follow through ON DELETE CASCADE.
// Each statement deletes a bounded batch, oldest first, across all tenants. No index
// leads with created_at (they all lead with tenant_id), so finding a batch reads the
// event table; the batch bounds the delete and its locks, not that read.

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
