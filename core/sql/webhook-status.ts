// Webhook status transitions as SQL, used by the API (pause, resume, delete) and the
// worker (disable). Each is conditional on the current status so concurrent changes
// cannot both apply, and each writes its history line in the same statement.
import type { WebhookStatus } from '../../schema/entities/Webhook.ts';

export function transitionWebhook(args: { tenantId: string; webhookId: string; from: WebhookStatus[]; to: WebhookStatus; reason: string; historyId: string }) {
  return {
    text: `with changed as (
        update webhook w set
          status = $4,
          status_reason = case when $4 = 'ACTIVE' then null else $5 end,
          paused_at = case when $4 = 'PAUSED' then now() when $4 = 'ACTIVE' then null else w.paused_at end,
          disabled_at = case when $4 = 'DISABLED' then now() when $4 = 'ACTIVE' then null else w.disabled_at end,
          deleted_at = case when $4 = 'DELETED' then now() else w.deleted_at end,
          failing_since = case when $4 = 'ACTIVE' then null else w.failing_since end,
          -- An operator's resume is a fresh start: the circuit closes too.
          circuit_state = case when $4 = 'ACTIVE' then 'CLOSED' else w.circuit_state end,
          circuit_failures = case when $4 = 'ACTIVE' then 0 else w.circuit_failures end,
          circuit_open_count = case when $4 = 'ACTIVE' then 0 else w.circuit_open_count end,
          circuit_opened_at = case when $4 = 'ACTIVE' then null else w.circuit_opened_at end,
          circuit_next_probe_at = case when $4 = 'ACTIVE' then null else w.circuit_next_probe_at end,
          circuit_probe_delivery_id = case when $4 = 'ACTIVE' then null else w.circuit_probe_delivery_id end,
          updated_at = now()
        from webhook old
        where w.id = $2 and w.tenant_id = $1 and old.id = w.id and w.status = any($3::text[])
        returning w.id, w.tenant_id, old.status as from_status
      ), history as (
        insert into webhook_status_change (id, tenant_id, webhook_id, from_status, to_status, reason, created_at)
        select $6, tenant_id, id, from_status, $4, $5, now() from changed
      )
      select id, from_status from changed`,
    values: [args.tenantId, args.webhookId, args.from, args.to, args.reason, args.historyId],
  };
}

export function cancelOpenDeliveries(tenantId: string, webhookId: string) {
  return {
    text: `update delivery set status = 'CANCELLED', next_attempt_at = null, manual_requested_at = null
            where tenant_id = $1 and webhook_id = $2 and status in ('PENDING', 'RETRYING')
        returning id, integrator_id`,
    values: [tenantId, webhookId],
  };
}
