// Publishing with payload filters: the same publish to 100 webhooks that each carry a filter
// of five conditions (all of which the event matches, so both sides make 100 deliveries),
// beside 100 webhooks without filters, in the same run. Target: at most 25 % slower.
//
//   npx node test/bench/publish-filters.ts          (or npm run bench, which runs every bench)
//
// One API process (HOOKYARD_ROLE=api, `node start.ts`), no worker: the deliveries and their
// jobs wait in PostgreSQL, so only publishing is measured. BENCH_FILTER_CALLS (400) calls of
// publishEvent per side and round, BENCH_FILTER_CLIENTS (8) at a time, in BENCH_FILTER_ROUNDS
// (3) rounds alternating the sides so drift on a shared machine falls on both.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Agent, request } from 'undici';
import { gqlClient, mutate } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { spawnHookyard } from '../support/processes.ts';
import { benchDatabase, onCleanup, printTable, quantile, runBench } from './support/bench-env.ts';
import { samplePayload } from './support/sample-payload.ts';

const CALLS = Number(process.env.BENCH_FILTER_CALLS ?? 400);
const CLIENTS = Number(process.env.BENCH_FILTER_CLIENTS ?? 8);
const ROUNDS = Number(process.env.BENCH_FILTER_ROUNDS ?? 3);
const WEBHOOKS = 100;
const TARGET_SLOWDOWN = 0.25;
const ADMIN_TOKEN = `hy_bench_${randomBytes(16).toString('hex')}`;

const FILTER = {
  'data.amount': { $gte: 1000 },
  'data.currency': { $in: ['EUR', 'USD', 'GBP'] },
  'data.customer.email': { $contains: '@' },
  'data.lines.sku': { $startsWith: 'plan-' },
  'data.status': { $neq: 'void' },
};

async function main() {
  const loadAtStart = os.loadavg()[0];
  const database = await benchDatabase();
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  onCleanup(() => db.end());
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-bench-data-'));
  onCleanup(() => fs.rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const api = spawnHookyard({
    DATABASE_URL: database.url,
    HOOKYARD_DATA_DIR: dataDir,
    HOOKYARD_SECRET_KEY: randomBytes(32).toString('base64'),
    HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    HOOKYARD_URL_POLICY: 'permissive',
    HOOKYARD_ROLE: 'api',
    PORT: String(port),
    LOG_LEVEL: 'warn',
  });
  onCleanup(async () => {
    await api.stop(15_000);
  });
  await api.ready();
  const apiUrl = `http://127.0.0.1:${port}`;
  const admin = gqlClient(apiUrl, ADMIN_TOKEN);

  await db.query('update tenant set webhook_limit = 1000');
  const integrator = await mutate(admin, `mutation { createIntegrator(input: { name: "Bench" }) { ... on IntegratorPayload { integrator { id } } } }`);
  const sides = [
    { name: 'without filters', type: 'plain.created', filter: null as unknown },
    { name: 'with a 5-condition filter each', type: 'filtered.created', filter: FILTER },
  ];
  for (const side of sides) {
    await mutate(admin, `mutation($n: String!) { registerEventType(input: { name: $n }) { __typename } }`, { n: side.type });
    for (let i = 0; i < WEBHOOKS; i++) {
      const created = await mutate(admin, `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on Error { message } } }`, {
        input: { integratorId: integrator.integrator.id, name: `${side.type} ${i}`, url: 'http://127.0.0.1:9/never-sent', eventTypes: [side.type], ...(side.filter ? { filter: side.filter } : {}) },
      });
      if (created.__typename !== 'WebhookWithSecretPayload') throw new Error(`createWebhook failed: ${created.message}`);
    }
  }

  const agent = new Agent({ connections: CLIENTS * 2 });
  onCleanup(() => agent.close());
  let n = 0;
  const publishOne = async (type: string): Promise<number> => {
    const started = performance.now();
    const response = await request(`${apiUrl}/graphql`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        query: `mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename ... on PublishedEvent { deliveryCount } ... on Error { message } } }`,
        variables: { input: { type, payload: samplePayload(n++) } },
      }),
    });
    const result = ((await response.body.json()) as any).data?.publishEvent;
    if (result?.__typename !== 'PublishedEvent' || result.deliveryCount !== WEBHOOKS) throw new Error(`publishEvent failed: ${JSON.stringify(result)}`);
    return performance.now() - started;
  };
  const runSide = async (type: string) => {
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < CALLS) {
          next++;
          latencies.push(await publishOne(type));
        }
      }),
    );
    return { seconds: (performance.now() - started) / 1000, latencies };
  };

  // Warm-up: plans, JIT and pools on both sides.
  for (const side of sides) for (let i = 0; i < 20; i++) await publishOne(side.type);
  const totals = sides.map(() => ({ seconds: 0, latencies: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const { seconds, latencies } = await runSide(sides[i].type);
      totals[i].seconds += seconds;
      totals[i].latencies.push(...latencies);
    }
  }

  const rates = totals.map((t) => t.latencies.length / t.seconds);
  const slowdown = 1 - rates[1] / rates[0];
  console.log(`\nPublish with filters: ${os.cpus().length} CPUs, Node ${process.version}, ${database.where}; load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`);
  console.log(`API process only; ${WEBHOOKS} webhooks per side, ${CALLS} publishEvent calls per side and round, ${CLIENTS} clients, ${ROUNDS} rounds alternating\n`);
  const table: string[][] = [['measure', 'value', 'target', 'result']];
  sides.forEach((side, i) => {
    const l = totals[i].latencies;
    table.push([`publishEvent to ${WEBHOOKS} webhooks ${side.name}`, `${Math.round(rates[i])} calls/s (${Math.round(rates[i] * WEBHOOKS)} deliveries/s)`, '', '']);
    table.push([`  latency p50 / p99`, `${quantile(l, 0.5).toFixed(1)} / ${quantile(l, 0.99).toFixed(1)} ms`, '', '']);
  });
  table.push(['slowdown with filters', `${(slowdown * 100).toFixed(1)} %`, `<= ${TARGET_SLOWDOWN * 100} %`, slowdown <= TARGET_SLOWDOWN ? 'ok' : 'MISSED']);
  printTable(table);
}

if (import.meta.main) await runBench('publish-filters', main);
