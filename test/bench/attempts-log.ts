// Attempts-log benchmark: listing 50 of 1,000,000 attempts through GraphQL over HTTP with
// each filter alone (time range, webhook, integrator, delivery, event type, trigger,
// succeeded, HTTP status exact and class, error kind), newest and oldest first, and page
// 21 by cursor, against a 50 ms p99 target; the plan of each (a Seq Scan of attempt fails
// the run). The API runs as its own process; this process seeds with SQL.
//
//   npx node test/bench/attempts-log.ts          (or npm run bench, which runs every bench)
//
// BENCH_ATTEMPT_ROWS (1000000, five attempts per delivery) and BENCH_ATTEMPT_RUNS (40 per
// case) resize it; BENCH_ATTEMPT_CASES (a regular expression) picks cases by name.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { gqlClient, mutate, type GqlClient } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { spawnHookyard } from '../support/processes.ts';
import { insertBulkAttempts, insertBulkDeliveries } from '../support/bulk.ts';
import { benchDatabase, onCleanup, printTable, quantile, runBench } from './support/bench-env.ts';
import { checkAttemptFilter } from '../../core/delivery-log/attempt-log-input.ts';
import { attemptPage } from '../../core/sql/delivery-log.ts';
import { attemptFilterInput } from '../../schema/graphql/types/AttemptLog.ts';

const ROWS = Number(process.env.BENCH_ATTEMPT_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_ATTEMPT_RUNS ?? 40);
const CASES = new RegExp(process.env.BENCH_ATTEMPT_CASES ?? '');
const PER_DELIVERY = 5;
const TARGET_MS = 50;
const ADMIN_TOKEN = `hy_bench_${randomBytes(16).toString('hex')}`;

const LIST = `query ($filter: AttemptFilter, $order: AttemptOrder, $first: Int, $after: String) {
  attempts(first: $first, after: $after, filter: $filter, order: $order) {
    edges { cursor node { id deliveryId attemptNumber trigger succeeded durationMs response { status } errorKind } }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function seedCatalog(admin: GqlClient) {
  const eventTypes: string[] = [];
  for (const resource of ['invoice', 'order', 'customer', 'payment', 'refund']) {
    for (const action of ['created', 'updated', 'paid', 'failed']) {
      const name = `${resource}.${action}`;
      await mutate(admin, 'mutation ($input: RegisterEventTypeInput!) { registerEventType(input: $input) { __typename } }', { input: { name } });
      eventTypes.push(name);
    }
  }
  const integrators: { id: string }[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await mutate(admin, 'mutation ($input: CreateIntegratorInput!) { createIntegrator(input: $input) { ... on IntegratorPayload { integrator { id } } } }', { input: { name: `Integrator ${i}` } });
    integrators.push(r.integrator);
  }
  const webhooks: { id: string; integratorId: string }[] = [];
  for (let i = 0; i < 60; i++) {
    const integrator = integrators[i % integrators.length];
    const r = await mutate(admin, 'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { ... on WebhookWithSecretPayload { webhook { id } } ... on Error { message } } }', {
      input: { integratorId: integrator.id, name: `hook ${i}`, url: `https://hooks-${i}.example/in`, eventTypes: ['*'] },
    });
    if (!r.webhook) throw new Error(`createWebhook: ${JSON.stringify(r)}`);
    webhooks.push({ id: r.webhook.id, integratorId: integrator.id });
  }
  return { eventTypes, integrators, webhooks };
}

