// Live-subscriber benchmark: 20 graphql-ws subscribers to deliveryUpdated (the dashboard's
// row fields) while 2,000 deliveries/s change for 10 s. Two of them stop reading for 3 s
// mid-flow (a busy browser tab): they must not be cut off; they catch up through the
// server's coalescing, or a Resync. Prints p50/p99 commit → client over every update the
// 18 readers got, what each subscriber received (updates, resyncs, errors or ends), and the
// API's memory (RSS) before subscribers, with them idle, and at its peak, per subscriber;
// then the dashboard's longest main-thread task with the log open under the same flow
// (headless Chromium, when /usr/bin/chromium exists).
//
//   npx node test/bench/live-subscribers.ts       (or npm run bench, which runs every bench)
//
// The API runs as its own process (`node start.ts`, HOOKYARD_ROLE=api); this process plays
// the worker: attempt rows, delivery updates and their NOTIFY in one transaction, 10 every 5 ms.
// BENCH_LIVE_RATE (2000/s), BENCH_LIVE_SECONDS (10), BENCH_SUBSCRIBERS (20) resize it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';
import { ensureDashboardBuilt } from '../../client/scripts/build-dashboard.ts';
import { gqlClient, mutate } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { spawnHookyard } from '../support/processes.ts';
import { insertBulkDeliveries } from '../support/bulk.ts';
import { benchDatabase, onCleanup, printTable, quantile, runBench, sleep } from './support/bench-env.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { notifyUpdatesSql } from '../../core/sql/live-updates.ts';

const RATE = Number(process.env.BENCH_LIVE_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 20);
const STALLED = 2;
const STALL_MS = 3000;
const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = `hy_bench_${randomBytes(16).toString('hex')}`;
/** What the dashboard's log selects for each pushed delivery (client/src/lib/graphql/operations/deliveries.graphql). */
const SUBSCRIPTION = `subscription { deliveryUpdated { __typename
  ... on Delivery { id status attemptCount lastAttemptAt deliveredAt lastResponseStatus lastDurationMs createdAt webhook { id name url } integrator { id name } }
  ... on Resync { reason skipped } } }`;

type Target = { id: string; webhook_id: string; integrator_id: string };

interface Subscriber {
  /** Receive time of each delivery's latest update, by delivery id and attempt count. */
  received: Map<string, number>;
  updates: number;
  resyncs: string[];
  /** Errors, completes or closes: a subscriber cut off. */
  ended: string[];
  stall(ms: number): void;
  close(): void;
}

async function subscribe(baseUrl: string): Promise<Subscriber> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const s: Subscriber = {
    received: new Map(),
    updates: 0,
    resyncs: [],
    ended: [],
    // Stops reading the socket: the kernel buffers fill and the server's sends back up.
    stall: (ms) => {
      ws.pause();
      setTimeout(() => ws.resume(), ms);
    },
    close: () => ws.close(),
  };
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type === 'connection_ack') acked();
    else if (message.type === 'next') {
      const item = message.payload.data?.deliveryUpdated;
      if (message.payload.errors) s.ended.push(`errors: ${JSON.stringify(message.payload.errors).slice(0, 200)}`);
      else if (item?.__typename === 'Resync') s.resyncs.push(item.reason);
      else if (item) {
        s.updates++;
        s.received.set(`${item.id}:${item.attemptCount}`, performance.now());
      }
    } else if (message.type === 'error' || message.type === 'complete') s.ended.push(message.type);
  });
  ws.on('close', (code) => s.ended.push(`close ${code}`));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
  await ack;
  ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
  onCleanup(() => ws.close());
  return s;
}

/**
 * The worker's write pattern at RATE deliveries/s: every 5 ms one transaction records an
 * attempt for RATE/200 deliveries (attempt insert, delivery update, NOTIFY of both).
 * Returns each update's commit time by `deliveryId:attemptCount`.
 */
