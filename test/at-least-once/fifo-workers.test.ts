// A FIFO webhook keeps publish order across two worker processes, one of them killed with
// SIGKILL mid-line: the line waits for the killed worker's delivery (its lease), which is
// sent again, and nothing behind it goes first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutate } from '../support/graphql.ts';
import { sleep, startCluster, type Cluster } from './cluster.ts';

const DELIVERIES = 60;

describe('FIFO across worker processes', () => {
  let cluster: Cluster;
  let open = 0;
  let peak = 0;
  beforeAll(async () => {
    cluster = await startCluster({
      env: { HOOKYARD_DELIVERY_LEASE_SECONDS: '5' },
      respond: async (_request, res) => {
        open++;
        peak = Math.max(peak, open);
        await sleep(50);
        open--;
        res.writeHead(200).end('ok');
      },
    });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('sends in publish order, one at a time, through a SIGKILL', { timeout: 90_000 }, async () => {
    const updated = await mutate(cluster.admin, `mutation { updateWebhook(input: { id: "${cluster.webhookId}", ordering: FIFO }) { __typename ... on WebhookPayload { webhook { maxInFlight } } } }`);
    expect(updated).toEqual({ __typename: 'WebhookPayload', webhook: { maxInFlight: 1 } });
    await cluster.publishMany(DELIVERIES);
    const first = await cluster.startWorker();
    await cluster.startWorker();
    await cluster.receiver.waitFor(15, 30_000);
    first.kill('SIGKILL');
    await first.exited;
    await cluster.allSucceeded(DELIVERIES, 60_000);

    const sequence = cluster.receiver.requests.map((r) => JSON.parse(r.body).data.n as number);
    // A delivery the killed worker had sent may come again (at least once), right after itself.
    const runs = sequence.filter((n, i) => i === 0 || sequence[i - 1] !== n);
    expect(runs).toEqual(Array.from({ length: DELIVERIES }, (_, n) => n));
    expect(peak).toBe(1);
  });
});
