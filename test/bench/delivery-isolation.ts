// Isolation and publishing benchmark.
//
//   npx node test/bench/delivery-isolation.ts          (or npm run bench)
//
// 1. Mixed load: BENCH_MIX_RATE (500) events/s offered for BENCH_MIX_SECONDS (10) s, one
//    publishEvent call each, round robin over 50 webhooks (one event type each): 45 answer
//    at once (a receiver process), 5 never answer and time out after 5 s. Prints the
//    healthy webhooks' p50/p99 from the event row to its first attempt (target p99 <= 100
//    ms), beside the same figure with no hanging webhook measured in the same run, and the
//    worker's peak RSS (VmHWM) against the bound the README states. Then a FIFO webhook's
//    throughput: BENCH_FIFO_DELIVERIES (500) in order to the fast receiver. Then a backlog:
//    10 more endpoints that never answer, BENCH_BACKLOG_DELIVERIES (10,000) deliveries
//    queued for them; the worker's RSS while they hang, and its peak through every phase.
// 2. Publishing: BENCH_PUBLISH_CLIENTS (16) clients each calling publishEvent (one event per
//    call) back to back for BENCH_PUBLISH_SECONDS (30) s against one HOOKYARD_ROLE=all
//    process that also delivers: calls/s and p50/p99 call latency (target >= 1,500 calls/s).
// Hookyard runs as real processes (`node start.ts`) on the bench database.
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createWebhookSetup } from '../support/fixtures.ts';
import { gqlClient } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { spawnHookyard, type HookyardProcess } from '../support/processes.ts';
import { benchDatabase, onCleanup, printTable, quantile, runBench, sleep, startReceiverProcess } from './support/bench-env.ts';

const MIX_RATE = Number(process.env.BENCH_MIX_RATE ?? 500);
const MIX_SECONDS = Number(process.env.BENCH_MIX_SECONDS ?? 10);
const HEALTHY = 45;
const HANGING = 5;
const FIFO_DELIVERIES = Number(process.env.BENCH_FIFO_DELIVERIES ?? 500);
const PUBLISH_CLIENTS = Number(process.env.BENCH_PUBLISH_CLIENTS ?? 16);
const PUBLISH_SECONDS = Number(process.env.BENCH_PUBLISH_SECONDS ?? 30);
/** The worker's peak RSS the README promises under this load (HOOKYARD_WORKER_MAX_IN_FLIGHT at its default). */
const RSS_BOUND_MB = 300;
/** The backlog phase: endpoints that never answer, and the deliveries queued for them. */
const BACKLOG_ENDPOINTS = 10;
const BACKLOG_DELIVERIES = Number(process.env.BENCH_BACKLOG_DELIVERIES ?? 10_000);
const TARGETS = { healthyP99Ms: 100, publishPerSecond: 1500 };
const ADMIN_TOKEN = `hy_bench_${randomBytes(16).toString('hex')}`;

