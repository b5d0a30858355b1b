// SQL of the delivery loop. One statement per step for a whole batch (unnest of
// arrays), so recording 100 attempts costs the same round trips as recording one.
import { BEHIND_IN_LINE } from './holds.ts';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from '../rules/webhook-fields.ts';

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  status: string;
  attempt_count: number;
  delivered_at: Date | null;
  event_id: string;
  event_type: string;
  webhook_id: string;
  integrator_id: string;
  webhook_status: string;
  url: string;
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
  previous_secret_expires_at: Date | null;
  headers: Record<string, string>;
  /** name -> encrypted value */
  secret_headers: Record<string, string>;
  retry_schedule_seconds: number[];
  timeout_ms: number;
  rate_limit_per_second: number | null;
  max_in_flight: number;
  ordering: 'UNORDERED' | 'FIFO';
  body_format: 'CLOUDEVENTS_STRUCTURED' | 'CLOUDEVENTS_BINARY';
  signature_scheme: 'STANDARD_WEBHOOKS' | 'HMAC_HEADER';
  signature_hmac: { header: string; algorithm: 'sha256' | 'sha512'; encoding: 'hex' | 'base64'; prefix: string; signed: 'BODY' | 'TIMESTAMP_BODY'; timestampHeader: string | null } | null;
  created_at: Date;
  circuit_state: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  circuit_probe_delivery_id: string | null;
  deliveries_enabled: boolean;
  /** The publishing operation's W3C traceparent (null while tracing was off then). */
  trace_parent: string | null;
  /** The webhook sends traceparent to its receiver (while tracing is on). */
  send_trace_context: boolean;
}

/**
 * Everything a batch needs to send but the events: the delivery, its webhook and its
 * tenant's switch. The retry schedule is the webhook's own, else its event type's
 * default, else Hookyard's.
 */
export function loadBatch(ids: string[]) {
  return {
    text: `select d.id, d.tenant_id, d.status, d.attempt_count, d.delivered_at, d.event_id, d.event_type, d.webhook_id, d.integrator_id,
                  w.status as webhook_status, w.url, w.secret_encrypted, w.previous_secret_encrypted, w.previous_secret_expires_at,
                  w.headers, w.secret_headers, w.timeout_ms, w.rate_limit_per_second,
                  coalesce(w.retry_schedule_seconds,
                           (select et.retry_schedule_seconds from event_type et where et.tenant_id = d.tenant_id and et.name = d.event_type),
                           $2::integer[]) as retry_schedule_seconds,
                  w.max_in_flight, w.ordering, w.body_format, w.signature_scheme, w.signature_hmac, d.created_at, w.circuit_state, w.circuit_probe_delivery_id, t.deliveries_enabled,
                  d.trace_parent, w.send_trace_context
             from delivery d
             join webhook w on w.id = d.webhook_id
             join tenant t on t.id = d.tenant_id
            where d.id = any($1::text[])`,
    values: [ids, DEFAULT_RETRY_SCHEDULE_SECONDS],
  };
}

export interface EventRow {
  id: string;
  type: string;
  source: string;
  payload: unknown;
  occurred_at: Date;
}

/** The events of a batch, each once however many of its deliveries the batch holds. */
export function loadEvents(ids: string[]) {
  return { text: `select id, type, source, payload, occurred_at from event where id = any($1::text[])`, values: [ids] };
}

/**
 * Of these deliveries' webhooks, those that still hold them, locked FOR SHARE: paused or
 * disabled, circuit not closed, or their tenant's deliveries switched off. A concurrent
 * resume, circuit close or switch-on either commits first (and the delivery is not held)
 * or waits for the hold to commit (and then releases what was held).
 */
export function lockHoldingWebhooks(webhookIds: string[]) {
  return {
    text: `select w.id from webhook w join tenant t on t.id = w.tenant_id
            where w.id = any($1::text[])
              and (w.status in ('PAUSED', 'DISABLED') or w.circuit_state <> 'CLOSED' or not t.deliveries_enabled)
              for share of w, t`,
    values: [webhookIds],
  };
}

/** Marks open deliveries held: no job and no next attempt until what holds them lets go. */
export function holdDeliveries(ids: string[]) {
  return {
    text: `update delivery set next_attempt_at = null where id = any($1::text[]) and status in ('PENDING', 'RETRYING')`,
    values: [ids],
  };
}

/** Keeps an operator's resend for when the tenant's deliveries are switched on again. */
export function holdManualRequests(ids: string[]) {
  return {
    text: `update delivery set manual_requested_at = coalesce(manual_requested_at, now()) where id = any($1::text[])`,
    values: [ids],
  };
}

