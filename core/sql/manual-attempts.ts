// SQL of manual attempts: which deliveries an operator may send again. A delivery of a
// deleted webhook, or one cancelled, is never sent again.

const RETRYABLE = `from delivery d join webhook w on w.id = d.webhook_id
  where d.tenant_id = $1 and d.id = any($2::text[]) and d.status <> 'CANCELLED' and w.status <> 'DELETED'`;

/** Of these deliveries, the ones that may be sent again, with their attempt counts. */
export function retryableDeliveries(tenantId: string, ids: string[]) {
  return { text: `select d.id, d.attempt_count ${RETRYABLE}`, values: [tenantId, ids] };
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
  return { text: 'select id, integrator_id, status from webhook where tenant_id = $1 and id = $2', values: [tenantId, webhookId] };
}
