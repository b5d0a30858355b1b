// Tracing benchmark: what OpenTelemetry costs the delivery drain. The same backlog is
// drained by a worker with tracing off and by one with tracing on, exporting OTLP/HTTP
// (protobuf, the SDK's defaults otherwise) to a sink on 127.0.0.1 that counts the spans
// and discards them, in the same run, and the drains are compared.
//
//   npx node test/bench/tracing-cost.ts          (or npm run bench, which runs every bench)
//
// Hookyard runs as real processes (`node start.ts`): one API process with tracing on (so
// every delivery carries its publish's traceparent, as in production, whichever worker
// sends it) and, for each drain, a fresh worker process, with or without
// OTEL_EXPORTER_OTLP_ENDPOINT. The receiver and the sink run in processes of their own.
// Drains alternate off, on, on, off (so a drift in the machine's load weighs on both
// alike); each is BENCH_TRACING_DELIVERIES (5000) deliveries, timed from the first
// attempt's start to the moment every attempt row exists. Worker CPU per delivery is
// shown too: unlike deliveries/s, hardly moved by other load on the machine.
// BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each worker process there. Any OTEL_*
// variable set for the bench (OTEL_BSP_SCHEDULE_DELAY, OTEL_TRACES_SAMPLER, ...) reaches the
// traced processes; with OTEL_TRACES_SAMPLER set, a traced drain may export no span.
// Prints a table; exits non-zero only on a broken run, printing MISSED for a missed target.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createWebhookSetup } from '../support/fixtures.ts';
import { gqlClient, mutate } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { spawnHookyard, type HookyardProcess } from '../support/processes.ts';
import { cpuMs, cpuSnapshot } from './support/cpu.ts';
import { benchDatabase, onCleanup, printTable, runBench, sleep, startOtlpSinkProcess, startReceiverProcess, type OtlpSinkCounts } from './support/bench-env.ts';
import { samplePayload } from './support/sample-payload.ts';

const DELIVERIES = Number(process.env.BENCH_TRACING_DELIVERIES ?? 5000);
const ORDER = ['off', 'on', 'on', 'off'] as const;
const TARGET_SLOWDOWN = 0.1;
const ADMIN_TOKEN = `hy_bench_${randomBytes(16).toString('hex')}`;
const WORKER_SERVICE = 'hookyard-worker';

type Tracing = (typeof ORDER)[number];
type Drain = { tracing: Tracing; seconds: number; workerCpuMs: number; postgresCpuMs: number; workerSpans: Record<string, number> };

/** The worker's spans (by name) received between two readings of the sink. */
function workerSpansBetween(before: OtlpSinkCounts, after: OtlpSinkCounts): Record<string, number> {
  const spans: Record<string, number> = {};
  for (const [key, n] of Object.entries(after.spans)) {
    if (!key.startsWith(`${WORKER_SERVICE} `)) continue;
    const added = n - (before.spans[key] ?? 0);
    if (added > 0) spans[key.slice(WORKER_SERVICE.length + 1)] = added;
  }
  return spans;
}

