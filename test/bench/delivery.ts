// Delivery benchmark: how fast Hookyard drains a backlog compared with raw HTTP to the
// same receiver, how soon a published event gets its first attempt at a steady rate, and
// how soon another worker sends a delivery again after the worker sending it is killed.
//
//   npx node test/bench/delivery.ts          (or npm run bench, which runs every bench)
//
// Hookyard runs as real processes (`node start.ts`): one API process (HOOKYARD_ROLE=api)
// and one worker process (HOOKYARD_ROLE=worker); the receiver runs in a third process.
// HOOKYARD_WORKER_BATCH_SIZE and HOOKYARD_WORKER_MAX_IN_FLIGHT pass through to the worker.
// BENCH_DELIVERIES (20000), BENCH_RATES (100,500) and BENCH_RATE_SECONDS (10) resize the
// run; BENCH_WORKERS=2 drains a second backlog with two worker processes and prints it
// beside one worker's; BENCH_CPU_PROF=<dir> writes V8 CPU profiles of the API and worker processes there;
// BENCH_SAMPLE_ACTIVITY=1 samples pg_stat_activity and BENCH_PG_STATS=1 loads
// pg_stat_statements: each prints the statements PostgreSQL spent its time on, by phase.
// The drain runs from the first attempt's start to the moment every attempt row exists.
// Latency: attempt.created_at (when the worker starts the request) minus event.created_at
// (the publishing transaction's start), both from the database; the publish call's own
// start is shown too. Lease: workers with HOOKYARD_DELIVERY_LEASE_SECONDS=5; one is
// SIGKILLed while its receiver (in this process) holds the request open; from the kill to
// the same delivery's next request, beside the kill to a replacement worker's start.
// Prints a table; exits non-zero only on a broken run, printing MISSED for a missed target.
import { loadConfig } from '../../infra/config.ts';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import pg from 'pg';
import { Agent, request } from 'undici';
import { cloudEventBody } from '../../core/delivery/cloud-event.ts';
import { newId } from '../../core/ids.ts';
import type http from 'node:http';
import { createWebhookSetup } from '../support/fixtures.ts';
import { gqlClient, mutate, type GqlClient } from '../support/graphql.ts';
import { startReceiver } from '../support/receiver.ts';
import { freePort } from '../support/ports.ts';
import { spawnHookyard, type HookyardProcess } from '../support/processes.ts';
import { coresUsed, cpuMs, cpuSnapshot, formatCores } from './support/cpu.ts';
import { benchDatabase, onCleanup, printTable, quantile, runBench, sampleActivity, sleep, startReceiverProcess, topStatements } from './support/bench-env.ts';
import { samplePayload } from './support/sample-payload.ts';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 20_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const RATES = (process.env.BENCH_RATES ?? '100,500').split(',').filter(Boolean).map(Number);
const CEILING_IN_FLIGHT = 64;
const CEILING_SECONDS = 2;
const CEILING_RUNS = 3;
const LEASE_SECONDS = 5;
// The lease and a few supervisor passes (every lease / 3 s), far below the default 120 s lease.
const TARGETS = { drainPerSecond: 3000, ceilingRatio: 0.2, p99: new Map([[100, 25], [500, 100]]), leaseResendSeconds: 15 };
const ADMIN_TOKEN = `hy_bench_${randomBytes(16).toString('hex')}`;

