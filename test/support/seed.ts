// Delivery-log rows written straight into a test database: fast and exact (times to the
// microsecond, NULLs where wanted), independent of the delivery engine.
import pg from 'pg';
import { newId } from '../../core/ids.ts';
import type { GqlClient } from './graphql.ts';
import { createIntegrator, createWebhook, registerEventType } from './fixtures.ts';

export interface SeedDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  webhookId: string;
  integratorId: string;
  eventType: string;
  status: 'PENDING' | 'RETRYING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  attemptCount: number;
  /** ISO-8601 with microseconds, e.g. 2026-01-01T00:00:00.123456Z */
  createdAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  lastError?: string | null;
}

export async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** One event per delivery (same id order), then the deliveries. */
export async function insertDeliveries(client: pg.Client | pg.PoolClient, rows: SeedDelivery[]): Promise<void> {
  if (!rows.length) return;
  await client.query(
    `insert into event (id, tenant_id, type, source, channel, payload, idempotency_key, occurred_at, created_at)
     select e, t, ty, 'seed', null, '{"seeded":true}'::jsonb, null, c::timestamptz, c::timestamptz
       from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as u(e, t, ty, c)`,
    [rows.map((r) => r.eventId), rows.map((r) => r.tenantId), rows.map((r) => r.eventType), rows.map((r) => r.createdAt)],
  );
  await client.query(
    // Open ones are scheduled a month ahead: rows the engine leaves alone, and that the
    // sweeper does not take for deliveries with no way forward (they are not due).
    `insert into delivery (id, tenant_id, event_id, webhook_id, integrator_id, event_type, status, attempt_count, last_attempt_at, delivered_at, last_error, created_at, next_attempt_at)
     select id, t, e, w, i, ty, s, n, la::timestamptz, da::timestamptz, le, c::timestamptz,
            case when s in ('PENDING', 'RETRYING') then now() + interval '30 days' end
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[])
         as u(id, t, e, w, i, ty, s, n, la, da, le, c)`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.tenantId),
      rows.map((r) => r.eventId),
      rows.map((r) => r.webhookId),
      rows.map((r) => r.integratorId),
      rows.map((r) => r.eventType),
      rows.map((r) => r.status),
      rows.map((r) => r.attemptCount),
      rows.map((r) => r.lastAttemptAt),
      rows.map((r) => r.deliveredAt),
      rows.map((r) => r.lastError ?? null),
      rows.map((r) => r.createdAt),
    ],
  );
}

export async function insertAttempt(
  client: Pick<pg.Client, 'query'>,
  a: {
    tenantId: string;
    deliveryId: string;
    webhookId: string;
    succeeded: boolean;
    createdAt: string;
    number?: number;
    status?: number | null;
    durationMs?: number;
    trigger?: 'SCHEDULED' | 'MANUAL';
    errorKind?: string | null;
  },
): Promise<string> {
  const id = newId('Attempt');
  await client.query(
    `insert into attempt (id, tenant_id, delivery_id, webhook_id, integrator_id, event_type, attempt_number, trigger, succeeded, request_url, request_method, request_headers, request_body,
                          response_status, response_headers, response_body, response_truncated, error_kind, error_message, duration_ms, created_at)
     select $1, $2, $3, $4, d.integrator_id, d.event_type, $5, $10, $6, 'http://127.0.0.1/hook', 'POST', '{"content-type":"application/json"}', '{"seeded":true}',
            $7, '{"content-type":"text/plain"}', 'ok', false, $11, $12, $8, $9::timestamptz
       from delivery d where d.id = $3`,
    [
      id, a.tenantId, a.deliveryId, a.webhookId, a.number ?? 1, a.succeeded, a.status === undefined ? (a.succeeded ? 200 : 500) : a.status, a.durationMs ?? 42, a.createdAt,
      a.trigger ?? 'SCHEDULED', a.errorKind ?? null, a.errorKind ? `seeded ${a.errorKind}` : null,
    ],
  );
  return id;
}

