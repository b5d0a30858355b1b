// Inbound benchmark: how many calls an inbound URL accepts a second (each logged and
// queued durably, with its job, before the 200) beside a bare node:http server answering
// 200 in the same run; the accept latency at a steady offered rate; and the time from
// the accept to the outbound delivery's first attempt.
//
//   npx node test/bench/inbound.ts          (or npm run bench, which runs every bench)
//
// Hookyard runs as real processes (`node start.ts`): one API process and one worker
// process; the bare server (also the webhook's receiver) runs in a third. Bodies are
// 1 KiB of JSON. BENCH_INBOUND_SECONDS (2 per ceiling run), BENCH_INBOUND_RATES
// (500,100) and BENCH_RATE_SECONDS (10) resize the run; BENCH_CPU_PROF=<dir> writes V8 CPU
// profiles of the API and worker processes there; BENCH_PG_STATS=1 prints the statements
// PostgreSQL spent its time on while accepting, BENCH_SAMPLE_ACTIVITY=1 what its backends waited on. The accept to first attempt:
// inbound_request.received_at (when the API began reading the call) to the first
// attempt's created_at (when the worker began sending it), both from the database.
// Prints a table; exits non-zero only on a broken run, printing MISSED for a missed target.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createWebhookSetup } from '../support/fixtures.ts';
import { gqlClient, mutate } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { spawnHookyard, type HookyardProcess } from '../support/processes.ts';
import { benchDatabase, onCleanup, printTable, quantile, runBench, sampleActivity, sleep, startReceiverProcess, topStatements } from './support/bench-env.ts';

const IN_FLIGHT = 64;
const SECONDS = Number(process.env.BENCH_INBOUND_SECONDS ?? 2);
const RUNS = 3;
const RATES = (process.env.BENCH_INBOUND_RATES ?? '500,100').split(',').filter(Boolean).map(Number);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const TARGETS = { ceilingRatio: 0.1, acceptToAttemptP99At100: 50 };
const ADMIN_TOKEN = `hy_bench_${randomBytes(16).toString('hex')}`;

/** A 1 KiB JSON order, as a shop would post it. */
function body(n: number): string {
  const base = { id: `ord_${String(n).padStart(8, '0')}`, customer: { email: 'buyer@example.com', name: 'Ada Lovelace' }, currency: 'EUR', lines: [{ sku: 'plan-pro', qty: 1, amount: 99_900 }], note: '' };
  const text = JSON.stringify(base);
  return JSON.stringify({ ...base, note: 'x'.repeat(1024 - text.length) });
}

/** Median requests/s of `RUNS` runs of `SECONDS` with `IN_FLIGHT` POSTs in flight, after a warm-up second. */
async function throughput(url: string): Promise<{ perSecond: number; min: number; max: number }> {
  const dispatcher = new Agent({ connections: IN_FLIGHT * 2, pipelining: 1, keepAliveTimeout: 60_000 });
  let done = 0;
  let failures = 0;
  let stopAt = 0;
  const payload = body(1);
  const loop = async () => {
    while (performance.now() < stopAt) {
      const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, dispatcher });
      await response.body.text();
      if (response.statusCode === 200) done++;
      else failures++;
    }
  };
  stopAt = performance.now() + 1000;
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    done = 0;
    const started = performance.now();
    stopAt = started + SECONDS * 1000;
    await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
    runs.push(done / ((performance.now() - started) / 1000));
  }
  await dispatcher.close();
  if (failures) throw new Error(`${failures} requests to ${url} did not get 200`);
  return { perSecond: quantile(runs, 0.5), min: Math.min(...runs), max: Math.max(...runs) };
}

