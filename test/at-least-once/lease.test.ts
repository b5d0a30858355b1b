// The delivery lease (HOOKYARD_DELIVERY_LEASE_SECONDS) is the workers' setting: how long
// a job may stay active before another worker takes it over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type http from 'node:http';
import { freePort } from '../support/ports.ts';
import { eventually } from '../support/receiver.ts';
import { startCluster, type Cluster } from './cluster.ts';

describe('the delivery lease', () => {
  let cluster: Cluster;
  const hanging: http.ServerResponse[] = [];
  beforeAll(async () => {
    // The API processes run with the default lease (120 s); only the workers set 5 s.
    cluster = await startCluster({ respond: (_request, res) => void hanging.push(res) });
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await cluster?.close();
  });

  it("resends a killed worker's delivery after the workers' lease, even when an API process with another lease started later", { timeout: 60_000 }, async () => {
    const lease = { HOOKYARD_DELIVERY_LEASE_SECONDS: '5' };
    const first = await cluster.startWorker(lease);
    // A deploy restarts an API process after the workers: it must not change their lease.
    await cluster.startProcess({ HOOKYARD_ROLE: 'api', PORT: String(await freePort()) });
    await cluster.publishMany(1);
    await cluster.receiver.waitFor(1);
    first.kill('SIGKILL');
    await first.exited;
    cluster.receiver.respondWith((_request, res) => void res.writeHead(200).end('ok'));

    await cluster.startWorker(lease);
    // Bounded far below the API's 120 s: only the workers' 5 s lease can bring it back in time.
    // How soon it comes back is measured by test/bench/delivery.ts.
    await cluster.allSucceeded(1, 25_000);
    const [resent] = cluster.receiver.requests.slice(1);
    expect(resent.headers['webhook-id']).toBe(cluster.receiver.requests[0].headers['webhook-id']);
    // The job carries the workers' lease, not the later API's, and ran again because it expired.
    // pg-boss completes it just after the delivery's record commits: wait for that.
    const job = await eventually(async () => {
      const [row] = await cluster.query<{ expire_seconds: number; retry_count: number; state: string }>(
        `select expire_seconds, retry_count, state from pgboss.job where name = 'deliver' and data->>'deliveryId' = $1`,
        [resent.headers['webhook-id']],
      );
      return row?.state === 'completed' ? row : null;
    }, 10_000, 'the deliver job completed');
    expect(job).toMatchObject({ expire_seconds: 5, state: 'completed' });
    expect(job.retry_count).toBeGreaterThanOrEqual(1);
  });
});
