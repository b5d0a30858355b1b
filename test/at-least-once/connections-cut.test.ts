// Every connection to the database cut in the middle of a run (what a PostgreSQL restart
// or failover does to clients): the worker reconnects and finishes, and nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { arrivalsById, deliveryLog, sleep, startCluster, type Cluster } from './cluster.ts';

const DELIVERIES = 1000;

/** Terminates every backend on the cluster's database but the one asking; returns how many. */
async function terminateAllBackends(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

describe('database connections cut mid-run', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({
      env: { HOOKYARD_DELIVERY_LEASE_SECONDS: '5' },
      respond: async (_request, res) => (await sleep(100), void res.writeHead(200).end('ok')),
    });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('lets the worker reconnect and deliver everything, without the process exiting', { timeout: 60_000 }, async () => {
    await cluster.publishMany(DELIVERIES);
    const worker = await cluster.startWorker();

    await cluster.receiver.waitFor(300, 30_000);
    const cut = await terminateAllBackends(cluster.databaseUrl);
    // The worker's pools, its queue's and its LISTEN connection, and the API's.
    expect(cut).toBeGreaterThanOrEqual(3);
    // Once more while it reconnects.
    await cluster.receiver.waitFor(600, 30_000);
    expect(await terminateAllBackends(cluster.databaseUrl)).toBeGreaterThan(0);

    await cluster.allSucceeded(DELIVERIES, 40_000);
    const log = await deliveryLog(cluster);
    for (const delivery of log) expect(delivery.attempts, delivery.id).toBe(delivery.attempt_count);
    const arrivals = arrivalsById(cluster.receiver);
    expect(new Set(arrivals.keys())).toEqual(new Set(log.map((d) => d.id)));
    // A batch whose record was cut is sent again: with its webhook-id, and only a few times.
    for (const [id, times] of arrivals) expect(times.length, id).toBeLessThanOrEqual(3);

    expect(worker.alive()).toBe(true);
    expect(cluster.api.alive()).toBe(true);
    // Still working after the cuts: a new event is delivered too.
    await cluster.publishMany(1);
    await cluster.allSucceeded(DELIVERIES + 1, 15_000);
    expect(worker.alive()).toBe(true);
  });
});
