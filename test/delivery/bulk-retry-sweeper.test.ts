// A bulk retry whose job is gone (deleted, or failed for good without ending it) is found
// by the sweeper: a lost one is queued again and resumes after its last committed batch,
// queueing no delivery twice; one whose job failed for good is ended as FAILED with why.
// Both are counted in hookyard_sweeper_repairs_total. The instance runs the API only, so
// every job is run (or not) by this test's own pg-boss.
import { PgBoss } from 'pg-boss';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually } from '../support/receiver.ts';
import { createWebhookSetup } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';
import { insertBulkDeliveries } from '../support/bulk.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { QUEUES, type BulkRetryJob } from '../../core/jobs.ts';
import { BULK_RETRY_BATCH, runBulkRetry } from '../../core/delivery/bulk-retries.ts';
import { createSweeperHandler } from '../../worker/sweeper/sweeper-job.ts';
import { createBulkRetryHandler } from '../../worker/bulk-retry/bulk-retry-job.ts';
import { createLogger } from '../../infra/logger.ts';

const RETRY = `mutation($input: RetryDeliveriesInput!) { retryDeliveries(input: $input) { __typename ... on RetryDeliveriesPayload { bulkRetry { id state total } } ... on Error { message } } }`;

describe('the sweeper and bulk retries whose job is gone', () => {
  const hy = useTestHookyard({ HOOKYARD_ROLE: 'api' });
  let db: ReturnType<typeof sqlClient>;
  let boss: PgBoss;
  let pool: pg.Pool;
  let sweep: ReturnType<typeof createSweeperHandler>;
  const log = createLogger('silent');
  const progress = async (id: string) => db.one<{ state: string; done: number; failed: number; total: number; error: string | null }>('select state, done, failed, total, error from bulk_retry where id = $1', [id]);
  /** Deliveries of a new webhook, and a bulk retry of all of them, asked through the API. */
  const bulkRetryOf = async (name: string, deliveries: number) => {
    const { webhookId, integratorId } = await createWebhookSetup(hy.admin, 'http://127.0.0.1:9/never', { eventType: `${name}.happened` });
    const tenantId = (await db.one<{ tenant_id: string }>('select tenant_id from webhook where id = $1', [webhookId])).tenant_id;
    await insertBulkDeliveries(pool, { tenantId, webhooks: [{ id: webhookId, integratorId }], eventTypes: [`${name}.happened`] }, deliveries, new Date(Date.now() - 3_600_000), 1);
    const asked = await mutate(hy.admin, RETRY, { input: { filter: { webhookId } } });
    expect(asked).toMatchObject({ __typename: 'RetryDeliveriesPayload', bulkRetry: { state: 'QUEUED', total: deliveries } });
    return { id: asked.bulkRetry.id as string, webhookId };
  };

  beforeAll(async () => {
    db = sqlClient(hy.databaseUrl);
    pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 3 });
    boss = new PgBoss({ connectionString: hy.databaseUrl, schema: BOSS_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
    // The sweeper as the worker runs it every minute, with no grace, run on demand.
    sweep = createSweeperHandler({ pool, boss, log, graceSeconds: 0 });
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await pool?.end();
    await db?.end();
  });

  it('queues a bulk retry whose job was lost again, and it resumes after its last batch without queueing any delivery twice', async () => {
    const total = 3 * BULK_RETRY_BATCH + 500;
    const { id, webhookId } = await bulkRetryOf('lost', total);
    // A worker takes the job, commits two batches and dies: its job is then deleted.
    const [job] = await boss.fetch<BulkRetryJob>(QUEUES.bulkRetry);
    expect(job.data.bulkRetryId).toBe(id);
    let checks = 0;
    // runBulkRetry asks the signal before each batch: the third time, the worker is gone.
    const diesAfterTwoBatches = { get aborted() { return checks++ >= 2; } } as AbortSignal;
    expect(await runBulkRetry({ pool, boss, log }, job.data, diesAfterTwoBatches)).toBe('stopped');
    await db.query(`delete from ${BOSS_SCHEMA}.job where name = $1 and data->>'bulkRetryId' = $2`, [QUEUES.bulkRetry, id]);
    const atDeath = await progress(id);
    expect(atDeath.state).toBe('RUNNING');
    expect(atDeath.done + atDeath.failed).toBe(2 * BULK_RETRY_BATCH);

    const before = await repairs(hy.baseUrl, hy.adminToken);
    expect(await sweep()).toMatchObject({ bulkRetriesRequeued: 1, bulkRetriesFailed: 0 });
    // Its new job is live: the next sweep leaves it alone.
    expect(await sweep()).toMatchObject({ bulkRetriesRequeued: 0, bulkRetriesFailed: 0 });
    const after = await repairs(hy.baseUrl, hy.adminToken);
    expect(after.bulkRetriesRequeued - before.bulkRetriesRequeued).toBe(1);

    // A worker runs the new job to the end.
    await boss.work<BulkRetryJob>(QUEUES.bulkRetry, { pollingIntervalSeconds: 0.5 }, createBulkRetryHandler({ pool, boss, log }));
    const end = await eventually(async () => {
      const p = await progress(id);
      return p.state === 'DONE' ? p : null;
    }, 30_000, `bulk retry ${id} DONE`);
    await boss.offWork(QUEUES.bulkRetry, { wait: true });
    expect(end.done + end.failed).toBe(total);
    // One manual attempt queued per delivery it counted as done, none twice.
    const queued = await db.query<{ delivery_id: string; jobs: number }>(
      `select j.data->>'deliveryId' as delivery_id, count(*)::int as jobs from ${BOSS_SCHEMA}.job j join delivery d on d.id = j.data->>'deliveryId'
        where j.name = $1 and (j.data->>'manual')::boolean and d.webhook_id = $2 group by 1`,
      [QUEUES.deliver, webhookId],
    );
    expect(queued.length).toBe(end.done);
    expect(queued.filter((q) => q.jobs > 1)).toEqual([]);
  }, 60_000);

  it('ends a bulk retry whose job failed for good without ending it as FAILED, saying why, and announces it', async () => {
    // A webhook that listens to Hookyard's own news.
    await createWebhookSetup(hy.admin, 'http://127.0.0.1:9/news', { eventType: 'news.happened', webhook: { eventTypes: ['hookyard.bulk_retry.finished'] } });
    const { id } = await bulkRetryOf('failing', 10);
    // Its job is queued: the sweeper leaves it alone.
    expect(await sweep()).toMatchObject({ bulkRetriesRequeued: 0, bulkRetriesFailed: 0 });
    // Its retries ran out while the database was away, so the handler could not end it.
    await db.query(`update ${BOSS_SCHEMA}.job set state = 'failed', completed_on = now(), output = $3 where name = $1 and data->>'bulkRetryId' = $2`, [
      QUEUES.bulkRetry,
      id,
      JSON.stringify({ message: 'Connection terminated unexpectedly' }),
    ]);
    const before = await repairs(hy.baseUrl, hy.adminToken);
    expect(await sweep()).toMatchObject({ bulkRetriesRequeued: 0, bulkRetriesFailed: 1 });
    const ended = await progress(id);
    expect(ended.state).toBe('FAILED');
    expect(ended.error).toBe('its job failed and its retries ran out; the last error: Connection terminated unexpectedly');
    expect((await repairs(hy.baseUrl, hy.adminToken)).bulkRetriesFailed - before.bulkRetriesFailed).toBe(1);
    // Announced to the webhook subscribed to hookyard.bulk_retry.finished (a delivery is queued).
    const announced = await db.query<{ payload: Record<string, unknown> }>(`select payload from event where type = 'hookyard.bulk_retry.finished' and payload->>'bulkRetryId' = $1`, [id]);
    expect(announced.map((e) => e.payload)).toEqual([{ bulkRetryId: id, state: 'FAILED', total: 10, done: 0, failed: 0, error: ended.error }]);
    // Nothing is left to repair.
    expect(await sweep()).toMatchObject({ bulkRetriesRequeued: 0, bulkRetriesFailed: 0 });
  }, 60_000);
});

/** hookyard_sweeper_repairs_total by repair, from /metrics. */
async function repairs(baseUrl: string, token: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const values: Record<string, number> = { bulkRetriesRequeued: 0, bulkRetriesFailed: 0 };
  for (const match of text.matchAll(/^hookyard_sweeper_repairs_total\{repair="(\w+)"\} (\d+)/gm)) values[match[1]] = Number(match[2]);
  return values;
}