async function flow(pool: pg.Pool, tenantId: string, targets: Target[], onHalf?: () => void) {
  const committed = new Map<string, number>();
  const tickMs = 5;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
  const inFlight = new Set<Promise<void>>();
  const begin = performance.now();
  let next = 0;
  let halfDone = false;
  for (let tick = 0; next < targets.length; tick++) {
    const wait = begin + tick * tickMs - performance.now();
    if (wait > 0) await sleep(wait);
    if (!halfDone && next >= targets.length / 3) {
      halfDone = true;
      onHalf?.();
    }
    const batch = targets.slice(next, next + perTick);
    next += perTick;
    const job = (async () => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const ids = batch.map(() => `att_${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`);
        await client.query(
          `insert into attempt (id, tenant_id, delivery_id, webhook_id, attempt_number, trigger, succeeded, request_url, request_method, request_headers, request_body,
                                response_status, response_headers, response_body, response_truncated, duration_ms, created_at)
           select a, $1, d, w, 1, 'SCHEDULED', true, 'https://hooks.example/x', 'POST', '{"content-type":"application/json"}', '{"bench":true}', 200, '{}', 'ok', false, 42, now()
             from unnest($2::text[], $3::text[], $4::text[]) as u(a, d, w)`,
          [tenantId, ids, batch.map((b) => b.id), batch.map((b) => b.webhook_id)],
        );
        const { rows } = await client.query<{ id: string; attempt_count: number }>(
          `update delivery set status = 'SUCCEEDED', attempt_count = attempt_count + 1, last_attempt_at = now(), delivered_at = now(), last_response_status = 200
            where id = any($1::text[]) returning id, attempt_count`,
          [batch.map((b) => b.id)],
        );
        const changes: LiveUpdate[] = [];
        batch.forEach((b, i) => {
          changes.push({ kind: 'delivery', tenantId, id: b.id, webhookId: b.webhook_id, integratorId: b.integrator_id });
          changes.push({ kind: 'attempt', tenantId, id: ids[i], webhookId: b.webhook_id, deliveryId: b.id, integratorId: b.integrator_id });
        });
        await client.query(notifyUpdatesSql(changes));
        await client.query('commit');
        const at = performance.now();
        for (const row of rows) committed.set(`${row.id}:${row.attempt_count}`, at);
      } finally {
        client.release();
      }
    })();
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
  }
  await Promise.all(inFlight);
  return { committed, elapsed: (performance.now() - begin) / 1000 };
}

/** The API process's resident memory, from /proc (Linux). */
function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

async function targetsOf(pool: pg.Pool, tenantId: string, offset: number): Promise<Target[]> {
  const { rows } = await pool.query<Target>(`select id, webhook_id, integrator_id from delivery where tenant_id = $1 order by created_at desc offset $2 limit $3`, [tenantId, offset, RATE * SECONDS]);
  return rows;
}