/**
 * Delays deliveries over their webhook's rate limit. Returns each with `counted`: true
 * when it was not delayed before in this hour, so usage counts each delayed delivery
 * once per hour however many times it waits.
 */
export function rescheduleDeliveries(ids: string[], at: Date[]) {
  return {
    text: `update delivery d set next_attempt_at = u.at, throttled_at = now()
             from unnest($1::text[], $2::timestamptz[]) as u(id, at), delivery old
            where d.id = u.id and old.id = d.id
        returning d.id, d.tenant_id, d.webhook_id, (old.throttled_at is null or old.throttled_at < date_trunc('hour', now())) as counted`,
    values: [ids, at],
  };
}

export interface Outcome {
  deliveryId: string;
  /** the attempt count the delivery had when sent: the update only applies if still true */
  previousCount: number;
  status: 'SUCCEEDED' | 'RETRYING' | 'FAILED';
  attemptedAt: Date;
  nextAttemptAt: Date | null;
  responseStatus: number | null;
  /** how long the attempt took (the log's Duration column) */
  durationMs: number;
  error: string | null;
  manual: boolean;
}

/**
 * Applies attempt outcomes to their deliveries. The attempt-count guard makes it
 * idempotent: when two workers ran the same job (a lease expired), only one records.
 * A delivery cancelled while its attempt was in flight (its webhook deleted) keeps
 * CANCELLED: the attempt is counted and logged, and nothing more is scheduled.
 * Returns each recorded delivery with the status it ended in.
 */
export function applyOutcomes(outcomes: Outcome[]) {
  return {
    text: `update delivery d set
             status = case when d.status = 'CANCELLED' then 'CANCELLED' else u.status end,
             attempt_count = u.previous_count + 1,
             last_attempt_at = u.attempted_at,
             next_attempt_at = case when d.status = 'CANCELLED' then null else u.next_attempt_at end,
             delivered_at = case when d.status <> 'CANCELLED' and u.status = 'SUCCEEDED' then coalesce(d.delivered_at, u.attempted_at) else d.delivered_at end,
             last_response_status = u.response_status,
             last_duration_ms = u.duration_ms,
             last_error = u.error,
             manual_requested_at = case when u.manual then null else d.manual_requested_at end
           from unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::text[], $8::boolean[], $9::int[])
             as u(id, previous_count, status, attempted_at, next_attempt_at, response_status, error, manual, duration_ms)
           where d.id = u.id and d.attempt_count = u.previous_count
           returning d.id, d.status`,
    values: [
      outcomes.map((o) => o.deliveryId),
      outcomes.map((o) => o.previousCount),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.attemptedAt),
      outcomes.map((o) => o.nextAttemptAt),
      outcomes.map((o) => o.responseStatus),
      outcomes.map((o) => o.error),
      outcomes.map((o) => o.manual),
      outcomes.map((o) => o.durationMs),
    ],
  };
}

export interface AttemptRow {
  id: string;
  tenantId: string;
  deliveryId: string;
  webhookId: string;
  attemptNumber: number;
  trigger: 'SCHEDULED' | 'MANUAL';
  succeeded: boolean;
  requestUrl: string;
  requestHeaders: Record<string, string>;
  /** null: the event's envelope as stored was sent (one copy per event) */
  requestBody: string | null;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  /** 'base64' when the body was not storable text (see send-attempt.ts). */
  responseBodyEncoding: string;
  responseTruncated: boolean;
  errorKind: string | null;
  errorMessage: string | null;
  durationMs: number;
  createdAt: Date;
}

