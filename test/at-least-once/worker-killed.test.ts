// A worker process killed with SIGKILL in the middle of 1,000 deliveries: its jobs come
// back after the lease, a new worker sends them, and nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrivalsById, deliveryLog, sleep, startCluster, type Cluster } from './cluster.ts';

const DELIVERIES = 1000;
const BATCH_SIZE = 50;
const MAX_IN_FLIGHT = 200;
const WORKER_ENV = {
  HOOKYARD_WORKER_BATCH_SIZE: String(BATCH_SIZE),
  HOOKYARD_WORKER_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
};

describe('a worker killed mid-run', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // A receiver that takes 150 ms keeps a few batches in flight when the kill lands.
    // The lease is a property of each job, taken from the queue when it is inserted: every
    // process gets it, as an operator sets one environment for the whole deployment.
    cluster = await startCluster({ env: { HOOKYARD_DELIVERY_LEASE_SECONDS: '5' }, respond: async (_request, res) => (await sleep(150), void res.writeHead(200).end('ok')) });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('leaves every delivery SUCCEEDED once a new worker runs, resending only what was in flight, with the same webhook-id', { timeout: 60_000 }, async () => {
    await cluster.publishMany(DELIVERIES);
    expect(await cluster.statuses()).toEqual({ PENDING: DELIVERIES });

    const first = await cluster.startWorker(WORKER_ENV);
    await cluster.receiver.waitFor(400, 30_000);
    first.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const recordedBeforeKill = new Set((await cluster.query<{ delivery_id: string }>(`select delivery_id from attempt`)).map((r) => r.delivery_id));
    // The kill landed mid-run: some deliveries are done, others are not.
    expect(recordedBeforeKill.size).toBeGreaterThan(0);
    expect(recordedBeforeKill.size).toBeLessThan(DELIVERIES);

    const secondStartedAt = Date.now();
    const second = await cluster.startWorker(WORKER_ENV);
    await cluster.allSucceeded(DELIVERIES, 40_000);
    expect(await cluster.statuses()).toEqual({ SUCCEEDED: DELIVERIES });
    expect(second.alive()).toBe(true);

    // Every delivery reached the receiver, each under its own delivery id.
    const arrivals = arrivalsById(cluster.receiver);
    const log = await deliveryLog(cluster);
    expect(arrivals.size).toBe(DELIVERIES);
    expect(new Set(arrivals.keys())).toEqual(new Set(log.map((d) => d.id)));

    // Each delivery has exactly the attempts its count says, all recorded.
    for (const delivery of log) {
      expect(delivery.attempts, delivery.id).toBe(delivery.attempt_count);
      expect(delivery.attempt_count, delivery.id).toBeGreaterThanOrEqual(1);
    }

    // Duplicates are only the deliveries the killed worker had sent but not recorded:
    // first copy before the new worker started, the others from it, same webhook-id.
    const duplicated = [...arrivals].filter(([, times]) => times.length > 1);
    expect(duplicated.length).toBeGreaterThan(0);
    // No more than the worker held: its in-flight bound.
    expect(duplicated.length).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    for (const [id, times] of duplicated) {
      expect(recordedBeforeKill.has(id), `${id} was recorded before the kill yet sent again`).toBe(false);
      expect(times.length, id).toBeLessThanOrEqual(3);
      expect(times[0], id).toBeLessThan(secondStartedAt);
      for (const later of times.slice(1)) expect(later, id).toBeGreaterThanOrEqual(secondStartedAt);
    }
    for (const id of recordedBeforeKill) expect(arrivals.get(id), id).toHaveLength(1);
  });
});