async function main() {
  const loadAtStart = os.loadavg()[0];
  const database = await benchDatabase();
  const receiver = await startReceiverProcess();
  const sink = await startOtlpSinkProcess();
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  db.on('error', (error) => console.error(`bench database connection: ${error.message}`));
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
    LOG_LEVEL: 'warn',
  };
  const passed = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_')) as [string, string][]);
  const otel = (service: string) => ({ ...passed, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_SERVICE_NAME: service });
  const processes: HookyardProcess[] = [];
  onCleanup(async () => {
    for (const p of processes) await p.stop(15_000);
  });
  const profileDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : null;
  const start = async (env: Record<string, string>) => {
    const profiled = profileDir && env.HOOKYARD_ROLE === 'worker';
    const started = spawnHookyard({ ...shared, ...env }, profiled ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `worker-tracing-${env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'on' : 'off'}-${Date.now()}.cpuprofile`] : []);
    processes.push(started);
    await started.ready();
    return started;
  };

  const port = await freePort();
  const api = await start({ HOOKYARD_ROLE: 'api', PORT: String(port), ...otel('hookyard-api') });
  const admin = gqlClient(`http://127.0.0.1:${port}`, ADMIN_TOKEN);
  // The most requests in flight a webhook may have: the drain measures the engine, not the bound.
  await createWebhookSetup(admin, receiver.url, { webhook: { maxInFlight: 100 } });
  const publishBacklog = async () => {
    for (let from = 0; from < DELIVERIES; from += 1000) {
      const events = Array.from({ length: Math.min(1000, DELIVERIES - from) }, (_, i) => ({ type: 'invoice.created', source: '/billing', payload: samplePayload(from + i) }));
      const result = await mutate(admin, `mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename ... on Error { message } } }`, { input: { events } });
      if (result.__typename !== 'PublishEventsPayload') throw new Error(`publishEvents failed: ${result.message}`);
    }
  };
  const attempts = async () => (await rows<{ n: number }>(`select count(*)::int as n from attempt`))[0].n;

  const drains: Drain[] = [];
  for (const tracing of ORDER) {
    await rows('truncate attempt, delivery, event cascade');
    await publishBacklog();
    const [{ traced }] = await rows<{ traced: number }>(`select count(*) filter (where trace_parent is not null)::int as traced from delivery`);
    if (traced !== DELIVERIES) throw new Error(`${traced} of ${DELIVERIES} deliveries carry a traceparent: the API's tracing is not on`);
    const sinkBefore = await sink.counts();
    const worker = await start({ HOOKYARD_ROLE: 'worker', ...(tracing === 'on' ? otel(WORKER_SERVICE) : {}) });
    const pids = { worker: worker.pid };
    // CPU from the first attempt on: the worker's start-up (module loading) is no delivery's cost.
    const deadline = Date.now() + 120_000;
    while ((await attempts()) === 0) {
      if (Date.now() > deadline || !worker.alive()) throw new Error(`no attempt within 120 s (${tracing})\n${worker.stderr()}`);
      await sleep(5);
    }
    const cpuFrom = cpuSnapshot(pids, database.postgresPid);
    let n = 0;
    while ((n = await attempts()) < DELIVERIES) {
      if (Date.now() > deadline || !worker.alive()) throw new Error(`drain (${tracing}) stalled at ${n} of ${DELIVERIES} attempts\n${worker.stderr()}`);
      await sleep(20);
    }
    const endedAt = Date.now();
    const cpuTo = cpuSnapshot(pids, database.postgresPid);
    const [result] = await rows(`select count(*) filter (where succeeded)::int as ok, extract(epoch from min(created_at)) * 1000 as first_ms from attempt`);
    if (result.ok !== DELIVERIES) throw new Error(`drain (${tracing}): ${result.ok} of ${DELIVERIES} attempts succeeded`);
    // A graceful stop flushes the worker's last spans to the sink.
    await worker.stop(15_000);
    processes.splice(processes.indexOf(worker), 1);
    const sinkAfter = await sink.counts();
    if (sinkAfter.spans['(unreadable exports)']) throw new Error(`the sink could not read ${sinkAfter.spans['(unreadable exports)']} exports`);
    const workerSpans = workerSpansBetween(sinkBefore, sinkAfter);
    const spanCount = Object.values(workerSpans).reduce((a, b) => a + b, 0);
    if (tracing === 'off' && spanCount > 0) throw new Error(`the worker with tracing off exported ${spanCount} spans`);
    if (tracing === 'on' && !passed.OTEL_TRACES_SAMPLER && spanCount < DELIVERIES) throw new Error(`the worker with tracing on exported only ${spanCount} spans for ${DELIVERIES} deliveries`);
    drains.push({
      tracing,
      seconds: (endedAt - Number(result.first_ms)) / 1000,
      workerCpuMs: cpuMs(cpuFrom, cpuTo, 'worker'),
      postgresCpuMs: database.postgresPid ? cpuMs(cpuFrom, cpuTo, 'postgres') : Number.NaN,
      workerSpans,
    });
  }
  await api.stop(15_000);
  processes.splice(processes.indexOf(api), 1);

  const of = (tracing: Tracing) => drains.filter((d) => d.tracing === tracing);
  // Every drain of a mode together: all its deliveries over all its seconds.
  const rate = (tracing: Tracing) => (of(tracing).length * DELIVERIES) / of(tracing).reduce((s, d) => s + d.seconds, 0);
  const cpuPerDelivery = (tracing: Tracing, key: 'workerCpuMs' | 'postgresCpuMs') => of(tracing).reduce((s, d) => s + d[key], 0) / (of(tracing).length * DELIVERIES);
  const slowdown = 1 - rate('on') / rate('off');
  const runs = (tracing: Tracing) => of(tracing).map((d) => Math.round(DELIVERIES / d.seconds)).join(', ');

  console.log(`\nTracing benchmark: ${os.cpus().length} CPUs, Node ${process.version}, ${database.where}; load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`);
  console.log(`API process (tracing on) + one worker process per drain, tracing ${ORDER.join(', ')}; OTLP/HTTP protobuf to a discarding sink on 127.0.0.1\n`);
  const table: string[][] = [['measure', 'value', 'runs', 'target', 'result']];
  table.push([`drain ${DELIVERIES} deliveries, tracing off`, `${Math.round(rate('off'))} /s`, runs('off'), '', '']);
  table.push([`drain ${DELIVERIES} deliveries, tracing on`, `${Math.round(rate('on'))} /s`, runs('on'), '', '']);
  table.push(['tracing on: slower by', `${(slowdown * 100).toFixed(1)} %`, '', `<= ${TARGET_SLOWDOWN * 100} %`, slowdown <= TARGET_SLOWDOWN ? 'ok' : 'MISSED']);
  table.push(['worker CPU per delivery, off / on', `${cpuPerDelivery('off', 'workerCpuMs').toFixed(3)} / ${cpuPerDelivery('on', 'workerCpuMs').toFixed(3)} ms`, '', '', '']);
  if (database.postgresPid) table.push(['PostgreSQL CPU per delivery, off / on', `${cpuPerDelivery('off', 'postgresCpuMs').toFixed(3)} / ${cpuPerDelivery('on', 'postgresCpuMs').toFixed(3)} ms`, '', '', '']);
  printTable(table);
  const spans = new Map<string, number>();
  for (const d of of('on')) for (const [name, n] of Object.entries(d.workerSpans)) spans.set(name, (spans.get(name) ?? 0) + n);
  const onDeliveries = of('on').length * DELIVERIES;
  console.log(`\nWorker spans exported per delivery, tracing on (${onDeliveries} deliveries):`);
  for (const [name, n] of [...spans].sort((a, b) => b[1] - a[1])) console.log(`  ${(n / onDeliveries).toFixed(3).padStart(7)}  ${name}`);
  const sent = await sink.counts();
  console.log(`Sink: ${sent.exports} exports, ${(sent.bytes / 1024 / 1024).toFixed(1)} MiB (API and worker)`);
  if (profileDir) console.log(`\nCPU profiles (.cpuprofile) of the workers in ${profileDir}`);
}

if (import.meta.main) await runBench('tracing-cost', main);
