// Many deliveries at once, made by PostgreSQL itself (insert … select from
// generate_series): a million rows in seconds, for export tests and the benchmark.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';

export interface BulkCatalog {
  tenantId: string;
  /** Webhooks with their integrator, dealt to rows in turn. */
  webhooks: { id: string; integratorId: string }[];
  eventTypes: string[];
}

/**
 * `count` deliveries (and one event each), created `stepMs` apart from `start`. The mix:
 * 85 % SUCCEEDED, 5 % FAILED, 5 % RETRYING, 4 % PENDING, 1 % CANCELLED; attempts 0 to 8;
 * the last attempt's duration spread over 20 to 3019 ms.
 * Ids are valid prefixed ids (hex digits are Crockford base-32 digits).
 */
export async function insertBulkDeliveries(client: Pick<pg.Client, 'query'>, catalog: BulkCatalog, count: number, start: Date, stepMs: number): Promise<void> {
  const tag = randomBytes(5).toString('hex').toUpperCase();
  const values = [catalog.tenantId, tag, catalog.eventTypes, catalog.webhooks.map((w) => w.id), catalog.webhooks.map((w) => w.integratorId), count, start, stepMs];
  await client.query(
    `insert into event (id, tenant_id, type, source, channel, payload, idempotency_key, occurred_at, created_at)
     select 'evt_' || $2 || lpad(upper(to_hex(i)), 16, '0'), $1, ($3::text[])[1 + i % cardinality($3::text[])], 'bulk', null, '{"bulk":true}'::jsonb, null,
            $5::timestamptz + i * $6::int * interval '1 millisecond', $5::timestamptz + i * $6::int * interval '1 millisecond'
       from generate_series(1, $4::int) as i`,
    [catalog.tenantId, tag, catalog.eventTypes, count, start, stepMs],
  );
  await client.query(
    `insert into delivery (id, tenant_id, event_id, webhook_id, integrator_id, event_type, status, attempt_count, last_attempt_at, delivered_at,
                           last_response_status, last_duration_ms, last_error, created_at)
     select 'dlv_' || $2 || lpad(upper(to_hex(i)), 16, '0'), $1, 'evt_' || $2 || lpad(upper(to_hex(i)), 16, '0'),
            ($4::text[])[1 + i % cardinality($4::text[])], ($5::text[])[1 + i % cardinality($5::text[])],
            ($3::text[])[1 + i % cardinality($3::text[])],
            s.status, s.attempts,
            case when s.attempts > 0 then ts + s.attempts * interval '7 seconds' end,
            case when s.status = 'SUCCEEDED' then ts + s.attempts * interval '7 seconds' end,
            case when s.status = 'SUCCEEDED' then 200 when s.attempts > 0 then 503 end,
            case when s.attempts > 0 then 20 + (i * 7919) % 3000 end,
            case when s.status in ('FAILED', 'RETRYING') then 'HTTP 503 from the endpoint' end,
            ts
       from generate_series(1, $6::int) as i
      cross join lateral (select $7::timestamptz + i * $8::int * interval '1 millisecond' as ts) t
      cross join lateral (
        select case when i % 100 < 85 then 'SUCCEEDED' when i % 100 < 90 then 'FAILED' when i % 100 < 95 then 'RETRYING'
                    when i % 100 < 99 then 'PENDING' else 'CANCELLED' end as status,
               case when i % 100 < 85 then 1 + (i / 100) % 3 when i % 100 < 90 then 8 when i % 100 < 95 then 1 + (i / 100) % 6
                    when i % 100 < 99 then 0 else (i / 100) % 2 end as attempts) s`,
    values,
  );
}

/**
 * `perDelivery` attempts for each of the tenant's deliveries, made by PostgreSQL itself,
 * 7 s apart from the delivery's creation. The mix: every tenth MANUAL; 70 % 200, 15 % 503,
 * 5 % 404, 10 % no response (timeout, dns, refused, tls, blocked in turn); durations
 * 20 to 3019 ms. Integrator and event type copied from the delivery, as recorded.
 */
export async function insertBulkAttempts(client: Pick<pg.Client, 'query'>, tenantId: string, perDelivery: number): Promise<void> {
  await client.query(
    `insert into attempt (id, tenant_id, delivery_id, webhook_id, integrator_id, event_type, attempt_number, trigger, succeeded, request_url, request_method,
                          request_headers, request_body, response_status, response_headers, response_body, response_truncated, error_kind, error_message, duration_ms, created_at)
     select 'att_' || lpad(upper(to_hex(n)), 2, '0') || substr(d.id, 7), d.tenant_id, d.id, d.webhook_id, d.integrator_id, d.event_type, n,
            case when k % 10 = 0 then 'MANUAL' else 'SCHEDULED' end, coalesce(s.status between 200 and 299, false), 'https://hooks.example/bulk', 'POST',
            '{"content-type":"application/json"}', null, s.status, case when s.status is not null then '{}'::jsonb end, case when s.status is not null then 'ok' end, false,
            case when s.status is null then (array['timeout', 'dns', 'refused', 'tls', 'blocked'])[(1 + (k / 10) % 5)::int] end,
            case when s.status is null then 'bulk error' end,
            20 + (k * 7919) % 3000, d.created_at + n * interval '7 seconds'
       from delivery d
      cross join generate_series(1, $2::int) as n
      cross join lateral (select abs(hashtext(d.id)::bigint) + n as k) h
      cross join lateral (select case when k % 100 < 70 then 200 when k % 100 < 85 then 503 when k % 100 < 90 then 404 end as status) s
      where d.tenant_id = $1`,
    [tenantId, perDelivery],
  );
}
