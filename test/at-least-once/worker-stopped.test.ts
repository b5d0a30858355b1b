// A worker stopped with SIGTERM (a deploy, a scale-down) while deliveries are in flight
// to a slow receiver: it lets them finish and records them before it exits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrivalsById, deliveryLog, sleep, startCluster, type Cluster } from './cluster.ts';

const DELIVERIES = 400;
const RECEIVER_DELAY_MS = 1000;

describe('a worker stopped with SIGTERM mid-run', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({
      env: { HOOKYARD_DELIVERY_LEASE_SECONDS: '5' },
      respond: async (_request, res) => (await sleep(RECEIVER_DELAY_MS), void res.writeHead(200).end('ok')),
    });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('finishes and records the deliveries in flight, exits 0, and leaves the rest to the next worker', { timeout: 60_000 }, async () => {
    await cluster.publishMany(DELIVERIES);
    const first = await cluster.startWorker({ HOOKYARD_WORKER_BATCH_SIZE: '50', HOOKYARD_WORKER_MAX_IN_FLIGHT: '200' });
    await cluster.receiver.waitFor(100, 30_000);
    const signalledAt = Date.now();
    first.kill('SIGTERM');
    // The receiver answers within a second; the stop waits for that, not for the lease.
    expect(await first.waitExit(10_000)).toEqual({ code: 0, signal: null });
    const stoppedIn = Date.now() - signalledAt;
    expect(stoppedIn).toBeGreaterThanOrEqual(RECEIVER_DELAY_MS / 2);
    expect(first.stderr()).toBe('');

    // Everything the stopped worker sent is recorded, and it left work undone.
    const sentByFirst = new Set(arrivalsById(cluster.receiver).keys());
    const recorded = await cluster.query<{ delivery_id: string; succeeded: boolean }>(`select delivery_id, succeeded from attempt`);
    expect(new Set(recorded.map((a) => a.delivery_id))).toEqual(sentByFirst);
    expect(recorded.every((a) => a.succeeded)).toBe(true);
    expect(sentByFirst.size).toBeLessThan(DELIVERIES);
    const afterStop = await cluster.statuses();
    expect(afterStop).toEqual({ SUCCEEDED: sentByFirst.size, PENDING: DELIVERIES - sentByFirst.size });

    await cluster.startWorker();
    await cluster.allSucceeded(DELIVERIES, 30_000);
    const arrivals = arrivalsById(cluster.receiver);
    expect(arrivals.size).toBe(DELIVERIES);
    // Nothing the stopped worker finished was sent again.
    for (const [id, times] of arrivals) expect(times, id).toHaveLength(1);
    for (const delivery of await deliveryLog(cluster)) expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempt_count: 1, attempts: 1 });
  });
});