/** Resident set of a process now (VmRSS), in MiB. */
async function currentRssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Peak resident set of a process so far (VmHWM), in MiB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function main() {
  const database = await benchDatabase();
  const receiver = await startReceiverProcess();
  // Hanging endpoints: accept the request and never answer.
  const hanging = http.createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  });
  const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hang`;
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  onCleanup(() => db.end());
  const rows = async <T extends pg.QueryResultRow = any>(text: string, values?: unknown[]) => (await db.query<T>(text, values)).rows;

  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-bench-data-'));
  onCleanup(() => fs.rm(dataDir, { recursive: true, force: true }));
  const shared: Record<string, string> = {
    DATABASE_URL: database.url,
    HOOKYARD_DATA_DIR: dataDir,
    HOOKYARD_SECRET_KEY: randomBytes(32).toString('base64'),
    HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    HOOKYARD_URL_POLICY: 'permissive',
    LOG_LEVEL: 'error',
  };
  const processes: HookyardProcess[] = [];
  onCleanup(async () => {
    for (const p of processes) await p.stop(15_000);
  });
  const start = async (env: Record<string, string>) => {
    const started = spawnHookyard({ ...shared, ...env });
    processes.push(started);
    await started.ready();
    return started;
  };
  const port = await freePort();
  await start({ HOOKYARD_ROLE: 'api', PORT: String(port) });
  const apiUrl = `http://127.0.0.1:${port}`;
  const admin = gqlClient(apiUrl, ADMIN_TOKEN);
  const healthyTypes: string[] = [];
  const hangingTypes: string[] = [];
  for (let i = 0; i < HEALTHY; i++) healthyTypes.push((await createWebhookSetup(admin, `${receiver.url}/${i}`, { eventType: `mix.ok${i}` })).eventType);
  for (let i = 0; i < HANGING; i++) {
    hangingTypes.push((await createWebhookSetup(admin, `${hangingUrl}/${i}`, { eventType: `mix.hang${i}`, webhook: { timeoutSeconds: 5, retrySchedule: [] } })).eventType);
  }
  const worker = await start({ HOOKYARD_ROLE: 'worker' });
  const idleRssMb = await currentRssMb(worker.pid);

  const api = new Agent({ connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });
  onCleanup(() => api.close());
  const publishOne = async (baseUrl: string, type: string): Promise<{ id: string; ms: number }> => {
    const calledAt = performance.now();
    const response = await request(`${baseUrl}/graphql`, {
      method: 'POST',
      dispatcher: api,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        query: `mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename ... on PublishedEvent { event { id } } ... on Error { message } } }`,
        variables: { input: { type, payload: { amount: 129_900, currency: 'EUR', customer: 'cus_4f9a2c71' } } },
      }),
    });
    const result = ((await response.body.json()) as any).data?.publishEvent;
    if (result?.__typename !== 'PublishedEvent') throw new Error(`publishEvent failed: ${JSON.stringify(result)}`);
    return { id: result.event.id, ms: performance.now() - calledAt };
  };

  /** Offers `rate` events/s over `types` (round robin) for `seconds`; returns the healthy events' event row -> first attempt, in ms. */
  const offer = async (types: string[], seconds: number): Promise<number[]> => {
    const total = MIX_RATE * seconds;
    const calls: Promise<{ id: string; type: string }>[] = [];
    const started = performance.now();
    while (calls.length < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * MIX_RATE) + 1);
      while (calls.length < due) {
        const type = types[calls.length % types.length];
        calls.push(publishOne(apiUrl, type).then((p) => ({ id: p.id, type })));
      }
      await sleep(1);
    }
    const healthyIds = (await Promise.all(calls)).filter((c) => healthyTypes.includes(c.type)).map((c) => c.id);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const first = await rows<{ ms: number }>(
        `select extract(epoch from min(a.created_at) - e.created_at) * 1000 as ms
           from event e join delivery d on d.event_id = e.id join attempt a on a.delivery_id = d.id
          where e.id = any($1::text[]) group by e.id, e.created_at`,
        [healthyIds],
      );
      if (first.length === healthyIds.length) return first.map((f) => Number(f.ms));
      if (Date.now() > deadline) throw new Error(`only ${first.length} of ${healthyIds.length} healthy events got an attempt`);
      await sleep(100);
    }
  };

  // Baseline: the same rate over the healthy webhooks only.
  const baseline = await offer(healthyTypes, MIX_SECONDS);
  await sleep(1000);
  const mixed = await offer([...healthyTypes, ...hangingTypes], MIX_SECONDS);
  const [{ waiting }] = await rows<{ waiting: number }>(`select count(*)::int as waiting from delivery where status in ('PENDING', 'RETRYING')`);

  // A FIFO webhook to the fast receiver: one at a time, in order.
  const fifo = await createWebhookSetup(admin, `${receiver.url}/fifo`, { eventType: 'mix.fifo', webhook: { ordering: 'FIFO' } });
  const fifoStarted = performance.now();
  for (let from = 0; from < FIFO_DELIVERIES; from += 1000) {
    const events = Array.from({ length: Math.min(1000, FIFO_DELIVERIES - from) }, (_, i) => ({ type: fifo.eventType, payload: { n: from + i } }));
    const result = await (await request(`${apiUrl}/graphql`, {
      method: 'POST',
      dispatcher: api,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query: 'mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename } }', variables: { input: { events } } }),
    })).body.json() as { data?: { publishEvents: { __typename: string } } };
    if (result.data?.publishEvents.__typename !== 'PublishEventsPayload') throw new Error(`FIFO publish failed: ${JSON.stringify(result)}`);
  }
  const fifoDeadline = Date.now() + 120_000;
  for (;;) {
    const [{ n }] = await rows<{ n: number }>(`select count(*)::int as n from delivery where webhook_id = $1 and status = 'SUCCEEDED'`, [fifo.webhookId]);
    if (n === FIFO_DELIVERIES) break;
    if (Date.now() > fifoDeadline) throw new Error(`FIFO: ${n} of ${FIFO_DELIVERIES} delivered in 120 s`);
    await sleep(50);
  }
  const fifoPerSecond = FIFO_DELIVERIES / ((performance.now() - fifoStarted) / 1000);

  // A backlog the worker must not hold: BACKLOG_ENDPOINTS more endpoints that never answer
  // (30 s timeout) with BACKLOG_DELIVERIES deliveries queued for them. Each webhook keeps
  // its maxInFlight (10) requests open; the rest waits in PostgreSQL.
  const backlogTypes: string[] = [];
  for (let i = 0; i < BACKLOG_ENDPOINTS; i++) {
    backlogTypes.push((await createWebhookSetup(admin, `${hangingUrl}/backlog${i}`, { eventType: `backlog.hang${i}`, webhook: { timeoutSeconds: 30, retrySchedule: [] } })).eventType);
  }
  for (let from = 0; from < BACKLOG_DELIVERIES; from += 1000) {
    const events = Array.from({ length: Math.min(1000, BACKLOG_DELIVERIES - from) }, (_, i) => ({ type: backlogTypes[(from + i) % BACKLOG_ENDPOINTS], payload: { n: from + i, note: 'x'.repeat(512) } }));
    const result = await (await request(`${apiUrl}/graphql`, {
      method: 'POST',
      dispatcher: api,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query: 'mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename } }', variables: { input: { events } } }),
    })).body.json() as { data?: { publishEvents: { __typename: string } } };
    if (result.data?.publishEvents.__typename !== 'PublishEventsPayload') throw new Error(`backlog publish failed: ${JSON.stringify(result)}`);
  }
  // Hold the backlog while the worker's requests hang, sampling its RSS.
  let backlogRssMb = 0;
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    backlogRssMb = Math.max(backlogRssMb, await currentRssMb(worker.pid));
  }
  const [backlog] = await rows<{ waiting: number; open: number }>(
    `select count(*) filter (where d.attempt_count = 0)::int as waiting, (select count(*)::int from pgboss.job where name = 'deliver' and state = 'active') as open
       from delivery d join webhook w on w.id = d.webhook_id where w.url like $1 and d.status in ('PENDING', 'RETRYING')`,
    [`${hangingUrl}/backlog%`],
  );
  const rssMb = await peakRssMb(worker.pid);
  for (const p of processes.splice(0).reverse()) await p.stop(15_000);

  // 2. Publishing throughput against one all-in-one process that also delivers.
  const allPort = await freePort();
  await start({ HOOKYARD_ROLE: 'all', PORT: String(allPort) });
  const allUrl = `http://127.0.0.1:${allPort}`;
  const latencies: number[] = [];
  const stopAt = performance.now() + PUBLISH_SECONDS * 1000;
  const publishStarted = performance.now();
  await Promise.all(
    Array.from({ length: PUBLISH_CLIENTS }, async (_, client) => {
      while (performance.now() < stopAt) latencies.push((await publishOne(allUrl, healthyTypes[client % HEALTHY])).ms);
    }),
  );
  const publishPerSecond = latencies.length / ((performance.now() - publishStarted) / 1000);
  for (const p of processes.splice(0).reverse()) await p.stop(15_000);

  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const pair = (values: number[]) => `${Math.round(quantile(values, 0.5))} / ${Math.round(quantile(values, 0.99))} ms`;
  console.log(`\nIsolation and publishing benchmark: ${os.cpus().length} CPUs, Node ${process.version}, ${database.where}; load average ${os.loadavg()[0].toFixed(1)} at end`);
  const table: string[][] = [['measure', 'value', 'target', 'result']];
  table.push([`${MIX_RATE}/s over ${HEALTHY} healthy webhooks only: event row -> first attempt, p50 / p99`, pair(baseline), '', '']);
  table.push([`${MIX_RATE}/s over ${HEALTHY} healthy + ${HANGING} hanging (5 s timeout): healthy p50 / p99`, pair(mixed), `p99 <= ${TARGETS.healthyP99Ms} ms`, verdict(quantile(mixed, 0.99) <= TARGETS.healthyP99Ms)]);
  table.push(['  deliveries still waiting at the end (the hanging webhooks\' backlog, in PostgreSQL)', String(waiting), '', '']);
  table.push([`FIFO webhook, ${FIFO_DELIVERIES} deliveries to a fast receiver (publish to last delivered)`, `${Math.round(fifoPerSecond)} /s`, '', '']);
  table.push(['  worker RSS when started, idle', `${idleRssMb.toFixed(0)} MiB`, '', '']);
  table.push([`${BACKLOG_ENDPOINTS} endpoints hanging (30 s timeout), ${BACKLOG_DELIVERIES} deliveries queued for them: still unattempted / delivery jobs active`, `${backlog.waiting} / ${backlog.open}`, '', '']);
  table.push(['  worker RSS while they hang (max of 20 samples)', `${backlogRssMb.toFixed(0)} MiB`, `<= ${RSS_BOUND_MB} MiB`, verdict(backlogRssMb <= RSS_BOUND_MB)]);
  table.push(['  worker peak RSS (VmHWM) through every phase above', `${rssMb.toFixed(0)} MiB`, `<= ${RSS_BOUND_MB} MiB`, verdict(rssMb <= RSS_BOUND_MB)]);
  table.push([`publishEvent, ${PUBLISH_CLIENTS} clients x ${PUBLISH_SECONDS} s, HOOKYARD_ROLE=all (delivering too)`, `${Math.round(publishPerSecond)} calls/s`, `>= ${TARGETS.publishPerSecond}`, verdict(publishPerSecond >= TARGETS.publishPerSecond)]);
  table.push(['  call latency p50 / p99', pair(latencies), '', '']);
  printTable(table);
}

if (import.meta.main) await runBench('delivery-isolation', main);