await runBench('live-subscribers', async () => {
  const { url, where } = await benchDatabase();
  console.log(`live-subscribers bench: ${SUBSCRIBERS} subscribers, ${RATE} deliveries/s for ${SECONDS} s, on ${where}`);
  const port = await freePort();
  const api = spawnHookyard({ HOOKYARD_ROLE: 'api', DATABASE_URL: url, PORT: String(port), HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN, HOOKYARD_DATA_DIR: `/tmp/hookyard-bench-${port}`, LOG_LEVEL: 'warn', HOOKYARD_URL_POLICY: 'permissive' });
  onCleanup(() => api.stop().then(() => undefined));
  await api.ready();
  const baseUrl = `http://127.0.0.1:${port}`;
  const admin = gqlClient(baseUrl, ADMIN_TOKEN);
  const pool = new pg.Pool({ connectionString: url, max: 6 });
  onCleanup(() => pool.end());
  const [{ id: tenantId }] = (await pool.query<{ id: string }>(`select id from tenant order by created_at limit 1`)).rows;
  const integrator = await mutate(admin, 'mutation { createIntegrator(input: { name: "Bench Co" }) { ... on IntegratorPayload { integrator { id } } } }');
  await mutate(admin, 'mutation { registerEventType(input: { name: "invoice.created" }) { __typename } }');
  const webhooks: { id: string; integratorId: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const created = await mutate(admin, 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { ... on WebhookWithSecretPayload { webhook { id } } } }', {
      input: { integratorId: integrator.integrator.id, name: `bench ${i}`, url: `http://127.0.0.1:9/bench-${i}`, eventTypes: ['invoice.created'] },
    });
    webhooks.push({ id: created.webhook.id, integratorId: integrator.integrator.id });
  }
  // One delivery per update of both flows (subscribers, then the browser), plus a log to show.
  await insertBulkDeliveries(pool, { tenantId, webhooks, eventTypes: ['invoice.created'] }, RATE * SECONDS * 2 + 1000, new Date(Date.now() - 3_600_000), 1);
  await pool.query('analyze');

  const pid = api.pid;
  const before = rssMiB(pid);
  const subscribers: Subscriber[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) subscribers.push(await subscribe(baseUrl));
  await sleep(1000);
  const idle = rssMiB(pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  const stalled = subscribers.slice(0, STALLED);
  const { committed, elapsed } = await flow(pool, tenantId, await targetsOf(pool, tenantId, 1000), () => stalled.forEach((s) => s.stall(STALL_MS)));
  // Let what is in flight arrive (at most 15 s).
  const readers = subscribers.slice(STALLED);
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(100)) {
    if (readers.every((s) => s.received.size >= committed.size) && stalled.every((s) => s.received.size >= committed.size || s.resyncs.length)) break;
  }
  clearInterval(sampler);
  const latencies: number[] = [];
  for (const s of readers) for (const [key, at] of committed) if (s.received.has(key)) latencies.push(s.received.get(key)! - at);

  console.log(`\n${committed.size} delivery updates committed in ${elapsed.toFixed(1)} s (${Math.round(committed.size / elapsed)}/s offered to ${SUBSCRIBERS} subscribers)\n`);
  printTable([
    ['subscriber', 'updates received', 'of committed', 'resyncs', 'cut off'],
    ...subscribers.map((s, i) => [
      `${i + 1}${i < STALLED ? ` (stalled ${STALL_MS / 1000} s)` : ''}`,
      String(s.updates),
      `${((100 * [...committed.keys()].filter((k) => s.received.has(k)).length) / committed.size).toFixed(1)} %`,
      s.resyncs.length ? s.resyncs.join(', ') : '0',
      s.ended.length ? s.ended.join('; ') : 'no',
    ]),
  ]);
  console.log(`\ncommit → client over the ${readers.length} reading subscribers: p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${quantile(latencies, 0.99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms (${latencies.length} updates)`);
  console.log(`API memory (RSS): ${before.toFixed(0)} MiB before subscribers, ${idle.toFixed(0)} MiB with ${SUBSCRIBERS} idle, peak ${peak.toFixed(0)} MiB under the flow: ${((idle - before) / SUBSCRIBERS).toFixed(2)} MiB per idle subscriber, ${((peak - before) / SUBSCRIBERS).toFixed(2)} MiB per subscriber at peak`);
  const cut = subscribers.filter((s) => s.ended.length);
  for (const s of subscribers) s.close();
  if (cut.length) throw new Error(`${cut.length} subscribers were cut off: ${cut.map((s) => s.ended.join('; ')).join(' | ')}`);

  // The dashboard's log under the same flow.
  if (!fs.existsSync(CHROMIUM)) return void console.log(`\n${CHROMIUM} missing: the browser part is skipped`);
  ensureDashboardBuilt((line) => console.log(`  ${line}`));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  onCleanup(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(baseUrl);
  await page.getByLabel('API key').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid="live-status"]', { hasText: 'Live' }).waitFor();
  await page.locator('table.deliveries tbody tr').first().waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { longest: number; tasks: number };
    w.longest = 0;
    w.tasks = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        w.tasks++;
        w.longest = Math.max(w.longest, entry.duration);
      }
    }).observe({ type: 'longtask', buffered: false });
  });
  const second = await flow(pool, tenantId, await targetsOf(pool, tenantId, 1000 + RATE * SECONDS));
  await sleep(3000);
  const measured = await page.evaluate(() => ({ ...(window as unknown as { longest: number; tasks: number }) }));
  const status = await page.getByTestId('live-status').textContent();
  console.log(
    `\ndashboard delivery log under ${Math.round(second.committed.size / second.elapsed)} updates/s for ${second.elapsed.toFixed(1)} s: longest main-thread task ${measured.longest.toFixed(0)} ms (${measured.tasks} tasks over 50 ms); indicator afterwards: ${status}`,
  );
});
