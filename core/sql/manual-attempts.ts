// SQL of manual attempts: which deliveries an operator may send again. A delivery of a
// deleted webhook, or one cancelled, is never sent again.

const RETRYABLE = `from delivery d join webhook w on w.id = d.webhook_id
  where d.tenant_id = $1 and d.id = any($2::text[]) and d.status <> 'CANCELLED' and w.status <> 'DELETED'`;

/** Of these deliveries, the ones that may be sent again, with what their jobs need. */
export function retryableDeliveries(tenantId: string, ids: string[]) {
  return { text: `select d.id, d.attempt_count, d.webhook_id, w.max_in_flight ${RETRYABLE}`, values: [tenantId, ids] };
}

/** The tenant's switch, read FOR SHARE: switching it waits for a resend being queued or kept. */
export function deliveriesEnabled(tenantId: string) {
  return { text: 'select deliveries_enabled from tenant where id = $1 for share', values: [tenantId] };
}

/** Resends kept until the tenant's deliveries are switched on (holds.ts releases them). */
export function keepManualRequests(tenantId: string, ids: string[]) {
  return {
    text: `update delivery set manual_requested_at = coalesce(manual_requested_at, now()) where tenant_id = $1 and id = any($2::text[])`,
    values: [tenantId, ids],
  };
}

/** How many of these deliveries may be sent again (a dry run of a bulk retry). */
export function countRetryable(tenantId: string, ids: string[]) {
  return { text: `select count(*)::int as n ${RETRYABLE}`, values: [tenantId, ids] };
}

/** One delivery's status and its webhook's, to say why it cannot be sent again. */
export function deliveryAndWebhookStatus(tenantId: string, deliveryId: string) {
  return {
    text: 'select d.status, w.status as webhook_status from delivery d join webhook w on w.id = d.webhook_id where d.tenant_id = $1 and d.id = $2',
    values: [tenantId, deliveryId],
  };
}

/** The webhook a test event goes to. */
export function webhookForTestEvent(tenantId: string, webhookId: string) {
  return {
    text: 'select w.id, w.integrator_id, w.status, w.max_in_flight, t.deliveries_enabled from webhook w join tenant t on t.id = w.tenant_id where w.tenant_id = $1 and w.id = $2 for share of t',
    values: [tenantId, webhookId],
  };
}