/** Seeds with the attempt, delivery and event indexes dropped and rebuilt after (read back from pg_indexes). */
async function seed(url: string, tenantId: string, catalog: Awaited<ReturnType<typeof seedCatalog>>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      `select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename in ('attempt', 'delivery', 'event') and indexname not like '%_pkey'`,
    );
    for (const index of indexes) await client.query(`drop index ${index.indexname}`);
    const started = Date.now();
    const deliveries = Math.ceil(ROWS / PER_DELIVERY);
    // Seven days of log, newest now.
    const step = Math.max(1, Math.floor((7 * 86_400_000) / deliveries));
    const start = new Date(Date.now() - deliveries * step);
    for (let done = 0; done < deliveries; done += 100_000) {
      const n = Math.min(100_000, deliveries - done);
      await insertBulkDeliveries(client, { tenantId, webhooks: catalog.webhooks, eventTypes: catalog.eventTypes }, n, new Date(start.getTime() + done * step), step);
    }
    await insertBulkAttempts(client, tenantId, PER_DELIVERY);
    console.log(`  seeded ${deliveries.toLocaleString('en')} deliveries with ${PER_DELIVERY} attempts each in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await client.query(`set maintenance_work_mem = '512MB'`);
    for (const index of indexes) await client.query(index.indexdef);
    for (const table of ['attempt', 'delivery', 'event']) await client.query(`vacuum analyze ${table}`);
    await client.query('checkpoint').catch(() => undefined);
  } finally {
    await client.end();
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(node);
  for (const child of node.Plans ?? []) planNodes(child, out);
  return out;
}

/** The plan of the page statement the resolver runs for these variables. */
async function explain(pool: pg.Pool, tenantId: string, variables: Record<string, unknown>): Promise<{ summary: string; seqScan: boolean }> {
  const raw = (variables.filter ?? {}) as Record<string, unknown>;
  const filter = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, /(From|To)$/.test(k) ? new Date(v as string) : v]));
  const checked = checkAttemptFilter(attemptFilterInput(filter as never, variables.order as string | undefined));
  const statement = attemptPage({ tenantId, filter: checked, backward: false, cursor: null, limit: 51 });
  const { rows } = await pool.query({ text: `explain (format json) ${statement.text}`, values: statement.values });
  const nodes = planNodes((rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan);
  const seqScan = nodes.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'attempt');
  const scans = nodes.filter((n) => /Scan/.test(n['Node Type'])).map((n) => `${n['Node Type']}${n['Scan Direction'] === 'Backward' ? ' Backward' : ''}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`);
  const top = nodes[0]['Node Type'] === 'Limit' ? nodes[1] : nodes[0];
  return { summary: `${top['Node Type']}: ${[...new Set(scans)].join(' + ')}`, seqScan };
}

await runBench('attempts-log', async () => {
  const { url, where } = await benchDatabase();
  console.log(`attempts-log bench: ${ROWS.toLocaleString('en')} attempts on ${where}`);
  const port = await freePort();
  const api = spawnHookyard({ HOOKYARD_ROLE: 'api', DATABASE_URL: url, PORT: String(port), HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN, HOOKYARD_DATA_DIR: `/tmp/hookyard-bench-${port}`, LOG_LEVEL: 'warn', HOOKYARD_URL_POLICY: 'permissive' });
  onCleanup(() => api.stop().then(() => undefined));
  await api.ready();
  const admin = gqlClient(`http://127.0.0.1:${port}`, ADMIN_TOKEN);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  onCleanup(() => pool.end());
  const [{ id: tenantId }] = (await pool.query<{ id: string }>(`select id from tenant order by created_at limit 1`)).rows;
  const catalog = await seedCatalog(admin);
  await seed(url, tenantId, catalog);

  const now = Date.now();
  const day = 86_400_000;
  const [{ delivery_id: deliveryId }] = (await pool.query<{ delivery_id: string }>(`select delivery_id from attempt where tenant_id = $1 order by created_at desc offset 5000 limit 1`, [tenantId])).rows;
  const filters: [string, Record<string, unknown>][] = [
    ['no filter', {}],
    ['createdFrom/createdTo (one day)', { createdFrom: new Date(now - 3 * day).toISOString(), createdTo: new Date(now - 2 * day).toISOString() }],
    ['webhookId', { webhookId: catalog.webhooks[7].id }],
    ['integratorId', { integratorId: catalog.integrators[3].id }],
    ['deliveryId', { deliveryId }],
    ['eventType', { eventType: 'refund.failed' }],
    ['trigger MANUAL (10 %)', { trigger: 'MANUAL' }],
    ['trigger SCHEDULED', { trigger: 'SCHEDULED' }],
    ['succeeded false', { succeeded: false }],
    ['succeeded true', { succeeded: true }],
    ['httpStatus 503', { httpStatus: '503' }],
    ['httpStatus 4xx', { httpStatus: '4xx' }],
    ['httpStatus 5xx', { httpStatus: '5xx' }],
    ['errorKind TIMEOUT (2 %)', { errorKind: 'TIMEOUT' }],
  ];
  const cases: { name: string; variables: Record<string, unknown> }[] = [];
  for (const [name, filter] of filters) {
    for (const order of ['NEWEST_FIRST', 'OLDEST_FIRST']) cases.push({ name: `${name}, ${order.toLowerCase().replace('_', ' ')}`, variables: { first: 50, filter, order } });
  }
  for (const [name, filter] of [filters[0], filters[8], filters[12]]) {
    let after: string | null = null;
    for (let i = 0; i < 20; i++) after = (await admin(LIST, { first: 50, after, filter })).data.attempts.pageInfo.endCursor;
    cases.push({ name: `page 21 (after cursor), ${name}`, variables: { first: 50, after, filter } });
  }
  const chosen = cases.filter((c) => CASES.test(c.name));
  for (let round = 0; round < 3; round++) for (const c of chosen) await admin(LIST, c.variables);

  console.log(`\nlisting 50 attempts through GraphQL over HTTP, ${RUNS} runs per case (target p99 ≤ ${TARGET_MS} ms):\n`);
  const table: string[][] = [['case', 'p50 ms', 'p99 ms', 'target', 'plan']];
  const seqScans: string[] = [];
  for (const c of chosen) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const r = await admin(LIST, c.variables);
      times.push(performance.now() - started);
      if (r.errors) throw new Error(`${c.name}: ${JSON.stringify(r.errors)}`);
    }
    const plan = await explain(pool, tenantId, c.variables);
    if (plan.seqScan) seqScans.push(c.name);
    const p99 = quantile(times, 0.99);
    table.push([c.name, quantile(times, 0.5).toFixed(1), p99.toFixed(1), plan.seqScan ? 'SEQ SCAN' : p99 <= TARGET_MS ? 'ok' : 'MISSED', plan.summary]);
  }
  printTable(table);
  if (seqScans.length) throw new Error(`Seq Scan of attempt in: ${seqScans.join(', ')}`);
});
