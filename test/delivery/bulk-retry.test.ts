// retryDeliveries(filter) as a job: it answers at once with a BulkRetry, a worker queues
// one manual attempt per matching delivery in batches, progress is pushed live, the end
// is published as hookyard.bulk_retry.finished, a cancel stops it, and another tenant
// sees none of it. (A worker killed halfway through: test/at-least-once/bulk-retry-killed.test.ts.)
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createTenant, createWebhookSetup, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';
import { openLiveSocket } from '../support/live.ts';
import { insertBulkDeliveries } from '../support/bulk.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';

const RETRY = `mutation($input: RetryDeliveriesInput!) { retryDeliveries(input: $input) { __typename
  ... on RetryDeliveriesPayload { count dryRun held bulkRetry { id state total done failed requestedBy filter } } ... on Error { message } ... on ValidationError { field } } }`;
const BULK = `query($id: ID!) { node(id: $id) { ... on BulkRetry { id state total done failed error startedAt finishedAt } } }`;
const CANCEL = `mutation($id: ID!) { cancelBulkRetry(input: { id: $id }) { __typename ... on CancelBulkRetryPayload { bulkRetry { id state done } } ... on Error { message code } } }`;

describe('bulk retry', () => {
  let hy: TestHookyard;
  let db: ReturnType<typeof sqlClient>;
  const receivers: Receiver[] = [];
  const bulk = async (id: string, client = hy.admin) => (await client(BULK, { id })).data.node;
  const ended = (id: string, state = 'DONE', client = hy.admin) =>
    eventually(async () => {
      const b = await bulk(id, client);
      return b?.state === state ? b : null;
    }, 30_000, `bulk retry ${id} ${state}`);

  beforeAll(async () => {
    hy = await startTestHookyard();
    db = sqlClient(hy.databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    for (const r of receivers) await r.close();
    await hy?.stop();
  });

  it('answers at once with a job that queues one manual attempt per matching delivery, pushes its progress, and announces its end', async () => {
    let failing = true;
    const r = await startReceiver((_req, res) => void res.writeHead(failing ? 500 : 200).end());
    receivers.push(r);
    const { eventType, webhookId } = await createWebhookSetup(hy.admin, r.url, { eventType: 'bulk.one', webhook: { retrySchedule: [] } });
    const gone = await createWebhookSetup(hy.admin, r.url, { eventType: 'bulk.gone', webhook: { retrySchedule: [] } });
    // A webhook that listens to Hookyard's own news.
    const news = await startReceiver();
    receivers.push(news);
    await createWebhookSetup(hy.admin, news.url, { eventType: 'bulk.news', webhook: { eventTypes: ['hookyard.bulk_retry.finished'] } });

    for (let i = 0; i < 4; i++) await publish(hy.admin, { type: eventType, payload: { i } });
    await publish(hy.admin, { type: gone.eventType, payload: {} });
    await eventually(async () => (await db.one<{ n: number }>(`select count(*)::int as n from delivery where status = 'FAILED'`)).n === 5, 20_000, 'five FAILED');
    await mutate(hy.admin, `mutation { deleteWebhook(input: { id: "${gone.webhookId}" }) { __typename } }`);
    failing = false;

    const live = await openLiveSocket(hy.baseUrl);
    expect(await live.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
    const sub = live.subscribe(`subscription { bulkRetryUpdated { __typename ... on BulkRetry { id state done total } } }`);
    // Subscriptions start listening a moment after the subscribe message: make sure it is on.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const before = new Date();
    const result = await mutate(hy.admin, RETRY, { input: { filter: { status: ['FAILED'] } } });
    expect(result).toMatchObject({ __typename: 'RetryDeliveriesPayload', count: 5, dryRun: false, held: false, bulkRetry: { total: 5 } });
    expect(['QUEUED', 'RUNNING', 'DONE']).toContain(result.bulkRetry.state);
    expect(result.bulkRetry.requestedBy).toMatch(/\(key_/);
    // The stored filter ends when it was asked: deliveries made later are not part of it.
    expect(new Date(result.bulkRetry.filter.createdTo).getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);

    const done = await ended(result.bulkRetry.id);
    expect(done).toMatchObject({ total: 5, done: 4, failed: 1 });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    // Each delivery of the live webhook got exactly one manual attempt.
    await eventually(async () => (await db.one<{ n: number }>(`select count(*)::int as n from delivery where webhook_id = $1 and status = 'SUCCEEDED'`, [webhookId])).n === 4, 20_000, 'four SUCCEEDED');
    const triggers = await db.query<{ trigger: string; n: number }>(`select trigger, count(*)::int as n from attempt where webhook_id = $1 group by trigger order by trigger`, [webhookId]);
    expect(triggers).toEqual([{ trigger: 'MANUAL', n: 4 }, { trigger: 'SCHEDULED', n: 4 }]);

    // Pushed live, ending with DONE.
    const pushed = await eventually(async () => {
      const all = live.received(sub).map((m) => m.data?.bulkRetryUpdated).filter((b) => b?.id === result.bulkRetry.id);
      return all.at(-1)?.state === 'DONE' ? all : null;
    }, 10_000, 'DONE pushed').catch((error) => { throw new Error(`${error.message}; received ${JSON.stringify(live.received(sub))}`); });
    expect(pushed.at(-1)).toEqual({ __typename: 'BulkRetry', id: result.bulkRetry.id, state: 'DONE', done: 4, total: 5 });
    // Narrowed to one, it starts with that one as it is now (a progress bar opened late).
    const one = live.subscribe(`subscription($b: ID) { bulkRetryUpdated(bulkRetryId: $b) { __typename ... on BulkRetry { id state done } } }`, { b: result.bulkRetry.id });
    expect((await live.next(one)).data.bulkRetryUpdated).toEqual({ __typename: 'BulkRetry', id: result.bulkRetry.id, state: 'DONE', done: 4 });
    live.close();

    // Announced as hookyard.bulk_retry.finished.
    await news.waitFor(1);
    const announced = JSON.parse(news.requests[0].body);
    expect(announced.type).toBe('hookyard.bulk_retry.finished');
    expect(announced.data).toEqual({ bulkRetryId: result.bulkRetry.id, state: 'DONE', total: 5, done: 4, failed: 1 });

    // Listed, newest first; a dry run creates none.
    expect(await mutate(hy.admin, RETRY, { input: { filter: { webhookId }, dryRun: true } })).toMatchObject({ count: 4, dryRun: true, bulkRetry: null });
    const listed = (await hy.admin(`{ bulkRetries(first: 10) { totalCount edges { node { id } } } }`)).data.bulkRetries;
    expect(listed.totalCount).toBe(1);
    expect(listed.edges[0].node.id).toBe(result.bulkRetry.id);
    // An ended one cannot be cancelled.
    expect(await mutate(hy.admin, CANCEL, { id: result.bulkRetry.id })).toMatchObject({ __typename: 'ConflictError' });
  });

  it('stops before its next batch when cancelled, keeping what it queued', async () => {
    // 20,000 deliveries. The switch is off so that nothing is sent: resends are kept.
    const { webhookId, integratorId } = await createWebhookSetup(hy.admin, 'http://127.0.0.1:9/never', { eventType: 'bulk.many' });
    const tenantId = (await db.one<{ tenant_id: string }>('select tenant_id from webhook where id = $1', [webhookId])).tenant_id;
    const pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 1 });
    await insertBulkDeliveries(pool, { tenantId, webhooks: [{ id: webhookId, integratorId }], eventTypes: ['bulk.many'] }, 20_000, new Date(Date.now() - 3_600_000), 1);
    await pool.end();
    await mutate(hy.admin, `mutation { setDeliveriesEnabled(input: { enabled: false }) { __typename } }`);
    try {
      // Twenty batches: the cancel lands long before the last.
      const result = await mutate(hy.admin, RETRY, { input: { filter: { webhookId } } });
      expect(result.bulkRetry.total).toBe(20_000);
      const cancelled = await mutate(hy.admin, CANCEL, { id: result.bulkRetry.id });
      expect(cancelled).toMatchObject({ __typename: 'CancelBulkRetryPayload', bulkRetry: { state: 'CANCELLED' } });
      const doneAtCancel = cancelled.bulkRetry.done;
      expect(doneAtCancel).toBeLessThan(20_000);
      // Its job ends without another batch.
      await eventually(
        async () => (await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = 'bulk-retry' and data->>'bulkRetryId' = $1 and state = 'completed'`, [result.bulkRetry.id])).n === 1,
        20_000,
        'the job completed',
      );
      const after = await bulk(result.bulkRetry.id);
      expect(after).toMatchObject({ state: 'CANCELLED', done: doneAtCancel });
      const kept = await db.one<{ n: number }>(`select count(*)::int as n from delivery where webhook_id = $1 and manual_requested_at is not null`, [webhookId]);
      expect(kept.n).toBe(doneAtCancel);
    } finally {
      await db.query(`update delivery set manual_requested_at = null where webhook_id = $1`, [webhookId]);
      await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${webhookId}" }) { __typename } }`);
      await mutate(hy.admin, `mutation { setDeliveriesEnabled(input: { enabled: true }) { __typename } }`);
    }
  }, 120_000);

  it("never shows or cancels another tenant's bulk retry", async () => {
    const other = await createTenant(hy.databaseUrl, 'Other tenant');
    const otherClient = hy.client(other.token);
    const mine = (await hy.admin(`{ bulkRetries(first: 1) { edges { node { id } } } }`)).data.bulkRetries.edges[0].node.id;
    expect((await otherClient(BULK, { id: mine })).data.node).toBeNull();
    expect((await otherClient(`{ bulkRetries(first: 10) { totalCount } }`)).data.bulkRetries.totalCount).toBe(0);
    expect(await mutate(otherClient, CANCEL, { id: mine })).toMatchObject({ __typename: 'NotFoundError' });
    // Its own bulk retry, even naming our webhook, matches nothing of ours: no job is made.
    const webhookId = (await db.one<{ id: string }>(`select id from webhook where tenant_id <> $1 limit 1`, [other.tenantId])).id;
    expect(await mutate(otherClient, RETRY, { input: { filter: { webhookId } } })).toEqual({ __typename: 'RetryDeliveriesPayload', count: 0, dryRun: false, held: false, bulkRetry: null });
    expect((await otherClient(`{ bulkRetries(first: 10) { totalCount } }`)).data.bulkRetries.totalCount).toBe(0);
  }, 60_000);
});