/** Requests/s of raw undici POSTs of a delivery-sized body, `CEILING_IN_FLIGHT` at a time. */
async function measureCeiling(url: string): Promise<{ perSecond: number; min: number; max: number; bodyBytes: number }> {
  const body = cloudEventBody({ id: newId('Event'), source: 'hookyard', type: 'invoice.created', occurredAt: new Date(), payload: samplePayload(1) });
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Hookyard/bench',
    'webhook-id': newId('Delivery'),
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${randomBytes(32).toString('base64')}`,
  };
  const dispatcher = new Agent({ connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });
  let done = 0;
  let failures = 0;
  let stopAt = 0;
  const loop = async () => {
    while (performance.now() < stopAt) {
      const response = await request(url, { method: 'POST', headers, body, dispatcher });
      await response.body.text();
      if (response.statusCode === 200) done++;
      else failures++;
    }
  };
  // Warm up the connections and the JIT, then measure a few times: the median is the ceiling.
  stopAt = performance.now() + 1000;
  await Promise.all(Array.from({ length: CEILING_IN_FLIGHT }, loop));
  const runs: number[] = [];
  for (let run = 0; run < CEILING_RUNS; run++) {
    done = 0;
    const started = performance.now();
    stopAt = started + CEILING_SECONDS * 1000;
    await Promise.all(Array.from({ length: CEILING_IN_FLIGHT }, loop));
    runs.push(done / ((performance.now() - started) / 1000));
  }
  await dispatcher.close();
  if (failures) throw new Error(`${failures} ceiling requests did not get 200`);
  return { perSecond: quantile(runs, 0.5), min: Math.min(...runs), max: Math.max(...runs), bodyBytes: Buffer.byteLength(body) };
}

async function main() {
  const loadAtStart = os.loadavg()[0];
  const database = await benchDatabase({ statementStats: process.env.BENCH_PG_STATS === '1' });
  const statementReports = new Map<string, Awaited<ReturnType<typeof topStatements>>>();
  const receiver = await startReceiverProcess();
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  db.on('error', (error) => console.error(`bench database connection: ${error.message}`));
  onCleanup(() => db.end());
  const rows = async <T extends pg.QueryResultRow = any>(text: string, values?: unknown[]) => (await db.query<T>(text, values)).rows;

  const ceiling = await measureCeiling(receiver.url);

  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-bench-data-'));
  onCleanup(() => fs.rm(dataDir, { recursive: true, force: true }));
  const profileDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : null;
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const shared: Record<string, string> = {
    DATABASE_URL: database.url,
    HOOKYARD_DATA_DIR: dataDir,
    HOOKYARD_SECRET_KEY: randomBytes(32).toString('base64'),
    HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    HOOKYARD_URL_POLICY: 'permissive',
    LOG_LEVEL: 'warn',
  };
  for (const name of ['HOOKYARD_WORKER_BATCH_SIZE', 'HOOKYARD_WORKER_MAX_IN_FLIGHT']) if (process.env[name]) shared[name] = process.env[name]!;
  const processes: HookyardProcess[] = [];
  onCleanup(async () => {
    for (const p of processes) await p.stop(15_000);
  });
  const start = async (env: Record<string, string>) => {
    const started = spawnHookyard({ ...shared, ...env }, nodeArgs);
    processes.push(started);
    await started.ready();
    return started;
  };

  const port = await freePort();
  const apiProcess = await start({ HOOKYARD_ROLE: 'api', PORT: String(port) });
  const apiUrl = `http://127.0.0.1:${port}`;
  const admin = gqlClient(apiUrl, ADMIN_TOKEN);
  // One endpoint with the most requests in flight a webhook may have: the drain measures the engine, not the bound.
  await createWebhookSetup(admin, receiver.url, { webhook: { maxInFlight: 100 } });
  const publishBacklog = async () => {
    for (let from = 0; from < DELIVERIES; from += 1000) {
      const events = Array.from({ length: Math.min(1000, DELIVERIES - from) }, (_, i) => ({ type: 'invoice.created', source: '/billing', payload: samplePayload(from + i) }));
      const result = await mutate(admin, `mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename ... on Error { message } } }`, { input: { events } });
      if (result.__typename !== 'PublishEventsPayload') throw new Error(`publishEvents failed: ${result.message}`);
    }
  };

  // 0. With BENCH_WORKERS=2: a backlog drained by two worker processes, first.
  let drainTwoWorkers: number | null = null;
  if (WORKERS === 2) {
    await publishBacklog();
    const workers = [await start({ HOOKYARD_ROLE: 'worker' }), await start({ HOOKYARD_ROLE: 'worker' })];
    drainTwoWorkers = await measureDrain(rows, DELIVERIES, workers);
    for (const w of workers) await w.stop(15_000);
    await rows('truncate attempt, delivery, event cascade');
  }

  // 1. Drain: publish the backlog with no worker running, then start one.
  const publishStarted = performance.now();
  await publishBacklog();
  const publishSeconds = (performance.now() - publishStarted) / 1000;
  if (database.statementStats) await topStatements(database.url);
  const worker = await start({ HOOKYARD_ROLE: 'worker' });
  const pids = { api: apiProcess.pid, worker: worker.pid, receiver: receiver.child.pid!, bench: process.pid };
  const snapshot = () => cpuSnapshot(pids, database.postgresPid);
  const drainCpuFrom = snapshot();
  const sampling = process.env.BENCH_SAMPLE_ACTIVITY === '1';
  const drainSampler = sampling ? sampleActivity(database.url) : null;
  const drainDeadline = Date.now() + 120_000;
  let drainEndedAt = 0;
  for (;;) {
    const [{ n }] = await rows(`select count(*)::int as n from attempt`);
    if (n >= DELIVERIES) {
      drainEndedAt = Date.now();
      break;
    }
    if (Date.now() > drainDeadline || !worker.alive()) throw new Error(`drain stalled at ${n} of ${DELIVERIES} attempts${worker.alive() ? '' : ' (the worker exited)'}\n${worker.stderr()}`);
    await sleep(20);
  }
  const [drain] = await rows(
    `select count(*)::int as attempts, count(*) filter (where succeeded)::int as ok, extract(epoch from min(created_at)) * 1000 as first_ms from attempt`,
  );
  if (drain.attempts !== DELIVERIES || drain.ok !== DELIVERIES) throw new Error(`drain: ${drain.ok} of ${drain.attempts} attempts succeeded, expected ${DELIVERIES}`);
  const drainCpuTo = snapshot();
  const drainCpu = coresUsed(drainCpuFrom, drainCpuTo);
  // CPU time per delivery of the worker and PostgreSQL: unlike deliveries/s, hardly moved by other load on the machine.
  const cpuMsPerDelivery = ['worker', 'postgres'].map((group) => cpuMs(drainCpuFrom, drainCpuTo, group) / DELIVERIES);
  const activityReports = new Map<string, Awaited<ReturnType<ReturnType<typeof sampleActivity>['stop']>>>();
  if (drainSampler) activityReports.set('draining', await drainSampler.stop());
  if (database.statementStats) statementReports.set('draining', await topStatements(database.url));
  const drainSeconds = (drainEndedAt - Number(drain.first_ms)) / 1000;
  const drainPerSecond = DELIVERIES / drainSeconds;

  // 2. Latency at a steady offered rate: one publishEvent call at a time, open loop.
  const api = new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 60_000 });
  onCleanup(() => api.close());
  const publishOne = async (n: number): Promise<{ id: string; calledAt: number }> => {
    const calledAt = Date.now();
    const response = await request(`${apiUrl}/graphql`, {
      method: 'POST',
      dispatcher: api,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        query: `mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename ... on PublishedEvent { event { id } } ... on Error { message } } }`,
        variables: { input: { type: 'invoice.created', source: '/billing', payload: samplePayload(n) } },
      }),
    });
    const result = ((await response.body.json()) as any).data?.publishEvent;
    if (result?.__typename !== 'PublishedEvent') throw new Error(`publishEvent failed: ${JSON.stringify(result)}`);
    return { id: result.event.id, calledAt };
  };
  const latencies: { rate: number; achieved: number; endToEnd: number[]; engine: number[]; cpu: Map<string, number> }[] = [];
  for (const rate of RATES) {
    await sleep(1000);
    const total = rate * RATE_SECONDS;
    const calls: Promise<{ id: string; calledAt: number }>[] = [];
    if (database.statementStats) await topStatements(database.url);
    const cpuFrom = snapshot();
    const sampler = sampling ? sampleActivity(database.url) : null;
    const started = performance.now();
    while (calls.length < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (calls.length < due) calls.push(publishOne(calls.length));
      await sleep(1);
    }
    const published = await Promise.all(calls);
    const achieved = total / ((performance.now() - started) / 1000);
    const cpu = coresUsed(cpuFrom, snapshot());
    if (sampler) activityReports.set(`${rate}/s`, await sampler.stop());
    if (database.statementStats) statementReports.set(`${rate}/s`, await topStatements(database.url));
    const ids = published.map((p) => p.id);
    const deadline = Date.now() + 60_000;
    let first: { id: string; event_ms: number; attempt_ms: number }[] = [];
    while ((first = await firstAttempts(rows, ids)).length < ids.length) {
      if (Date.now() > deadline) throw new Error(`at ${rate}/s only ${first.length} of ${ids.length} events got an attempt`);
      await sleep(50);
    }
    const calledAt = new Map(published.map((p) => [p.id, p.calledAt]));
    latencies.push({
      rate,
      achieved,
      endToEnd: first.map((f) => Number(f.attempt_ms) - calledAt.get(f.id)!),
      engine: first.map((f) => Number(f.attempt_ms) - Number(f.event_ms)),
      cpu,
    });
  }

  // 3. Lease: only workers with the short lease from here on.
  await worker.stop(15_000);
  const lease = await measureLease(admin, start);

  // Stop gracefully, so CPU profiles get written.
  for (const p of processes.splice(0).reverse()) await p.stop(15_000);

  const defaults = loadConfig({});
  const batch = shared.HOOKYARD_WORKER_BATCH_SIZE ?? `${defaults.workerBatchSize} (default)`;
  const concurrency = shared.HOOKYARD_WORKER_MAX_IN_FLIGHT ?? `${defaults.workerMaxInFlight} (default)`;
  console.log(`\nDelivery benchmark: ${os.cpus().length} CPUs, Node ${process.version}, ${database.where}; load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`);
  console.log(`Hookyard: API process + worker process (batch ${batch}, max in flight ${concurrency}); receiver in its own process; body ${ceiling.bodyBytes} bytes\n`);
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const table: string[][] = [['measure', 'value', 'target', 'result']];
  table.push([`ceiling: raw undici POST, ${CEILING_IN_FLIGHT} in flight (median of ${CEILING_RUNS})`, `${Math.round(ceiling.perSecond)} req/s`, `${Math.round(ceiling.min)}-${Math.round(ceiling.max)}`, '']);
  table.push([`publish ${DELIVERIES} events (publishEvents x1000)`, `${Math.round(DELIVERIES / publishSeconds)} events/s`, '', '']);
  table.push([`drain ${DELIVERIES} deliveries (first attempt to all recorded)`, `${Math.round(drainPerSecond)} /s`, `>= ${TARGETS.drainPerSecond}`, verdict(drainPerSecond >= TARGETS.drainPerSecond)]);
  const ratio = drainPerSecond / ceiling.perSecond;
  if (database.postgresPid) table.push(['  CPU per delivery: worker / PostgreSQL', `${cpuMsPerDelivery[0].toFixed(3)} / ${cpuMsPerDelivery[1].toFixed(3)} ms`, '', '']);
  table.push(['drain / ceiling', `${(ratio * 100).toFixed(1)} %`, `>= ${TARGETS.ceilingRatio * 100} %`, verdict(ratio >= TARGETS.ceilingRatio)]);
  if (drainTwoWorkers !== null) table.push([`drain ${DELIVERIES} deliveries with 2 worker processes (beside 1 above)`, `${Math.round(drainTwoWorkers)} /s`, '', '']);
  for (const l of latencies) {
    const target = TARGETS.p99.get(l.rate);
    const engineP99 = quantile(l.engine, 0.99);
    const pair = (values: number[]) => `${Math.round(quantile(values, 0.5))} / ${Math.round(quantile(values, 0.99))} ms`;
    table.push([`@${l.rate}/s: publishEvent calls sustained`, `${Math.round(l.achieved)} /s`, `>= ${Math.round(l.rate * 0.95)} /s`, verdict(l.achieved >= l.rate * 0.95)]);
    table.push([`@${l.rate}/s: event row -> first attempt, p50 / p99`, pair(l.engine), target ? `p99 <= ${target} ms` : '', target ? verdict(engineP99 <= target) : '']);
    table.push([`@${l.rate}/s: publish call -> first attempt, p50 / p99`, pair(l.endToEnd), '', '']);
  }
  table.push([`lease ${LEASE_SECONDS} s: worker killed mid-request -> replacement worker started`, `${lease.replacementSeconds.toFixed(1)} s`, '', '']);
  table.push([`lease ${LEASE_SECONDS} s: worker killed mid-request -> delivery sent again`, `${lease.resentSeconds.toFixed(1)} s`, `<= ${TARGETS.leaseResendSeconds} s`, verdict(lease.resentSeconds <= TARGETS.leaseResendSeconds)]);
  printTable(table);
  console.log(`\nCPU (cores) while draining: ${formatCores(drainCpu)}`);
  for (const l of latencies) console.log(`CPU (cores) at ${l.rate}/s offered: ${formatCores(l.cpu)}`);
  for (const [phase, top] of statementReports) {
    console.log(`\nPostgreSQL time by statement while ${phase} (pg_stat_statements: share of planning + execution time, calls, mean execution, plans and their mean time):`);
    for (const t of top) console.log(`  ${(t.share * 100).toFixed(0).padStart(4)}%  ${String(t.calls).padStart(6)}  ${t.meanMs.toFixed(3).padStart(7)} ms  ${String(t.plans).padStart(6)} x ${t.planMs.toFixed(3).padStart(6)} ms  ${t.query}`);
  }
  for (const [phase, top] of activityReports) {
    console.log(`\nPostgreSQL statements active while ${phase} (backends running it, on average x100; what they waited on):`);
    for (const t of top) console.log(`  ${(t.share * 100).toFixed(0).padStart(4)}%  [${t.waits}]  ${t.query}`);
  }
  if (profileDir) console.log(`\nCPU profiles (.cpuprofile) in ${profileDir}`);
}

