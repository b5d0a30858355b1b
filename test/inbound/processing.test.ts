// Processing publishes each accepted item as an event of the hook's type, through the
// same publish as publishEvent, so it fans out to the webhooks that subscribe.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, ok } from '../support/fixtures.ts';
import { sql } from '../support/sql.ts';
import { createLogger } from '../../infra/logger.ts';
import { PgBoss } from 'pg-boss';
import { processInboundRequest } from '../../core/inbound/process-request.ts';
import { call, createInboundHook, inboundRequests, runInbound } from './support.ts';

describe('processing inbound requests', () => {
  const hy = useTestHookyard();
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('IMMEDIATE: publishes the item as an event that reaches the subscribed webhook, and the log links them', async () => {
    const { webhookId } = await createWebhookSetup(hy.admin, receiver.url, { eventType: 'order.received' });
    const hook = await createInboundHook(hy.admin, { eventType: 'order.received' });
    const before = receiver.requests.length;
    const answer = await call(`${hook.url}?shop=acme`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId":42}' });
    expect(answer.status).toBe(200);
    await receiver.waitFor(before + 1);
    const delivered = JSON.parse(receiver.requests[before].body);
    expect(delivered).toMatchObject({ type: 'order.received', source: `/inbound/${hook.id}`, data: { orderId: 42, shop: 'acme' } });

    const request = await eventually(async () => {
      const [r] = await inboundRequests(hy.admin, { hookId: hook.id });
      return r.state === 'PROCESSED' ? r : null;
    }, 10_000, 'the request PROCESSED');
    expect(request).toMatchObject({ status: 'SUCCESS', event: { type: 'order.received', payload: { orderId: 42, shop: 'acme' } } });
    const deliveries = await hy.admin(`{ deliveries(filter: { webhookId: "${webhookId}" }, first: 5) { edges { node { event { id } } } } }`);
    expect(deliveries.data.deliveries.edges.map((e: any) => e.node.event.id)).toContain(request.event.id);
  });

  it('publishes once per request even when processing runs again after publishing (idempotent per inbound request)', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.repeated' });
    await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    const first = await eventually(async () => {
      const [r] = await inboundRequests(hy.admin, { hookId: hook.id });
      return r.state === 'PROCESSED' ? r : null;
    }, 10_000, 'PROCESSED');
    // A worker that died after publishing, before recording it: the request is still QUEUED.
    await sql(hy.databaseUrl, `update inbound_request set state = 'QUEUED', event_id = null where id = $1`, [first.id]);
    const pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 2 });
    const boss = new PgBoss({ connectionString: hy.databaseUrl, schema: 'pgboss', supervise: false, schedule: false });
    await boss.start();
    try {
      const tenantId = (await sql(hy.databaseUrl, 'select tenant_id from inbound_request where id = $1', [first.id]))[0].tenant_id;
      const again = await processInboundRequest({ pool, boss, log: createLogger('silent'), payloadLimitBytes: 1024 * 1024 }, tenantId, first.id);
      expect(again).toEqual({ kind: 'processed', eventId: first.event.id });
      expect(await processInboundRequest({ pool, boss, log: createLogger('silent'), payloadLimitBytes: 1024 * 1024 }, tenantId, first.id)).toEqual({ kind: 'gone' });
    } finally {
      await boss.stop({ graceful: false });
      await pool.end();
    }
    const events = await sql(hy.databaseUrl, `select id from event where type = 'order.repeated'`);
    expect(events).toEqual([{ id: first.event.id }]);
    const [after] = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(after).toMatchObject({ state: 'PROCESSED', event: { id: first.event.id } });
  });

  it('records a publish that fails as the request\'s error, and warns when the event reached no webhook', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.unheard' });
    await call(hook.url, { method: 'POST', body: 'x' });
    const warned = await eventually(async () => {
      const [r] = await inboundRequests(hy.admin, { hookId: hook.id });
      return r.state === 'PROCESSED' ? r : null;
    }, 10_000, 'PROCESSED');
    expect(warned).toMatchObject({ status: 'WARNING', message: expect.stringMatching(/reached no webhook: none listens to order.unheard/) });

    await mutateEventTypeSchema('order.unheard', { type: 'object', required: ['mustHave'] });
    await call(hook.url, { method: 'POST', body: 'y' });
    const failed = await eventually(async () => {
      const [r] = await inboundRequests(hy.admin, { hookId: hook.id });
      return r.state === 'FAILED' ? r : null;
    }, 10_000, 'FAILED');
    expect(failed).toMatchObject({ status: 'ERROR', event: null, message: expect.stringMatching(/^not published: the payload does not match the schema of order.unheard/) });
  });

  async function mutateEventTypeSchema(name: string, schema: unknown) {
    const types = await hy.admin(`{ eventTypes(first: 100) { edges { node { id name } } } }`);
    const id = types.data.eventTypes.edges.find((e: any) => e.node.name === name).node.id;
    await ok(hy.admin, 'updateEventType', { id, schema });
  }

  it('IMMEDIATE: a batch published together fails only the requests the event type refuses', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.checked', noRateLimit: true });
    await mutateEventTypeSchema('order.checked', { type: 'object', required: ['x'] });
    // Stopped while the calls arrive, started at once after: the worker takes them as one batch.
    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, status: 'STOPPED' });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(i % 2 ? { x: i } : { y: i }) })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, status: 'ACTIVE' });
    await eventually(async () => (await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).length === 0, 15_000, 'the batch processed');
    const processed = await inboundRequests(hy.admin, { hookId: hook.id, state: ['PROCESSED'] });
    const failed = await inboundRequests(hy.admin, { hookId: hook.id, state: ['FAILED'] });
    expect(processed.map((r) => r.event.payload.x).sort()).toEqual([1, 3, 5, 7, 9]);
    expect(failed).toHaveLength(5);
    expect(failed.every((r) => /^not published: the payload does not match the schema of order.checked/.test(r.message))).toBe(true);
  });

  it('SEQUENTIAL: processes one at a time in arrival order', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.sequenced', processingMode: 'SEQUENTIAL', noRateLimit: true });
    for (let i = 0; i < 20; i++) expect((await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i }) })).status).toBe(200);
    await eventually(async () => (await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).length === 0, 15_000, 'the queue to drain');
    const rows = await sql(hy.databaseUrl, `select r.parsed->>'n' as n, e.created_at, r.processed_at from inbound_request r join event e on e.id = r.event_id where r.hook_id = $1 order by r.received_at, r.id`, [hook.id]);
    expect(rows.map((r) => Number(r.n))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].created_at >= rows[i - 1].processed_at, `item ${i} published after item ${i - 1} was done`).toBe(true);
    }
  });

  it('SCHEDULED: takes up to the batch size per run, and stops after 3 failed runs in a row, saying why', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.batched', processingMode: 'SCHEDULED', scheduleIntervalSeconds: 2, scheduleBatchSize: 2, noRateLimit: true });
    // Stopped, the hook queues without processing; started, its first run begins.
    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, status: 'STOPPED' });
    for (let i = 0; i < 5; i++) await call(hook.url, { method: 'POST', body: String(i) });
    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, status: 'ACTIVE' });
    // The first run takes two (recorded once its batch is done); the others wait for the next runs.
    await eventually(async () => (await hy.admin(`{ node(id: "${hook.id}") { ... on InboundHook { lastRunAt } } }`)).data.node.lastRunAt, 10_000, 'the first run');
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['PROCESSED'] })).toHaveLength(2);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).toHaveLength(3);
    await eventually(async () => (await inboundRequests(hy.admin, { hookId: hook.id, state: ['PROCESSED'] })).length === 5, 15_000, 'every item processed');

    // Publishing fails on every run once deliveries are off: the third failed run stops the hook.
    const failing = await createInboundHook(hy.admin, { eventType: 'order.batched', processingMode: 'SCHEDULED', scheduleIntervalSeconds: 1, scheduleBatchSize: 1, noRateLimit: true });
    const tenant = (await hy.admin('{ viewer { tenant { id } } }')).data.viewer.tenant.id;
    await sql(hy.databaseUrl, 'update tenant set deliveries_enabled = false where id = $1', [tenant]);
    try {
      for (let i = 0; i < 4; i++) await call(failing.url, { method: 'POST', body: String(i) });
      const stopped = await eventually(async () => {
        const r = await hy.admin(`{ node(id: "${failing.id}") { ... on InboundHook { status statusReason failedRuns queuedCount } } }`);
        return r.data.node.status === 'STOPPED' ? r.data.node : null;
      }, 20_000, 'the hook STOPPED');
      expect(stopped).toMatchObject({ failedRuns: 3, queuedCount: 1, statusReason: expect.stringMatching(/^stopped after 3 failed runs in a row; the last: inr_\w+: not published: deliveries are switched off/) });
      expect(await inboundRequests(hy.admin, { hookId: failing.id, state: ['FAILED'] })).toHaveLength(3);
      // A stopped hook still accepts (and queues) requests.
      expect((await call(failing.url, { method: 'POST' })).status).toBe(200);
    } finally {
      await sql(hy.databaseUrl, 'update tenant set deliveries_enabled = true where id = $1', [tenant]);
    }
    // Started again, it processes what waited.
    await runInbound(hy.admin, 'updateInboundHook', { id: failing.id, status: 'ACTIVE' });
    await eventually(async () => (await inboundRequests(hy.admin, { hookId: failing.id, state: ['QUEUED'] })).length === 0, 15_000, 'the waiting items processed');
  });
});
