import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, eventually, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, ok, publish } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { createLogger } from '../../infra/logger.ts';
import { transitionWebhook } from '../../core/webhooks/webhook-transition.ts';
import { checkCall, publishCalls } from '../../core/publishing/publish-events.ts';
import type { WebhookStatus } from '../../schema/entities/Webhook.ts';

// Publishing reads the webhooks that receive an event while a resume or a delete may change
// them. Each test makes one side wait inside its open transaction until the other has run
// (or is seen waiting for its lock), then lets it commit: both orders, with real transactions.
describe('publishing racing resume and delete', () => {
  let hy: TestHookyard;
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  let pool: pg.Pool;
  let boss: PgBoss;
  let tenantId: string;
  let n = 0;

  beforeAll(async () => {
    hy = await startTestHookyard();
    receiver = await startReceiver();
    db = sqlClient(hy.databaseUrl);
    pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 4 });
    boss = new PgBoss({ connectionString: hy.databaseUrl, schema: BOSS_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
    await createWebhookSetup(hy.admin, receiver.url);
    tenantId = (await db.one<{ id: string }>('select id from tenant limit 1')).id;
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await pool?.end();
    await db?.end();
    await receiver?.close();
    await hy?.stop();
  });

  const setup = async (status: 'ACTIVE' | 'PAUSED') => {
    const created = await createWebhookSetup(hy.admin, receiver.url, { eventType: `race${++n}.happened` });
    if (status === 'PAUSED') await ok(hy.admin, 'pauseWebhook', { id: created.webhookId });
    return created;
  };

  /** Open deliveries under a DELETED webhook, and held ones (open, no next attempt) under an ACTIVE one. */
  const strays = (webhookId: string) =>
    db.query(
      `select d.id, d.status, d.next_attempt_at, w.status as webhook_status from delivery d join webhook w on w.id = d.webhook_id
        where d.webhook_id = $1 and d.status in ('PENDING', 'RETRYING')
          and (w.status = 'DELETED' or (w.status = 'ACTIVE' and d.next_attempt_at is null))`,
      [webhookId],
    );

  const waitingOnLock = async () =>
    (await db.one(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).n > 0;

  /** A webhook transition in its own transaction, left open until `commit` is called. */
  async function openTransition(webhookId: string, from: WebhookStatus[], to: WebhookStatus) {
    const client = await pool.connect();
    await client.query('begin');
    const changed = await transitionWebhook(client, boss, { tenantId, webhookId, from, to, reason: 'race test' });
    expect(changed).toBe(true);
    return {
      async commit() {
        await client.query('commit');
        client.release();
      },
    };
  }

  /** A real publish whose transaction stops before its commit until `commit` is called. */
  async function openPublish(type: string) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reachedCommit!: () => void;
    const atCommit = new Promise<void>((resolve) => (reachedCommit = resolve));
    const gatedPool = {
      async connect() {
        const client = await pool.connect();
        const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
        (client as unknown as { query: unknown }).query = async (...args: unknown[]) => {
          if (args[0] === 'commit') {
            reachedCommit();
            await gate;
          }
          return query(...args);
        };
        return client;
      },
      query: (...args: Parameters<pg.Pool['query']>) => pool.query(...args),
    } as unknown as pg.Pool;
    const call = checkCall([{ type, payload: { racing: true } }], (i) => `input.events[${i}]`, 1024 * 1024);
    const done = publishCalls({ pool: gatedPool, boss, log: createLogger('silent') }, tenantId, [call]);
    await atCommit;
    return { done, commit: release };
  }

  it('a delete that commits while a publish waits for its lock leaves the publish no delivery to make', async () => {
    const { webhookId, eventType } = await setup('ACTIVE');
    const deletion = await openTransition(webhookId, ['ACTIVE', 'PAUSED', 'DISABLED'], 'DELETED');
    let published = false;
    const publishing = publish(hy.admin, { type: eventType, payload: {} }).then((r) => ((published = true), r));
    await eventually(async () => published || (await waitingOnLock()), 10_000, 'the publish waiting on the webhook');
    await deletion.commit();
    expect((await publishing).deliveryCount).toBe(0);
    expect(await strays(webhookId)).toEqual([]);
  });

  it('a delete that starts while a publish is open waits for it, then cancels the delivery it made', async () => {
    const { webhookId, eventType } = await setup('ACTIVE');
    const publishing = await openPublish(eventType);
    let deleted = false;
    const deleting = ok(hy.admin, 'deleteWebhook', { id: webhookId }).then(() => (deleted = true));
    await eventually(async () => deleted || (await waitingOnLock()), 10_000, 'the delete waiting on the publish');
    publishing.commit();
    const [outcome] = await publishing.done;
    expect(outcome).toMatchObject([{ deliveryCount: 1 }]);
    await deleting;
    expect(await strays(webhookId)).toEqual([]);
    expect(await db.query(`select status from delivery where webhook_id = $1`, [webhookId])).toEqual([{ status: 'CANCELLED' }]);
  });

  it('a resume that commits while a publish waits for its lock makes the publish send at once, not hold', async () => {
    const { webhookId, eventType } = await setup('PAUSED');
    const resume = await openTransition(webhookId, ['PAUSED', 'DISABLED'], 'ACTIVE');
    let published = false;
    const publishing = publish(hy.admin, { type: eventType, payload: {} }).then((r) => ((published = true), r));
    await eventually(async () => published || (await waitingOnLock()), 10_000, 'the publish waiting on the webhook');
    await resume.commit();
    expect((await publishing).deliveryCount).toBe(1);
    expect(await strays(webhookId)).toEqual([]);
    await eventually(async () => (await db.one(`select status from delivery where webhook_id = $1`, [webhookId])).status === 'SUCCEEDED', 15_000, 'delivered');
  });

  it('a resume that starts while a publish is open waits for it, then releases the delivery it held', async () => {
    const { webhookId, eventType } = await setup('PAUSED');
    const publishing = await openPublish(eventType);
    let resumed = false;
    const resuming = ok(hy.admin, 'resumeWebhook', { id: webhookId }).then(() => (resumed = true));
    await eventually(async () => resumed || (await waitingOnLock()), 10_000, 'the resume waiting on the publish');
    publishing.commit();
    expect((await publishing.done)[0]).toMatchObject([{ deliveryCount: 1 }]);
    await resuming;
    expect(await strays(webhookId)).toEqual([]);
    await eventually(async () => (await db.one(`select status from delivery where webhook_id = $1`, [webhookId])).status === 'SUCCEEDED', 15_000, 'delivered');
  });

  it('leaves no stray delivery when many publishes race a resume and a delete', async () => {
    for (let round = 0; round < 3; round++) {
      const resumed = await setup('PAUSED');
      const deleted = await setup('ACTIVE');
      const calls = [
        ...Array.from({ length: 10 }, (_, i) => publish(hy.admin, { type: resumed.eventType, payload: { i } })),
        ok(hy.admin, 'resumeWebhook', { id: resumed.webhookId }),
        ...Array.from({ length: 10 }, (_, i) => publish(hy.admin, { type: deleted.eventType, payload: { i } })),
        ok(hy.admin, 'deleteWebhook', { id: deleted.webhookId }),
        ...Array.from({ length: 10 }, (_, i) => publish(hy.admin, { type: resumed.eventType, payload: { after: i } })),
      ];
      await Promise.all(calls);
      expect(await strays(resumed.webhookId), `round ${round}`).toEqual([]);
      expect(await strays(deleted.webhookId), `round ${round}`).toEqual([]);
    }
  });
});