/**
 * Starts a worker with the short lease, publishes one event to a receiver in this process
 * that holds the request open, SIGKILLs the worker once the request has arrived, starts
 * another one and waits (at most 60 s) for the same delivery to arrive again.
 */
async function measureLease(admin: GqlClient, start: (env: Record<string, string>) => Promise<HookyardProcess>) {
  const held: http.ServerResponse[] = [];
  const receiver = await startReceiver((_request, res) => void held.push(res));
  onCleanup(async () => {
    for (const res of held) res.destroy();
    await receiver.close();
  });
  const { eventType } = await createWebhookSetup(admin, receiver.url, { eventType: 'lease.probe' });
  const env = { HOOKYARD_ROLE: 'worker', HOOKYARD_DELIVERY_LEASE_SECONDS: String(LEASE_SECONDS) };
  const first = await start(env);
  const result = await mutate(admin, `mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename ... on Error { message } } }`, { input: { type: eventType, payload: samplePayload(0) } });
  if (result.__typename !== 'PublishedEvent') throw new Error(`publishEvent failed: ${result.message}`);
  await receiver.waitFor(1, 30_000);
  first.kill('SIGKILL');
  await first.exited;
  const killedAt = Date.now();
  receiver.respondWith((_request, res) => void res.writeHead(200).end('ok'));
  await start(env);
  const replacementAt = Date.now();
  await receiver.waitFor(2, 60_000);
  const [sent, resent] = receiver.requests;
  if (resent.headers['webhook-id'] !== sent.headers['webhook-id']) throw new Error(`lease: another delivery arrived (${resent.headers['webhook-id']}), not ${sent.headers['webhook-id']} again`);
  return { replacementSeconds: (replacementAt - killedAt) / 1000, resentSeconds: (resent.at - killedAt) / 1000 };
}

