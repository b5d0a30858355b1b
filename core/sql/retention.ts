// Retention deletes old events with their deliveries and attempts, in bounded batches,
// oldest first, across all tenants. An event keeps everything while one of its
// deliveries is open (PENDING, RETRYING, held by a paused webhook: any status but the
// final ones), however old it is. Each statement is an index scan: the batch walks
// event_created_at_id_index by keyset from where the previous batch stopped (so events
// kept because a delivery is open are not read again on every batch), deliveries are
// found through delivery_event_id_index and attempts through their delivery id.

/** A delivery in one of these is done; any other status may still send. */
export const FINAL_DELIVERY_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * The next `limit` events older than `cutoff` after the key (created_at, id) `after`. The
 * key's time travels as text: a JavaScript Date would cut its microseconds.
 */
export function oldEventBatch(cutoff: Date, after: { createdAt: string; id: string } | null, limit: number) {
  return {
    text: `select id, created_at::text as created_key from event
            where created_at < $1 and (created_at, id) > ($2::timestamptz, $3::text)
            order by created_at, id limit $4`,
    values: [cutoff, after?.createdAt ?? '-infinity', after?.id ?? '', limit],
  };
}

/**
 * Locks every delivery of these events and returns them with their status. The lock comes
 * first so no delivery can be reopened (a manual resend) between this check and the
 * delete: a resend waits, then finds its delivery gone.
 */
export function lockDeliveriesOfEvents(eventIds: string[]) {
  return {
    text: `select id, tenant_id, event_id, status from delivery where event_id = any($1::text[]) order by id for update`,
    values: [eventIds],
  };
}

/**
 * Attempts, deliveries and events go by their keys, children first, so the ON DELETE
 * CASCADE triggers find nothing left (each still looks, through delivery_event_id_index
 * and attempt_delivery_id_index).
 */
export function deleteAttempts(tenantIds: string[], deliveryIds: string[]) {
  return { text: `delete from attempt where tenant_id = any($1::text[]) and delivery_id = any($2::text[])`, values: [tenantIds, deliveryIds] };
}

export function deleteDeliveries(deliveryIds: string[]) {
  return { text: `delete from delivery where id = any($1::text[])`, values: [deliveryIds] };
}

export function deleteEvents(eventIds: string[]) {
  return { text: `delete from event where id = any($1::text[])`, values: [eventIds] };
}

/** Keys protect against repeats for 24 h only. */
export function deleteExpiredIdempotencyKeys() {
  return { text: `delete from event_idempotency_key where created_at < now() - interval '24 hours'`, values: [] };
}

export function deleteOldUsage(cutoff: Date) {
  return { text: `delete from webhook_usage where bucket < $1`, values: [cutoff] };
}
