// SQL of held deliveries: open deliveries with no next attempt and no job, waiting for
// what holds them (a paused or disabled webhook, an open circuit, the tenant's switch)
// to let go, and operators' resends kept while the tenant's deliveries were off.

/** A delivery released with the job to queue for it. */
export interface ReleasedRow {
  id: string;
  tenant_id: string;
  webhook_id: string;
  attempt_count: number;
  max_in_flight: number;
}

/** A FIFO webhook's delivery waits for every older open one of the line (d: the delivery). */
export const BEHIND_IN_LINE = `exists (select 1 from delivery o where o.webhook_id = d.webhook_id and o.status in ('PENDING', 'RETRYING')
                                    and (o.created_at, o.id) < (d.created_at, d.id))`;

const NOTHING_HOLDS = `w.id = d.webhook_id and t.id = d.tenant_id and t.deliveries_enabled and w.status = 'ACTIVE'
                and (w.circuit_state = 'CLOSED' or d.id = w.circuit_probe_delivery_id)
                and (w.ordering <> 'FIFO' or not ${BEHIND_IN_LINE})`;

/**
 * Held deliveries of the tenant (of `webhookIds`, or all) that nothing holds any more,
 * scheduled now. Resends kept for the switch are left to `releaseManualRequests`.
 */
export function releaseHeld(tenantId: string, webhookIds: string[] | null) {
  return {
    text: `update delivery d set next_attempt_at = now()
             from webhook w, tenant t
            where d.tenant_id = $1 and ($2::text[] is null or d.webhook_id = any($2::text[]))
              and d.status in ('PENDING', 'RETRYING') and d.next_attempt_at is null and d.manual_requested_at is null
              and ${NOTHING_HOLDS}
        returning d.id, d.tenant_id, d.webhook_id, d.attempt_count, w.max_in_flight`,
    values: [tenantId, webhookIds],
  };
}

/** Resends asked for while the tenant's deliveries were off, now that they are on. */
export function releaseManualRequests(tenantId: string) {
  return {
    text: `update delivery d set manual_requested_at = null,
                  next_attempt_at = case when d.status in ('PENDING', 'RETRYING') then now() else d.next_attempt_at end
             from webhook w, tenant t
            where d.tenant_id = $1 and d.manual_requested_at is not null and d.status <> 'CANCELLED'
              and w.id = d.webhook_id and w.status <> 'DELETED' and t.id = d.tenant_id and t.deliveries_enabled
        returning d.id, d.tenant_id, d.webhook_id, d.attempt_count, w.max_in_flight`,
    values: [tenantId],
  };
}

/** Turns the tenant's switch, locking its row: holds in flight (FOR SHARE) finish first. */
export function setDeliveriesEnabled(tenantId: string, enabled: boolean) {
  return { text: `update tenant set deliveries_enabled = $2 where id = $1 returning id`, values: [tenantId, enabled] };
}