export interface Catalog {
  tenantId: string;
  integrators: { id: string; name: string }[];
  webhooks: { id: string; name: string; url: string; integratorId: string }[];
  eventTypes: string[];
}

/**
 * Integrators, event types and webhooks through the API (so they are valid rows), with
 * names chosen to sort the same under any collation.
 */
export async function createCatalog(client: GqlClient, databaseUrl: string, token: string, label: string): Promise<Catalog> {
  const eventTypes = ['invoice.created', 'invoice.paid', 'order.shipped'];
  for (const name of eventTypes) await registerEventType(client, name);
  const integrators: { id: string; name: string }[] = [];
  for (const name of [`zeta ${label}`, `Acme ${label}`, `beta ${label}`]) integrators.push(await createIntegrator(client, { name }));
  const webhooks: Catalog['webhooks'] = [];
  const plan: [string, number, string][] = [
    [`orders ${label}`, 0, `http://127.0.0.1:9/zeta-orders-${label}`],
    [`Billing ${label}`, 1, `http://127.0.0.1:9/acme-billing-${label}`],
    [`audit ${label}`, 2, `http://127.0.0.1:9/beta-audit-${label}`],
    [`mirror ${label}`, 1, `http://127.0.0.1:9/acme-mirror-${label}`],
  ];
  for (const [name, integrator, url] of plan) {
    const { webhook } = await createWebhook(client, { integratorId: integrators[integrator].id, name, url, eventTypes: ['*'] });
    webhooks.push({ id: webhook.id as string, name, url, integratorId: integrators[integrator].id });
  }
  const [{ tenant_id: tenantId }] = await withClient(databaseUrl, async (c) => (await c.query('select tenant_id from integrator where id = $1', [integrators[0].id])).rows);
  void token;
  return { tenantId, integrators: integrators.map((i) => ({ id: i.id, name: i.name })), webhooks, eventTypes };
}

/** A microsecond-precise ISO time `minutes` after a base, plus `micros`. */
export function at(minutes: number, micros = 0): string {
  const base = Date.UTC(2026, 0, 10, 12, 0, 0) + minutes * 60_000;
  const ms = Math.floor(micros / 1000);
  const iso = new Date(base + ms).toISOString(); // …SS.mmmZ
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
}

/**
 * A varied log: every status, NULL and non-NULL times, equal values to exercise the
 * tie-breakers (shared attempt counts, identical created_at, times one microsecond apart).
 */
export function variedDeliveries(catalog: Catalog, count: number): SeedDelivery[] {
  const statuses: SeedDelivery['status'][] = ['SUCCEEDED', 'FAILED', 'RETRYING', 'PENDING', 'SUCCEEDED', 'CANCELLED', 'SUCCEEDED'];
  const rows: SeedDelivery[] = [];
  for (let i = 0; i < count; i++) {
    const webhook = catalog.webhooks[(i * 7) % catalog.webhooks.length];
    const status = statuses[i % statuses.length];
    // Every third row shares its created_at with the previous one; others are a microsecond apart within a millisecond.
    const minute = Math.floor(i / 3);
    const createdAt = i % 3 === 2 ? at(minute, 500) : at(minute, 500 + (i % 3));
    const attempted = status !== 'PENDING' && status !== 'CANCELLED';
    const attemptCount = attempted ? 1 + (i % 4) : 0;
    rows.push({
      id: newId('Delivery', Date.parse(createdAt)),
      tenantId: catalog.tenantId,
      eventId: newId('Event', Date.parse(createdAt)),
      webhookId: webhook.id,
      integratorId: webhook.integratorId,
      eventType: catalog.eventTypes[(i * 5) % catalog.eventTypes.length],
      status,
      attemptCount,
      createdAt,
      // Several rows share one last-attempt time, so ties on that column are common.
      lastAttemptAt: attempted ? at(100 + (i % 9), i % 2) : null,
      deliveredAt: status === 'SUCCEEDED' ? at(200 + (i % 11), 7) : null,
      lastError: status === 'FAILED' ? `=HYPERLINK("http://evil"), "quoted", comma\nnewline` : null,
    });
  }
  return rows;
}