/** Deliveries/s from the first attempt's start until `count` attempts are recorded. */
async function measureDrain(rows: <T extends pg.QueryResultRow = any>(text: string, values?: unknown[]) => Promise<T[]>, count: number, workers: HookyardProcess[]): Promise<number> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const [{ n }] = await rows(`select count(*)::int as n from attempt`);
    if (n >= count) break;
    if (Date.now() > deadline || workers.some((w) => !w.alive())) throw new Error(`drain stalled at ${n} of ${count} attempts`);
    await sleep(20);
  }
  const endedAt = Date.now();
  const [{ first_ms }] = await rows(`select extract(epoch from min(created_at)) * 1000 as first_ms from attempt`);
  return count / ((endedAt - Number(first_ms)) / 1000);
}

/** Each event's first attempt (ms since the epoch) and the event row's created_at. */
async function firstAttempts(rows: <T extends pg.QueryResultRow = any>(text: string, values?: unknown[]) => Promise<T[]>, ids: string[]) {
  return rows<{ id: string; event_ms: number; attempt_ms: number }>(
    `select e.id, extract(epoch from e.created_at) * 1000 as event_ms, extract(epoch from min(a.created_at)) * 1000 as attempt_ms
       from event e join delivery d on d.event_id = e.id join attempt a on a.delivery_id = d.id
      where e.id = any($1::text[])
      group by e.id, e.created_at`,
    [ids],
  );
}

if (import.meta.main) await runBench('delivery', main);