export function insertAttempts(rows: AttemptRow[]) {
  return {
    // The delivery's integrator and event type go with each attempt (the attempts log filters by them).
    text: `insert into attempt (id, tenant_id, delivery_id, webhook_id, integrator_id, event_type, attempt_number, trigger, succeeded, request_url, request_method,
                            request_headers, request_body, response_status, response_headers, response_body, response_body_encoding,
                            response_truncated, error_kind, error_message, duration_ms, created_at)
           select u.id, u.tenant_id, u.delivery_id, u.webhook_id, d.integrator_id, d.event_type, u.attempt_number, u.trigger, u.succeeded, u.request_url, 'POST',
                  u.request_headers::jsonb, u.request_body, u.response_status, u.response_headers::jsonb, u.response_body, u.response_body_encoding,
                  u.response_truncated, u.error_kind, u.error_message, u.duration_ms, u.created_at
             from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::boolean[], $8::text[], $9::text[],
                         $10::text[], $11::int[], $12::text[], $13::text[], $14::boolean[], $15::text[], $16::text[], $17::int[], $18::timestamptz[],
                         $19::text[])
               as u(id, tenant_id, delivery_id, webhook_id, attempt_number, trigger, succeeded, request_url, request_headers,
                    request_body, response_status, response_headers, response_body, response_truncated, error_kind, error_message, duration_ms, created_at,
                    response_body_encoding)
             left join delivery d on d.id = u.delivery_id`,
    values: [
      rows.map((r) => r.id),
      rows.map((r) => r.tenantId),
      rows.map((r) => r.deliveryId),
      rows.map((r) => r.webhookId),
      rows.map((r) => r.attemptNumber),
      rows.map((r) => r.trigger),
      rows.map((r) => r.succeeded),
      rows.map((r) => r.requestUrl),
      rows.map((r) => JSON.stringify(r.requestHeaders)),
      rows.map((r) => r.requestBody),
      rows.map((r) => r.responseStatus),
      rows.map((r) => (r.responseHeaders ? JSON.stringify(r.responseHeaders) : null)),
      rows.map((r) => r.responseBody),
      rows.map((r) => r.responseTruncated),
      rows.map((r) => r.errorKind),
      rows.map((r) => r.errorMessage),
      rows.map((r) => r.durationMs),
      rows.map((r) => r.createdAt),
      rows.map((r) => r.responseBodyEncoding),
    ],
  };
}

/**
 * A success ends the endpoint's failure streak. Written only when something changes
 * (or once a minute), so a busy webhook's row is not rewritten by every batch.
 */
export function markWebhooksHealthy(webhookIds: string[]) {
  return {
    text: `update webhook set last_success_at = now(), failing_since = null
            where id = any($1::text[])
              and (failing_since is not null or last_success_at is null or last_success_at < now() - interval '1 minute')`,
    values: [webhookIds],
  };
}

/** Starts a failure streak where none is running. */
export function markWebhooksFailing(webhookIds: string[]) {
  return {
    text: `update webhook set failing_since = now() where id = any($1::text[]) and failing_since is null`,
    values: [webhookIds],
  };
}

/** Active webhooks whose failure streak is older than `hours`. */
export function webhooksFailingFor(webhookIds: string[], hours: number) {
  return {
    text: `select id, tenant_id from webhook
            where id = any($1::text[]) and status = 'ACTIVE' and failing_since < now() - make_interval(hours => $2)`,
    values: [webhookIds, hours],
  };
}

/** Adds throttled counts to the webhook's usage for the current hour. */
export function countThrottled(rows: { tenantId: string; webhookId: string; count: number }[]) {
  return {
    text: `insert into webhook_usage (tenant_id, webhook_id, bucket, throttled)
           select tenant_id, webhook_id, date_trunc('hour', now()), n from unnest($1::text[], $2::text[], $3::int[]) as u(tenant_id, webhook_id, n)
           on conflict (webhook_id, bucket) do update set throttled = webhook_usage.throttled + excluded.throttled`,
    values: [rows.map((r) => r.tenantId), rows.map((r) => r.webhookId), rows.map((r) => r.count)],
  };
}

/**
 * The highest attempt number of a MANUAL attempt, per delivery that has one: a manual job
 * made at attempt count n has run once a MANUAL attempt numbered above n exists.
 */
export function lastManualAttempts(deliveries: { id: string; tenantId: string }[]) {
  return {
    text: `select a.delivery_id, max(a.attempt_number)::int as attempt_number
             from unnest($1::text[], $2::text[]) as u(tenant_id, delivery_id)
             join attempt a on a.tenant_id = u.tenant_id and a.delivery_id = u.delivery_id
            where a.trigger = 'MANUAL'
            group by a.delivery_id`,
    values: [deliveries.map((d) => d.tenantId), deliveries.map((d) => d.id)],
  };
}

/** Open deliveries whose webhook was deleted: nothing will ever send them. */
export function cancelDeliveries(ids: string[]) {
  return {
    text: `update delivery set status = 'CANCELLED', next_attempt_at = null, manual_requested_at = null
            where id = any($1::text[]) and status in ('PENDING', 'RETRYING')
        returning id, tenant_id, webhook_id, integrator_id`,
    values: [ids],
  };
}

/** Locks FIFO webhooks (FOR UPDATE): a line's hold and its release after a final outcome never interleave. */
export function lockLines(webhookIds: string[]) {
  return { text: `select id from webhook where id = any($1::text[]) and ordering = 'FIFO' order by id for update`, values: [webhookIds] };
}

/** Of these deliveries of FIFO webhooks, those with an older open delivery in their line: they wait. */
export function behindInLine(ids: string[]) {
  return {
    text: `select d.id from delivery d where d.id = any($1::text[]) and ${BEHIND_IN_LINE}`,
    values: [ids],
  };
}
