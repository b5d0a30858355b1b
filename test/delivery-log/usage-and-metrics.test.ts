import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createTenant } from '../support/fixtures.ts';
import { freePort } from '../support/ports.ts';
import { startHookyardProcess } from '../support/processes.ts';
import { recordAttempt } from '../../infra/metrics.ts';
import { at, createCatalog, insertAttempt, insertDeliveries, variedDeliveries, withClient, type Catalog, type SeedDelivery } from '../support/seed.ts';
import { openLiveSocket } from '../support/live.ts';

const USAGE = `query ($id: ID!, $from: DateTime!, $to: DateTime) {
  node(id: $id) { ... on Webhook { usage(from: $from, to: $to) { from to delivered failed attempts throttled } } }
}`;

function metric(text: string, name: string, labels = ''): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ').at(-1)) : null;
}

describe('webhook usage and /metrics', () => {
  let hy: TestHookyard;
  let catalog: Catalog;
  let rows: SeedDelivery[];

  beforeAll(async () => {
    hy = await startTestHookyard();
    catalog = await createCatalog(hy.admin, hy.databaseUrl, hy.adminToken, 'u');
    rows = variedDeliveries(catalog, 30);
    await withClient(hy.databaseUrl, async (c) => {
      await insertDeliveries(c, rows);
    });
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it("counts a webhook's delivered, failed, attempts and throttled within the range only", async () => {
    const webhook = catalog.webhooks[3];
    const mine = rows.filter((r) => r.webhookId === webhook.id);
    expect(mine.length).toBeGreaterThan(2);
    await withClient(hy.databaseUrl, async (c) => {
      // Attempts: 3 successful and 2 failed inside [at(500), at(560)), one of each outside.
      for (const [minute, succeeded] of [[500, true], [510, true], [559, true], [520, false], [530, false], [499, true], [560, false]] as const) {
        await insertAttempt(c, { tenantId: catalog.tenantId, deliveryId: mine[0].id, webhookId: webhook.id, succeeded, createdAt: at(minute) });
      }
      // Another webhook's attempt in the range does not count.
      await insertAttempt(c, { tenantId: catalog.tenantId, deliveryId: rows[0].id, webhookId: rows[0].webhookId === webhook.id ? catalog.webhooks[0].id : rows[0].webhookId, succeeded: true, createdAt: at(505) });
      // Failed deliveries: two given up inside the range, one before it.
      await c.query(`update delivery set status = 'FAILED', last_attempt_at = $2 where id = $1`, [mine[0].id, at(540)]);
      await c.query(`update delivery set status = 'FAILED', last_attempt_at = $2 where id = $1`, [mine[1].id, at(501)]);
      await c.query(`update delivery set status = 'FAILED', last_attempt_at = $2 where id = $1`, [mine[2].id, at(400)]);
      await c.query(`update delivery set status = 'SUCCEEDED' where webhook_id = $1 and id <> all($2) and status = 'FAILED'`, [webhook.id, [mine[0].id, mine[1].id, mine[2].id]]);
      // Throttled, by hour: at(500) is 20:20 UTC, so the 20:00 bucket overlaps the range; 19:00 does not, nor 22:00.
      await c.query(
        `insert into webhook_usage (tenant_id, webhook_id, bucket, throttled) values ($1, $2, $3, 4), ($1, $2, $4, 7), ($1, $2, $5, 100), ($1, $2, $6, 100)`,
        [catalog.tenantId, webhook.id, '2026-01-10T20:00:00Z', '2026-01-10T21:00:00Z', '2026-01-10T19:00:00Z', '2026-01-10T22:00:00Z'],
      );
    });
    expect(at(500)).toBe('2026-01-10T20:20:00.000000Z');
    const response = await hy.admin(USAGE, { id: webhook.id, from: at(500), to: at(560) });
    expect(response.errors).toBeUndefined();
    expect(response.data.node.usage).toEqual({ from: '2026-01-10T20:20:00.000Z', to: '2026-01-10T21:20:00.000Z', delivered: 3, failed: 2, attempts: 5, throttled: 11 });
  });

  it('refuses a backward range, and shows nothing to another tenant', async () => {
    const webhook = catalog.webhooks[3];
    const backward = await hy.admin(USAGE, { id: webhook.id, from: at(560), to: at(500) });
    expect(backward.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION', field: 'to' });
    const neighbour = await createTenant(hy.databaseUrl, 'curious');
    const theirs = await hy.client(neighbour.token)(USAGE, { id: webhook.id, from: at(500), to: at(560) });
    expect(theirs.data.node).toBeNull();
  });

  it('serves Prometheus metrics: open deliveries, queue depth, subscribers, attempts', async () => {
    recordAttempt('success', 120);
    recordAttempt('timeout', 15_000);
    const socket = await openLiveSocket(hy.baseUrl);
    expect(await socket.init({ authorization: hy.adminToken })).toBe('ack');
    const sub = socket.subscribe('subscription { deliveryUpdated { __typename } }');
    let text = '';
    for (let i = 0; i < 100; i++) {
      const response = await fetch(`${hy.baseUrl}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      text = await response.text();
      if (metric(text, 'hookyard_subscriptions_active') === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(metric(text, 'hookyard_subscriptions_active')).toBe(1);
    expect(metric(text, 'hookyard_subscribers_connected')).toBe(1);
    expect(metric(text, 'hookyard_live_updates_listening')).toBe(1);
    // The straightforward count (earlier tests changed some statuses).
    const counts = await withClient(hy.databaseUrl, async (c) => (await c.query(`select status, count(*)::int as n from delivery group by status`)).rows);
    const count = (status: string) => counts.find((r) => r.status === status)?.n ?? 0;
    const pending = count('PENDING');
    const retrying = count('RETRYING');
    expect(retrying).toBeGreaterThan(0);
    expect(pending).toBeGreaterThan(0);
    expect(metric(text, 'hookyard_deliveries_open', '{status="PENDING"}')).toBe(pending);
    expect(metric(text, 'hookyard_deliveries_open', '{status="RETRYING"}')).toBe(retrying);
    expect(metric(text, 'hookyard_queue_jobs', '{queue="deliver",state="queued"}')).toBeTypeOf('number');
    expect(metric(text, 'hookyard_attempts_total', '{outcome="timeout"}')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'hookyard_attempt_duration_seconds_bucket', '{le="0.25",outcome="success"}')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE hookyard_events_published_total counter');
    socket.close();
    void sub;
  });

  it('serves /metrics on its own port in a worker-only process', async () => {
    const port = await freePort();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-worker-metrics-'));
    const worker = await startHookyardProcess({
      HOOKYARD_ROLE: 'worker',
      DATABASE_URL: hy.databaseUrl,
      HOOKYARD_METRICS_PORT: String(port),
      HOOKYARD_ADMIN_TOKEN: hy.adminToken,
      HOOKYARD_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    });
    try {
      expect(worker.stdout()).toContain(`metrics:    http://127.0.0.1:${port}/metrics`);
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('# TYPE hookyard_attempts_total counter');
      expect(text).toContain('# TYPE hookyard_attempt_duration_seconds histogram');
      // Only the worker's own registry: the API's gauges are the API's to serve.
      expect(text).not.toContain('hookyard_subscriptions_active');
    } finally {
      await worker.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
