// A bulk retry of 100,000 deliveries whose worker is SIGKILLed halfway: another worker
// takes its job over (pg-boss's heartbeat) and resumes after the last committed batch,
// so every matching delivery is counted exactly once: done + failed = total, and the
// deliveries given a manual attempt are exactly `done`.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutate } from '../support/graphql.ts';
import { insertBulkDeliveries } from '../support/bulk.ts';
import { sleep, startCluster, type Cluster } from './cluster.ts';

const DELIVERIES = 100_000;

describe('a bulk retry whose worker is killed', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('resumes on another worker after the last committed batch, queueing no delivery twice', { timeout: 240_000 }, async () => {
    const [webhook] = await cluster.query<{ tenant_id: string; integrator_id: string }>('select tenant_id, integrator_id from webhook where id = $1', [cluster.webhookId]);
    const pool = new pg.Pool({ connectionString: cluster.databaseUrl, max: 1 });
    try {
      await insertBulkDeliveries(pool, { tenantId: webhook.tenant_id, webhooks: [{ id: cluster.webhookId, integratorId: webhook.integrator_id }], eventTypes: ['bulk.killed'] }, DELIVERIES, new Date(Date.now() - 86_400_000), 1);
    } finally {
      await pool.end();
    }
    // Switched off, so resends are kept rather than sent: the test is about queueing them.
    expect(await mutate(cluster.admin, `mutation { setDeliveriesEnabled(input: { enabled: false }) { __typename } }`)).toMatchObject({ __typename: 'SetDeliveriesEnabledPayload' });

    const asked = await mutate(cluster.admin, `mutation { retryDeliveries(input: { filter: { webhookId: "${cluster.webhookId}" } }) { __typename ... on RetryDeliveriesPayload { count held bulkRetry { id total } } } }`);
    expect(asked).toMatchObject({ count: DELIVERIES, held: true, bulkRetry: { total: DELIVERIES } });
    const id = asked.bulkRetry.id;
    const progress = async () => (await cluster.query<{ state: string; done: number; failed: number; total: number }>('select state, done, failed, total from bulk_retry where id = $1', [id]))[0];

    const first = await cluster.startWorker();
    for (let p = await progress(); p.done + p.failed < DELIVERIES / 3; p = await progress()) {
      expect(p.state).toBe('RUNNING');
      await sleep(20);
    }
    first.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = await progress();
    // Killed mid-run.
    expect(atKill.state).toBe('RUNNING');
    expect(atKill.done + atKill.failed).toBeLessThan(DELIVERIES);

    await cluster.startWorker();
    for (let p = await progress(); p.state !== 'DONE'; p = await progress()) {
      expect(p.state).toBe('RUNNING');
      await sleep(200);
    }
    const end = await progress();
    // Each matching delivery counted once: a batch run twice would count its rows twice.
    expect(end.done + end.failed).toBe(DELIVERIES);
    const [kept] = await cluster.query<{ n: number }>('select count(*)::int as n from delivery where webhook_id = $1 and manual_requested_at is not null', [cluster.webhookId]);
    expect(kept.n).toBe(end.done);
    // The cancelled ones (1 % of the mix) are the ones that could not be sent again.
    const [cancelled] = await cluster.query<{ n: number }>(`select count(*)::int as n from delivery where webhook_id = $1 and status = 'CANCELLED'`, [cluster.webhookId]);
    expect(end.failed).toBe(cancelled.n);
  });
});
