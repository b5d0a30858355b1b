// Bulk-retry benchmark: deliveries queued per second by a bulk retry (retryDeliveries
// asked through GraphQL; the worker's handler queues a manual attempt, a pg-boss job,
// per delivery, 1,000 per transaction), beside two baselines measured in the same run on
// the same rows: the dry run's count through GraphQL, and a plain INSERT … SELECT of as
// many job-like rows into a scratch table (the floor of writing that many rows at all).
//
//   npx node test/bench/bulk-retry.ts          (or npm run bench, which runs every bench)
//
// The API runs as its own process (HOOKYARD_ROLE=api: it works no queue, so the queued
// attempts stay queued and nothing is sent); this process runs the bulk-retry handler on
// its own pg-boss, the only worker of that queue. The rate is total / (finishedAt −
// startedAt) of the bulk retry's row, both stamped by PostgreSQL. BENCH_BULK_DELIVERIES
// (50000) and BENCH_BULK_ROUNDS (2, one bulk retry after the other) resize it.
import { randomBytes } from 'node:crypto';
import { PgBoss } from 'pg-boss';
import pg from 'pg';
import { createWebhookSetup } from '../support/fixtures.ts';
import { gqlClient, mutate } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { spawnHookyard } from '../support/processes.ts';
import { insertBulkDeliveries } from '../support/bulk.ts';
import { benchDatabase, onCleanup, printTable, runBench, sleep } from './support/bench-env.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { createLogger } from '../../infra/logger.ts';
import { QUEUES, type BulkRetryJob } from '../../core/jobs.ts';
import { BULK_RETRY_BATCH } from '../../core/delivery/bulk-retries.ts';
import { createBulkRetryHandler } from '../../worker/bulk-retry/bulk-retry-job.ts';

const DELIVERIES = Number(process.env.BENCH_BULK_DELIVERIES ?? 50_000);
const ROUNDS = Number(process.env.BENCH_BULK_ROUNDS ?? 2);
const ADMIN_TOKEN = `hy_bench_${randomBytes(16).toString('hex')}`;
const RETRY = `mutation($input: RetryDeliveriesInput!) { retryDeliveries(input: $input) { __typename
  ... on RetryDeliveriesPayload { count bulkRetry { id total } } ... on Error { message } } }`;

const perSecond = (rows: number, ms: number) => Math.round(rows / (ms / 1000)).toLocaleString('en');

await runBench('bulk-retry', async () => {
  const { url, where } = await benchDatabase();
  console.log(`bulk-retry bench: ${DELIVERIES.toLocaleString('en')} deliveries on ${where}, batches of ${BULK_RETRY_BATCH.toLocaleString('en')}`);
  const port = await freePort();
  const api = spawnHookyard({ HOOKYARD_ROLE: 'api', DATABASE_URL: url, PORT: String(port), HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN, HOOKYARD_DATA_DIR: `/tmp/hookyard-bench-${port}`, LOG_LEVEL: 'warn', HOOKYARD_URL_POLICY: 'permissive' });
  onCleanup(() => api.stop().then(() => undefined));
  await api.ready();
  const admin = gqlClient(`http://127.0.0.1:${port}`, ADMIN_TOKEN);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  onCleanup(() => pool.end());

  const { webhookId, integratorId } = await createWebhookSetup(admin, 'http://127.0.0.1:9/never', { eventType: 'bulk.bench' });
  const [{ tenant_id: tenantId }] = (await pool.query<{ tenant_id: string }>('select tenant_id from webhook where id = $1', [webhookId])).rows;
  await insertBulkDeliveries(pool, { tenantId, webhooks: [{ id: webhookId, integratorId }], eventTypes: ['bulk.bench'] }, DELIVERIES, new Date(Date.now() - 3_600_000), 1);
  await pool.query('vacuum analyze delivery');
  const filter = { webhookId };

  const boss = new PgBoss({ connectionString: url, schema: BOSS_SCHEMA, supervise: false, schedule: false, migrate: false });
  await boss.start();
  onCleanup(() => boss.stop({ graceful: false }));
  await boss.work<BulkRetryJob>(QUEUES.bulkRetry, { pollingIntervalSeconds: 0.5 }, createBulkRetryHandler({ pool, boss, log: createLogger('warn') }));

  const table: string[][] = [['what', 'rows', 'ms', 'rows/s']];
  for (let round = 1; round <= ROUNDS; round++) {
    // Baseline 1: the dry run, which reads every matching delivery 1,000 at a time.
    const dryStarted = performance.now();
    const dry = await mutate(admin, RETRY, { input: { filter, dryRun: true } });
    const dryMs = performance.now() - dryStarted;
    if (dry.__typename !== 'RetryDeliveriesPayload') throw new Error(`dry run: ${dry.message}`);

    // Baseline 2: writing as many rows, each with a job-sized payload, with one statement.
    await pool.query('drop table if exists bench_scratch');
    await pool.query('create unlogged table bench_scratch (id uuid primary key default gen_random_uuid(), name text not null, data jsonb not null, created_on timestamptz not null default now())');
    const insertStarted = performance.now();
    const inserted = await pool.query(
      `insert into bench_scratch (name, data)
       select 'deliver', jsonb_build_object('v', 2, 'deliveryId', id, 'tenantId', tenant_id, 'attemptCount', attempt_count, 'manual', true)
         from delivery where tenant_id = $1 and webhook_id = $2`,
      [tenantId, webhookId],
    );
    const insertMs = performance.now() - insertStarted;

    // The bulk retry itself.
    const asked = await mutate(admin, RETRY, { input: { filter } });
    if (asked.__typename !== 'RetryDeliveriesPayload' || !asked.bulkRetry) throw new Error(`retryDeliveries: ${asked.message ?? JSON.stringify(asked)}`);
    const deadline = Date.now() + 300_000;
    let row: { state: string; total: number; done: number; failed: number; ms: number };
    for (;;) {
      [row] = (await pool.query(`select state, total, done, failed, extract(epoch from finished_at - started_at) * 1000 as ms from bulk_retry where id = $1`, [asked.bulkRetry.id])).rows;
      if (row.state === 'DONE') break;
      if (row.state !== 'QUEUED' && row.state !== 'RUNNING') throw new Error(`bulk retry ended ${row.state}`);
      if (Date.now() > deadline) throw new Error(`bulk retry stalled at ${row.done} of ${row.total}`);
      await sleep(100);
    }
    if (row.done + row.failed !== DELIVERIES) throw new Error(`bulk retry counted ${row.done + row.failed} of ${DELIVERIES} deliveries`);
    const ms = Number(row.ms);
    table.push([`round ${round}: bulk retry (queued ${row.done.toLocaleString('en')}, failed ${row.failed})`, DELIVERIES.toLocaleString('en'), ms.toFixed(0), perSecond(DELIVERIES, ms)]);
    table.push([`round ${round}: baseline dry run count (GraphQL)`, dry.count.toLocaleString('en'), dryMs.toFixed(0), perSecond(DELIVERIES, dryMs)]);
    table.push([`round ${round}: baseline INSERT … SELECT into a scratch table`, inserted.rowCount!.toLocaleString('en'), insertMs.toFixed(0), perSecond(inserted.rowCount!, insertMs)]);
    console.log(`  round ${round}: bulk retry at ${((DELIVERIES / (ms / 1000)) / (inserted.rowCount! / (insertMs / 1000)) * 100).toFixed(0)} % of the plain INSERT … SELECT's rate`);
  }
  await pool.query('drop table if exists bench_scratch');
  console.log('');
  printTable(table);
});
