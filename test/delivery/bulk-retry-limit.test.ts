// One bulk retry per tenant at a time: while one is QUEUED or RUNNING, retryDeliveries
// refuses another with a ConflictError naming it (two asked at once included); a dry run
// still counts; once it ends (cancelled, or DONE) the next is accepted; another tenant is
// never held back. The instance runs the API only, so a bulk retry stays QUEUED until
// this test's own worker runs it.
import { PgBoss } from 'pg-boss';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually } from '../support/receiver.ts';
import { createTenant, createWebhookSetup } from '../support/fixtures.ts';
import { mutate, type GqlClient } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';
import { insertBulkDeliveries } from '../support/bulk.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { QUEUES, type BulkRetryJob } from '../../core/jobs.ts';
import { createBulkRetryHandler } from '../../worker/bulk-retry/bulk-retry-job.ts';
import { createLogger } from '../../infra/logger.ts';

const RETRY = `mutation($input: RetryDeliveriesInput!) { retryDeliveries(input: $input) { __typename
  ... on RetryDeliveriesPayload { count dryRun bulkRetry { id state } } ... on Error { code message } } }`;
const CANCEL = `mutation($id: ID!) { cancelBulkRetry(input: { id: $id }) { __typename ... on CancelBulkRetryPayload { bulkRetry { state } } } }`;

describe('one bulk retry per tenant at a time', () => {
  const hy = useTestHookyard({ HOOKYARD_ROLE: 'api' });
  let db: ReturnType<typeof sqlClient>;
  let pool: pg.Pool;
  let boss: PgBoss;
  const refusal = (id: string, state: string) => ({
    __typename: 'ConflictError',
    code: 'CONFLICT',
    message: expect.stringMatching(new RegExp(`^bulk retry ${id} is still ${state} for this tenant .*cancel it \\(cancelBulkRetry\\)`)),
  });
  /** A webhook of the client's tenant with `count` deliveries. */
  const webhookWithDeliveries = async (client: GqlClient, name: string, count: number) => {
    const { webhookId, integratorId } = await createWebhookSetup(client, 'http://127.0.0.1:9/never', { eventType: `${name}.happened` });
    const tenantId = (await db.one<{ tenant_id: string }>('select tenant_id from webhook where id = $1', [webhookId])).tenant_id;
    await insertBulkDeliveries(pool, { tenantId, webhooks: [{ id: webhookId, integratorId }], eventTypes: [`${name}.happened`] }, count, new Date(Date.now() - 3_600_000), 1);
    return webhookId;
  };

  beforeAll(async () => {
    db = sqlClient(hy.databaseUrl);
    pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 3 });
    boss = new PgBoss({ connectionString: hy.databaseUrl, schema: BOSS_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await pool?.end();
    await db?.end();
  });

  it('refuses a second while the first is QUEUED or RUNNING, naming it, until it is cancelled or DONE; another tenant is not held back', async () => {
    const webhookId = await webhookWithDeliveries(hy.admin, 'mine', 50);
    const filter = { webhookId };

    // Two asked at once: one is accepted, the other refused naming it.
    const both = await Promise.all([mutate(hy.admin, RETRY, { input: { filter } }), mutate(hy.admin, RETRY, { input: { filter: { ...filter, status: ['SUCCEEDED'] } } })]);
    const accepted = both.filter((r) => r.__typename === 'RetryDeliveriesPayload');
    expect(accepted).toHaveLength(1);
    const first = accepted[0].bulkRetry;
    expect(first.state).toBe('QUEUED');
    expect(both.filter((r) => r.__typename !== 'RetryDeliveriesPayload')).toEqual([refusal(first.id, 'QUEUED')]);

    // Asked again while it is still QUEUED: refused; a dry run still counts.
    expect(await mutate(hy.admin, RETRY, { input: { filter } })).toEqual(refusal(first.id, 'QUEUED'));
    expect(await mutate(hy.admin, RETRY, { input: { filter, dryRun: true } })).toMatchObject({ __typename: 'RetryDeliveriesPayload', dryRun: true, bulkRetry: null });
    // Still refused while RUNNING.
    await db.query(`update bulk_retry set state = 'RUNNING', started_at = now() where id = $1`, [first.id]);
    expect(await mutate(hy.admin, RETRY, { input: { filter } })).toEqual(refusal(first.id, 'RUNNING'));
    expect(await db.one<{ n: number }>('select count(*)::int as n from bulk_retry')).toEqual({ n: 1 });

    // Another tenant asks for its own meanwhile: accepted.
    const other = await createTenant(hy.databaseUrl, 'Other tenant');
    const otherClient = hy.client(other.token);
    const otherWebhookId = await webhookWithDeliveries(otherClient, 'theirs', 5);
    expect(await mutate(otherClient, RETRY, { input: { filter: { webhookId: otherWebhookId } } })).toMatchObject({ __typename: 'RetryDeliveriesPayload', count: 5, bulkRetry: { state: 'QUEUED' } });

    // Cancelled, it no longer holds the next one back.
    expect(await mutate(hy.admin, CANCEL, { id: first.id })).toMatchObject({ bulkRetry: { state: 'CANCELLED' } });
    const second = (await mutate(hy.admin, RETRY, { input: { filter } })).bulkRetry;
    expect(second).toMatchObject({ state: 'QUEUED' });
    expect(await mutate(hy.admin, RETRY, { input: { filter } })).toEqual(refusal(second.id, 'QUEUED'));

    // Run to the end by a worker, it no longer holds the next one back either.
    await boss.work<BulkRetryJob>(QUEUES.bulkRetry, { pollingIntervalSeconds: 0.5 }, createBulkRetryHandler({ pool, boss, log: createLogger('silent') }));
    await eventually(async () => ((await db.one<{ state: string }>('select state from bulk_retry where id = $1', [second.id])).state === 'DONE' ? true : null), 20_000, `bulk retry ${second.id} DONE`);
    await boss.offWork(QUEUES.bulkRetry, { wait: true });
    expect(await mutate(hy.admin, RETRY, { input: { filter } })).toMatchObject({ __typename: 'RetryDeliveriesPayload', bulkRetry: { state: 'QUEUED' } });
  }, 60_000);
});
