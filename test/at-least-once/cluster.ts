// A small Hookyard cluster of real processes for the at-least-once tests: an API
// process and any number of worker processes on one fresh test database, sharing a
// secret key, and a receiver on 127.0.0.1 in the test process.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase } from '../support/database.ts';
import { gqlClient, mutate, type GqlClient } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { startReceiver, type Receiver, type Responder } from '../support/receiver.ts';
import { createWebhookSetup } from '../support/fixtures.ts';
import { startHookyardProcess, type HookyardProcess } from '../support/processes.ts';

export const ADMIN_TOKEN = `hy_at_least_once_${randomBytes(16).toString('hex')}`;

export interface Cluster {
  databaseUrl: string;
  api: HookyardProcess;
  admin: GqlClient;
  receiver: Receiver;
  webhookId: string;
  /** Starts a worker process (HOOKYARD_ROLE=worker) with the cluster's settings plus `env`. */
  startWorker(env?: Record<string, string>): Promise<HookyardProcess>;
  /** Starts another process with the cluster's settings plus `env` (which names its role). */
  startProcess(env: Record<string, string>, nodeArgs?: string[]): Promise<HookyardProcess>;
  /** Publishes `count` events with publishEvents (1,000 per call); one delivery each. */
  publishMany(count: number): Promise<void>;
  query<T extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<T[]>;
  /** Delivery counts by status. */
  statuses(): Promise<Record<string, number>>;
  /** Waits until all `count` deliveries are SUCCEEDED; on timeout fails with the delivery and job states. */
  allSucceeded(count: number, timeoutMs: number): Promise<void>;
  /** Stops every process (SIGKILL if one does not stop), the receiver and drops the database. */
  close(): Promise<void>;
}

export async function startCluster(options: { respond?: Responder; env?: Record<string, string> } = {}): Promise<Cluster> {
  const database = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-alo-'));
  const shared = {
    DATABASE_URL: database.url,
    HOOKYARD_DATA_DIR: dataDir,
    HOOKYARD_SECRET_KEY: randomBytes(32).toString('base64'),
    HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    HOOKYARD_URL_POLICY: 'permissive',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const processes: HookyardProcess[] = [];
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // The tests cut every connection of the database; this pool's idle ones go with them.
  pool.on('error', () => undefined);
  const receiver = await startReceiver(options.respond);
  async function teardown() {
    await Promise.all(processes.map((p) => p.stop(10_000)));
    await receiver.close();
    await pool.end();
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  const port = await freePort();
  const admin = gqlClient(`http://127.0.0.1:${port}`, ADMIN_TOKEN);
  let api: HookyardProcess;
  let webhookId: string;
  try {
    api = await startHookyardProcess({ ...shared, HOOKYARD_ROLE: 'api', PORT: String(port) });
    processes.push(api);
    // The default schedule is minutes apart; a failure in these tests must be retried within them.
    ({ webhookId } = await createWebhookSetup(admin, receiver.url, { webhook: { retrySchedule: [1, 1, 1, 1, 1], maxInFlight: 100 } }));
  } catch (error) {
    await teardown();
    throw error;
  }

  async function query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]> {
    for (let tries = 1; ; tries++) {
      try {
        return (await pool.query<T>(text, values)).rows;
      } catch (error) {
        // An idle connection of this pool cut by a test, not yet noticed when handed out.
        const cut = (error as { code?: string }).code === '57P01' || /Connection terminated/.test((error as Error).message);
        if (!cut || tries === 3) throw error;
      }
    }
  }

  const cluster: Cluster = {
    databaseUrl: database.url,
    api,
    admin,
    receiver,
    webhookId,
    async startWorker(env = {}) {
      return cluster.startProcess({ HOOKYARD_ROLE: 'worker', ...env });
    },
    async startProcess(env, nodeArgs = []) {
      const started = await startHookyardProcess({ ...shared, ...env }, nodeArgs);
      processes.push(started);
      return started;
    },
    async publishMany(count) {
      for (let from = 0; from < count; from += 1000) {
        const events = Array.from({ length: Math.min(1000, count - from) }, (_, i) => ({ type: 'invoice.created', payload: { n: from + i } }));
        const result = await mutate(admin, `mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename ... on PublishEventsPayload { results { deliveryCount } } ... on Error { message } } }`, {
          input: { events },
        });
        if (result.__typename !== 'PublishEventsPayload') throw new Error(`publishEvents failed: ${result.message}`);
      }
    },
    query,
    async statuses() {
      const rows = await query<{ status: string; n: number }>(`select status, count(*)::int as n from delivery group by status`);
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async allSucceeded(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while ((await cluster.statuses()).SUCCEEDED !== count) {
        if (Date.now() > deadline) {
          const jobs = await query(`select state, retry_count, expire_seconds, count(*)::int as n from pgboss.job where name = 'deliver' group by 1, 2, 3 order by 1, 2, 3`);
          const logs = processes.map((p) => p.stdout().split('\n').filter((l) => !/"level":30/.test(l)).slice(-10).join('\n')).join('\n---\n');
          throw new Error(`not all ${count} deliveries SUCCEEDED within ${timeoutMs} ms: deliveries ${JSON.stringify(await cluster.statuses())}, deliver jobs ${JSON.stringify(jobs)}\nprocess output:\n${logs}`);
        }
        await sleep(100);
      }
    },
    close: teardown,
  };
  return cluster;
}

/** How many times each `webhook-id` reached the receiver, with the arrival times. */
export function arrivalsById(receiver: Receiver): Map<string, number[]> {
  const byId = new Map<string, number[]>();
  for (const request of receiver.requests) {
    const id = String(request.headers['webhook-id']);
    byId.set(id, [...(byId.get(id) ?? []), request.at]);
  }
  return byId;
}

/** Every delivery with its attempt count and the attempts recorded for it. */
export async function deliveryLog(cluster: Cluster) {
  return cluster.query<{ id: string; status: string; attempt_count: number; attempts: number; first_attempt_at: Date | null }>(
    `select d.id, d.status, d.attempt_count, count(a.id)::int as attempts, min(a.created_at) as first_attempt_at
       from delivery d left join attempt a on a.delivery_id = d.id
      group by d.id`,
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
