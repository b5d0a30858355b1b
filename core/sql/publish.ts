// SQL of publishing: every statement is set-based (unnest of arrays) so a batch of
// 1,000 events costs the same handful of round trips as one.

/**
 * Everything publishing reads, in one round trip: the tenant's switch, the named event
 * types with their schemas, and the webhooks that receive new events (ACTIVE ones, and
 * PAUSED ones, which hold them).
 *
 * The webhooks are locked FOR SHARE, in id order, until the publish commits: a resume,
 * pause or delete (core/webhooks/webhook-transition.ts: one webhook row, locked by its
 * UPDATE before it touches any delivery) waits for the publish, then releases or cancels
 * the deliveries it made; or it commits first, and the publish reads the new status
 * (READ COMMITTED re-reads a row it waited for). Without the lock a publish could make a
 * PENDING delivery under a webhook just DELETED, or a held one under a webhook just
 * resumed. Publishes do not block one another (share locks), and every locker takes
 * webhooks before deliveries, so the two cannot deadlock.
 */
export function publishContext(tenantId: string, typeNames: string[]) {
  return {
    text: `select
             (select deliveries_enabled from tenant where id = $1) as deliveries_enabled,
             (select coalesce(json_agg(json_build_object('name', name, 'schema', payload_schema)), '[]')
                from event_type where tenant_id = $1 and name = any($2::text[])) as event_types,
             (select coalesce(json_agg(json_build_object('id', id, 'integratorId', integrator_id, 'status', status,
                                                         'eventTypes', event_types, 'channels', channels, 'filter', filter::text,
                                                         'maxInFlight', max_in_flight) order by id), '[]')
                from (select id, integrator_id, status, event_types, channels, filter, max_in_flight from webhook
                       where tenant_id = $1 and status in ('ACTIVE', 'PAUSED') order by id for share) w) as webhooks`,
    values: [tenantId, typeNames],
  };
}

export interface PublishContextRow {
  deliveries_enabled: boolean | null;
  event_types: { name: string; schema: unknown }[];
  /** filter: the webhook's filter as JSON text (the key of the compiled filters' cache), or null. */
  webhooks: { id: string; integratorId: string; status: string; eventTypes: string[]; channels: string[]; filter: string | null; maxInFlight: number }[];
}

/**
 * Claims idempotency keys for new events. A key seen in the last 24 h keeps its first
 * event (no row returned); an older one is taken over. Concurrent claims of one key
 * serialise on the primary key, so exactly one caller wins.
 */
export function claimIdempotencyKeys(tenantId: string, keys: string[], eventIds: string[]) {
  return {
    text: `insert into event_idempotency_key (tenant_id, key, event_id, created_at)
           select $1, k, e, now() from unnest($2::text[], $3::text[]) as u(k, e)
           on conflict (tenant_id, key) do update set event_id = excluded.event_id, created_at = excluded.created_at
             where event_idempotency_key.created_at < now() - interval '24 hours'
           returning key`,
    values: [tenantId, keys, eventIds],
  };
}

export function idempotentEventIds(tenantId: string, keys: string[]) {
  return { text: 'select key, event_id from event_idempotency_key where tenant_id = $1 and key = any($2::text[])', values: [tenantId, keys] };
}

export interface NewEvent {
  id: string;
  tenantId: string;
  type: string;
  source: string;
  channel: string | null;
  payload: string;
  idempotencyKey: string | null;
  occurredAt: Date;
}

export interface NewDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  webhookId: string;
  /** the webhook's, for its job's concurrency group */
  maxInFlight: number;
  integratorId: string;
  eventType: string;
  /** Held for a PAUSED webhook: no next attempt until it is resumed. */
  held: boolean;
  /** The publishing operation's W3C traceparent, while tracing is on (infra/trace.ts). */
  traceParent?: string | null;
}

/**
 * Inserts the events and their deliveries (scheduled now for ACTIVE webhooks, held with no
 * next attempt for PAUSED ones) in one statement: one round trip instead of two on every
 * publish. The deliveries' foreign keys to the events are checked at the end of the
 * statement, after both inserts. Returns each event's created_at.
 */
export function insertPublished(events: NewEvent[], deliveries: NewDelivery[]) {
  return {
    text: `with new_event as (
             insert into event (id, tenant_id, type, source, channel, payload, idempotency_key, occurred_at, created_at)
             select id, tenant_id, type, source, channel, payload::jsonb, idempotency_key, occurred_at, now()
               from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
                 as u(id, tenant_id, type, source, channel, payload, idempotency_key, occurred_at)
             returning id, created_at
           ), new_delivery as (
             insert into delivery (id, tenant_id, event_id, webhook_id, integrator_id, event_type, status, attempt_count, next_attempt_at, created_at, trace_parent)
             select id, tenant_id, event_id, webhook_id, integrator_id, event_type, 'PENDING', 0, case when held then null else now() end, now(), trace_parent
               from unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::boolean[], $16::text[])
                 as u(id, tenant_id, event_id, webhook_id, integrator_id, event_type, held, trace_parent)
             returning 1
           )
           select id, created_at, (select count(*) from new_delivery) as deliveries from new_event`,
    values: [
      events.map((r) => r.id),
      events.map((r) => r.tenantId),
      events.map((r) => r.type),
      events.map((r) => r.source),
      events.map((r) => r.channel),
      events.map((r) => r.payload),
      events.map((r) => r.idempotencyKey),
      events.map((r) => r.occurredAt),
      deliveries.map((r) => r.id),
      deliveries.map((r) => r.tenantId),
      deliveries.map((r) => r.eventId),
      deliveries.map((r) => r.webhookId),
      deliveries.map((r) => r.integratorId),
      deliveries.map((r) => r.eventType),
      deliveries.map((r) => r.held),
      deliveries.map((r) => r.traceParent ?? null),
    ],
  };
}
