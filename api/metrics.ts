// GET /metrics: this process's registry (attempt and publish counters when it runs the
// worker too), plus gauges computed at scrape time: open deliveries and queue depth from
// the database (the same answer from every API process), and this process's subscribers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import client from 'prom-client';
import type { Services } from '../core/services.ts';
import { registry } from '../infra/metrics.ts';
import { metricsAllowed } from '../infra/metrics-token.ts';
import * as sql from '../core/sql/metrics.ts';
import type { PostgresLiveUpdates } from '../core/live-updates/postgres-live-updates.ts';
import type { PostgresEventTarget } from '../core/live-updates/listener.ts';

/** A scrape storm must not turn into a query storm: database gauges are reused this long. */
const DATABASE_GAUGE_TTL_MS = 5000;

function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | null = null;
  let at = 0;
  return () => {
    if (!value || Date.now() - at > DATABASE_GAUGE_TTL_MS) {
      at = Date.now();
      value = load().catch((error) => {
        value = null;
        throw error;
      });
    }
    return value;
  };
}

export function createMetricsHandler(services: Services, live: PostgresLiveUpdates, changes: PostgresEventTarget) {
  // Gauges of this API instance live in their own registry, merged at scrape time, so
  // several APIs in one process (tests) do not collide in the process registry.
  const own = new client.Registry();
  const openDeliveries = cached(async () => (await services.pool.query<{ status: string; count: string }>(sql.openDeliveries())).rows);
  const queues = cached(() => services.boss.getQueues());

  new client.Gauge({
    name: 'hookyard_deliveries_open',
    help: 'Deliveries waiting to be sent (PENDING) or retried (RETRYING), all tenants.',
    labelNames: ['status'] as const,
    registers: [own],
    async collect() {
      const rows = await openDeliveries();
      for (const status of ['PENDING', 'RETRYING']) this.set({ status }, Number(rows.find((r) => r.status === status)?.count ?? 0));
    },
  });
  new client.Gauge({
    name: 'hookyard_queue_jobs',
    help: 'pg-boss jobs per queue and state (queued includes deferred; counts as of the last queue monitor pass).',
    labelNames: ['queue', 'state'] as const,
    registers: [own],
    async collect() {
      for (const q of await queues()) {
        this.set({ queue: q.name, state: 'queued' }, q.queuedCount);
        this.set({ queue: q.name, state: 'deferred' }, q.deferredCount);
        this.set({ queue: q.name, state: 'active' }, q.activeCount);
        this.set({ queue: q.name, state: 'failed' }, q.failedCount);
      }
    },
  });
  const oldest = cached(async () => (await services.pool.query<{ tenant_id: string; seconds: number }>(sql.oldestWaitingDelivery())).rows);
  const held = cached(async () => Number((await services.pool.query<{ count: string }>(sql.heldDeliveries())).rows[0].count));
  const circuits = cached(async () => (await services.pool.query<{ state: string; count: string }>(sql.circuitsNotClosed())).rows);
  new client.Gauge({
    name: 'hookyard_oldest_waiting_delivery_seconds',
    help: 'Per tenant, how long the most overdue delivery has waited past its due time (0 when none waits). Grows when workers fall behind or are down.',
    labelNames: ['tenant'] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const row of await oldest()) this.set({ tenant: row.tenant_id }, Math.max(0, Number(row.seconds)));
    },
  });
  new client.Gauge({
    name: 'hookyard_deliveries_held',
    help: 'Open deliveries held with no next attempt: paused or disabled webhook, open circuit, deliveries switched off, or waiting in a FIFO line.',
    registers: [own],
    async collect() {
      this.set(await held());
    },
  });
  new client.Gauge({
    name: 'hookyard_circuits_open',
    help: 'Webhooks whose circuit breaker is OPEN (attempts paused for a cool-down) or HALF_OPEN (one probe out).',
    labelNames: ['state'] as const,
    registers: [own],
    async collect() {
      const rows = await circuits();
      for (const state of ['OPEN', 'HALF_OPEN']) this.set({ state }, Number(rows.find((r) => r.state === state)?.count ?? 0));
    },
  });
  new client.Gauge({
    name: 'hookyard_subscribers_connected',
    help: 'Authenticated graphql-ws connections to this API process.',
    registers: [own],
    collect() {
      this.set(live.sessions);
    },
  });
  new client.Gauge({
    name: 'hookyard_subscriptions_active',
    help: 'Open GraphQL subscriptions in this API process.',
    registers: [own],
    collect() {
      this.set(live.subscriptions);
    },
  });
  new client.Counter({
    name: 'hookyard_live_resyncs_total',
    help: 'Resync messages sent to subscribers of this API process, by reason (BEHIND: a slow subscriber; CONNECTION_RESTORED: the LISTEN connection came back; UPDATES_LOST: rows could not be loaded).',
    labelNames: ['reason'],
    registers: [own],
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(live.resyncs)) this.inc({ reason }, count);
    },
  });
  new client.Gauge({
    name: 'hookyard_live_pending_rows',
    help: 'Rows waiting for slow subscribers of this API process (at most 1,000 per subscription).',
    registers: [own],
    collect() {
      this.set(live.pendingRows);
    },
  });
  new client.Gauge({
    name: 'hookyard_live_updates_listening',
    help: '1 while this API process holds its LISTEN connection for live updates, else 0.',
    registers: [own],
    collect() {
      this.set(changes.connected ? 1 : 0);
    },
  });

  return async function handleMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!metricsAllowed(services.config.metricsToken, req, res)) return;
    try {
      const merged = client.Registry.merge([registry, own]);
      const body = await merged.metrics();
      res.writeHead(200, { 'content-type': merged.contentType, 'cache-control': 'no-store' }).end(body);
    } catch (error) {
      services.log.error({ err: error }, 'metrics could not be collected');
      res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
    }
  };
}