async function main() {
  const loadAtStart = os.loadavg()[0];
  const database = await benchDatabase({ statementStats: process.env.BENCH_PG_STATS === '1' });
  const receiver = await startReceiverProcess();
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  onCleanup(() => db.end());
  const rows = async <T extends pg.QueryResultRow = any>(text: string, values?: unknown[]) => (await db.query<T>(text, values)).rows;

  const bare = await throughput(receiver.url);

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
  const processes: HookyardProcess[] = [];
  onCleanup(async () => {
    for (const p of processes) await p.stop(15_000);
  });
  const profileDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : null;
  const start = async (env: Record<string, string>) => {
    const started = spawnHookyard({ ...shared, ...env }, profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []);
    processes.push(started);
    await started.ready();
    return started;
  };
  const port = await freePort();
  await start({ HOOKYARD_ROLE: 'api', PORT: String(port) });
  const admin = gqlClient(`http://127.0.0.1:${port}`, ADMIN_TOKEN);
  await createWebhookSetup(admin, receiver.url, { eventType: 'order.received' });
  const created = await mutate(
    admin,
    `mutation { createInboundHook(input: { name: "Bench shop", eventType: "order.received", noRateLimit: true, queueLimit: 1000000 }) { __typename ... on InboundHookPayload { inboundHook { id url } } ... on Error { message } } }`,
  );
  if (created.__typename !== 'InboundHookPayload') throw new Error(`createInboundHook failed: ${created.message}`);
  const hook = created.inboundHook as { id: string; url: string };

  // 1. Accepts/s with no worker running: the edge alone (log + queue + job, durably).
  if (database.statementStats) await topStatements(database.url);
  const sampler = process.env.BENCH_SAMPLE_ACTIVITY === '1' ? sampleActivity(database.url) : null;
  const accepted = await throughput(hook.url);
  const activity = sampler ? await sampler.stop() : [];
  const acceptStatements = database.statementStats ? await topStatements(database.url) : [];
  const [{ n: queued }] = await rows(`select count(*)::int as n from inbound_request where state = 'QUEUED'`);

  // 2. With a worker processing (and delivering): latency at steady offered rates.
  await start({ HOOKYARD_ROLE: 'worker' });
  const drainDeadline = Date.now() + 300_000;
  while ((await rows(`select count(*)::int as n from inbound_request where state = 'QUEUED'`))[0].n > 0) {
    if (Date.now() > drainDeadline) throw new Error('the backlog of accepted requests was not processed within 300 s');
    await sleep(200);
  }
  const dispatcher = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
  onCleanup(() => dispatcher.close());
  const results: { rate: number; achieved: number; accept: number[]; toAttempt: number[] }[] = [];
  for (const rate of RATES) {
    await sleep(1000);
    const total = rate * RATE_SECONDS;
    const since = new Date();
    const calls: Promise<number>[] = [];
    const started = performance.now();
    while (calls.length < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (calls.length < due) {
        const n = calls.length;
        calls.push(
          (async () => {
            const t0 = performance.now();
            const response = await request(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(n), dispatcher });
            await response.body.text();
            if (response.statusCode !== 200) throw new Error(`an inbound call got ${response.statusCode}`);
            return performance.now() - t0;
          })(),
        );
      }
      await sleep(1);
    }
    const accept = await Promise.all(calls);
    const achieved = total / ((performance.now() - started) / 1000);
    const deadline = Date.now() + 120_000;
    let firsts: { ms: number }[] = [];
    for (;;) {
      firsts = await rows<{ ms: number }>(
        `select extract(epoch from (min(a.created_at) - r.received_at)) * 1000 as ms
           from inbound_request r join delivery d on d.event_id = r.event_id join attempt a on a.delivery_id = d.id
          where r.hook_id = $1 and r.received_at >= $2 group by r.id, r.received_at`,
        [hook.id, since],
      );
      if (firsts.length >= total) break;
      if (Date.now() > deadline) throw new Error(`at ${rate}/s only ${firsts.length} of ${total} inbound calls reached a first attempt`);
      await sleep(100);
    }
    results.push({ rate, achieved, accept, toAttempt: firsts.map((f) => Number(f.ms)) });
  }

  for (const p of processes.splice(0).reverse()) await p.stop(15_000);
  console.log(`\nInbound benchmark: ${os.cpus().length} CPUs, Node ${process.version}, ${database.where}; load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`);
  console.log(`Hookyard: API process + worker process; bare node:http server in its own process; JSON bodies of ${Buffer.byteLength(body(1))} bytes, ${IN_FLIGHT} in flight\n`);
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const pair = (values: number[]) => `${quantile(values, 0.5).toFixed(1)} / ${quantile(values, 0.99).toFixed(1)} ms`;
  const ratio = accepted.perSecond / bare.perSecond;
  const table: string[][] = [['measure', 'value', 'target', 'result']];
  table.push([`bare node:http answering 200, ${IN_FLIGHT} in flight (median of ${RUNS})`, `${Math.round(bare.perSecond)} req/s`, `${Math.round(bare.min)}-${Math.round(bare.max)}`, '']);
  table.push([`/in/<token> accepted (logged + queued), ${IN_FLIGHT} in flight (median of ${RUNS})`, `${Math.round(accepted.perSecond)} req/s`, `${Math.round(accepted.min)}-${Math.round(accepted.max)}`, '']);
  table.push(['accepted / bare', `${(ratio * 100).toFixed(1)} %`, `>= ${TARGETS.ceilingRatio * 100} %`, verdict(ratio >= TARGETS.ceilingRatio)]);
  table.push(['  items queued by that run (no worker)', String(queued), '', '']);
  for (const r of results) {
    table.push([`@${r.rate}/s offered: calls sustained`, `${Math.round(r.achieved)} /s`, `>= ${Math.round(r.rate * 0.95)} /s`, verdict(r.achieved >= r.rate * 0.95)]);
    table.push([`@${r.rate}/s: accept latency (call -> 200), p50 / p99`, pair(r.accept), '', '']);
    const target = r.rate === 100 ? TARGETS.acceptToAttemptP99At100 : null;
    table.push([`@${r.rate}/s: accept -> outbound first attempt, p50 / p99`, pair(r.toAttempt), target ? `p99 <= ${target} ms` : '', target ? verdict(quantile(r.toAttempt, 0.99) <= target) : '']);
  }
  printTable(table);
  if (activity.length) {
    console.log('\nPostgreSQL statements active while accepting (backends running it, on average x100; what they waited on):');
    for (const t of activity) console.log(`  ${(t.share * 100).toFixed(0).padStart(4)}%  [${t.waits}]  ${t.query.slice(0, 120)}`);
  }
  if (acceptStatements.length) {
    console.log('\nPostgreSQL time by statement while accepting (share, calls, mean ms):');
    for (const t of acceptStatements) console.log(`  ${(t.share * 100).toFixed(0).padStart(4)}%  ${String(t.calls).padStart(6)}  ${t.meanMs.toFixed(3).padStart(7)} ms  ${t.query.slice(0, 150)}`);
  }
}

if (import.meta.main) await runBench('inbound', main);
