// The inbound log and queue over GraphQL, live updates, the determined data structure,
// and expiry with a clock the test moves.
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { createWebhookSetup } from '../support/fixtures.ts';
import { openLiveSocket } from '../support/live.ts';
import { sweepInboundExpiry, INBOUND_EXPIRY_MS } from '../../core/inbound/expiry.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { createLogger } from '../../infra/logger.ts';
import { startReceiver, eventually } from '../support/receiver.ts';
import { call, createHeldHook, createInboundHook, inboundRequests, INBOUND_REQUEST, runInbound } from './support.ts';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('the inbound log and queue', () => {
  const hy = useTestHookyard();

  it('pages the log by hook, status, state and time, newest first, with cursors', async () => {
    const hook = await createHeldHook(hy.admin, { dataStructure: { type: 'object', required: ['ok'] } });
    const start = new Date();
    for (let i = 0; i < 5; i++) await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ ok: true, i }) });
    for (let i = 0; i < 2; i++) await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ i }) });
    const all = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(all).toHaveLength(7);
    expect(all.map((r) => r.parsed.i)).toEqual([1, 0, 4, 3, 2, 1, 0]);
    expect((await inboundRequests(hy.admin, { hookId: hook.id, status: ['ERROR'] })).map((r) => r.state)).toEqual(['REFUSED', 'REFUSED']);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'], status: ['SUCCESS'] })).toHaveLength(5);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, receivedTo: start.toISOString() })).toHaveLength(0);

    const page = async (after?: string) =>
      (await hy.admin(`query($f: InboundRequestFilter, $a: String) { inboundRequests(filter: $f, first: 3, after: $a) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { f: { hookId: hook.id }, a: after })).data.inboundRequests;
    const one = await page();
    const two = await page(one.pageInfo.endCursor);
    const three = await page(two.pageInfo.endCursor);
    expect(one.totalCount).toBe(7);
    expect([...one.edges, ...two.edges, ...three.edges].map((e: any) => e.node.id)).toEqual(all.map((r) => r.id));
    expect(three.pageInfo.hasNextPage).toBe(false);
    const bad = await hy.admin(`{ inboundRequests(first: 3, after: "garbage") { totalCount } }`);
    expect(bad.errors?.[0].extensions?.code).toBe('VALIDATION');
  });

  it('deletes selected queue items and clears the queue; deleted items are never processed', async () => {
    const hook = await createHeldHook(hy.admin);
    for (let i = 0; i < 4; i++) await call(hook.url, { method: 'POST', body: String(i) });
    const queued = await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] });
    expect(await runInbound(hy.admin, 'deleteInboundRequests', { ids: [queued[0].id, queued[1].id] })).toMatchObject({ deletedCount: 2 });
    expect(await inboundRequests(hy.admin, { hookId: hook.id })).toHaveLength(2);
    expect(await runInbound(hy.admin, 'deleteInboundRequests', { ids: ['not-an-id'] })).toMatchObject({ __typename: 'ValidationError', field: 'input.ids' });
    expect(await runInbound(hy.admin, 'clearInboundQueue', { hookId: hook.id })).toMatchObject({ deletedCount: 2 });
    expect(await inboundRequests(hy.admin, { hookId: hook.id })).toHaveLength(0);
    // Another tenant's ids delete nothing.
    await call(hook.url, { method: 'POST' });
    const [mine] = await inboundRequests(hy.admin, { hookId: hook.id });
    const { createTenant } = await import('../support/fixtures.ts');
    const other = hy.client((await createTenant(hy.databaseUrl, 'Other')).token);
    expect(await runInbound(other, 'deleteInboundRequests', { ids: [mine.id] })).toMatchObject({ deletedCount: 0 });
    expect((await other(`{ node(id: "${mine.id}") { id } }`)).data.node).toBeNull();
  });

  it('streams inboundRequestReceived for one hook: accepted, refused and processed', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.live' });
    const other = await createHeldHook(hy.admin);
    const socket = await openLiveSocket(hy.baseUrl);
    try {
      expect(await socket.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
      const id = socket.subscribe(`subscription($h: ID) { inboundRequestReceived(hookId: $h) { ... on InboundRequest { ${INBOUND_REQUEST} } } }`, { h: hook.id });
      await new Promise((r) => setTimeout(r, 200));
      await call(other.url, { method: 'POST' });
      await call(`${hook.url}?n=1`, { method: 'POST' });
      const seen: any[] = [];
      while (!seen.some((s) => s.state === 'PROCESSED')) seen.push((await socket.next(id, 10_000)).data.inboundRequestReceived);
      expect(seen[0]).toMatchObject({ state: 'QUEUED', parsed: { n: '1' }, hook: { id: hook.id } });
      expect(seen.at(-1)).toMatchObject({ state: 'PROCESSED', event: { type: 'order.live' } });
      expect(seen.every((s) => s.hook.id === hook.id)).toBe(true);
    } finally {
      socket.close();
    }
  });
});

describe('the data structure, determined from the next request', () => {
  const hy = useTestHookyard();

  it('stores the next accepted item as a JSON Schema, shows it, and only validates once the user turns validation on', async () => {
    const hook = await createHeldHook(hy.admin);
    const pending = (await runInbound(hy.admin, 'redetermineDataStructure', { id: hook.id })).inboundHook;
    expect(pending).toMatchObject({ redeterminePending: true, validateDataStructure: false });
    await call(`${hook.url}?channel=web`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ orderId: 7, lines: [{ sku: 'a', qty: 2 }] }) });
    const shown = (await hy.admin(`{ node(id: "${hook.id}") { ... on InboundHook { dataStructure dataStructureSource redeterminePending validateDataStructure } } }`)).data.node;
    expect(shown).toMatchObject({
      dataStructureSource: 'DETERMINED',
      redeterminePending: false,
      validateDataStructure: false,
      dataStructure: {
        type: 'object',
        properties: { orderId: { type: 'integer' }, channel: { type: 'string' }, lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } } } },
      },
    });
    // Mapping only: a mismatch is accepted with a warning.
    expect((await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: '{"orderId":"x"}' })).status).toBe(200);
    expect((await inboundRequests(hy.admin, { hookId: hook.id }))[0]).toMatchObject({ status: 'WARNING' });
    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, validateDataStructure: true });
    const refused = await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: '{"orderId":"x"}' });
    expect(refused).toMatchObject({ status: 400, body: 'The item does not match the data structure: item/orderId must be integer' });
    expect((await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: '{"orderId":8}' })).status).toBe(200);
  });

  it('keeps a determined structure DETERMINED, and a pending re-determination pending, when an update gives the structure the hook already has', async () => {
    const hook = await createHeldHook(hy.admin);
    await runInbound(hy.admin, 'redetermineDataStructure', { id: hook.id });
    await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ orderId: 7, lines: [{ sku: 'a' }] }) });
    const determined = (await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, name: 'Renamed' })).inboundHook;
    expect(determined).toMatchObject({ name: 'Renamed', dataStructureSource: 'DETERMINED' });
    const structure = determined.dataStructure;
    // What a form sends: every field, the structure as it was shown (here with its keys in another order).
    const reordered = Object.fromEntries(Object.entries(structure).reverse());
    expect(Object.keys(reordered)).not.toEqual(Object.keys(structure));
    const saved = await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, name: 'Saved whole', dataStructure: reordered, validateDataStructure: false, queueLimit: 500 });
    expect(saved.inboundHook).toMatchObject({ name: 'Saved whole', queueLimit: 500, dataStructureSource: 'DETERMINED', dataStructure: structure });

    // A pending re-determination survives such a save, and the next request still determines the structure.
    expect((await runInbound(hy.admin, 'redetermineDataStructure', { id: hook.id })).inboundHook.redeterminePending).toBe(true);
    const stillPending = (await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, dataStructure: structure, rateLimitPerSecond: 10 })).inboundHook;
    expect(stillPending).toMatchObject({ redeterminePending: true, dataStructureSource: 'DETERMINED', rateLimitPerSecond: 10 });
    await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ parcel: 'p1' }) });
    const redetermined = (await hy.admin(`{ node(id: "${hook.id}") { ... on InboundHook { dataStructure dataStructureSource redeterminePending } } }`)).data.node;
    expect(redetermined).toMatchObject({ dataStructure: { type: 'object', properties: { parcel: { type: 'string' } } }, dataStructureSource: 'DETERMINED', redeterminePending: false });
    expect(redetermined.dataStructure.properties.orderId).toBeUndefined();

    // A structure that differs, by one property, is written by hand.
    const edited = { ...redetermined.dataStructure, required: ['parcel'] };
    const manual = (await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, dataStructure: edited })).inboundHook;
    expect(manual).toMatchObject({ dataStructureSource: 'MANUAL', dataStructure: edited });
  });
});

describe('expiry', () => {
  const hy = useTestHookyard();
  let pool: pg.Pool;
  let boss: PgBoss;
  let deps: Parameters<typeof sweepInboundExpiry>[0];
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 3 });
    boss = new PgBoss({ connectionString: hy.databaseUrl, schema: BOSS_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
    deps = { pool, boss, log: createLogger('silent') };
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await pool?.end();
  });

  it('expires a hook that no active webhook listened to for 120 h (not a millisecond before), and answers 410 saying why', async () => {
    const unheard = await createInboundHook(hy.admin, { eventType: 'parcel.scanned' });
    const heard = await createInboundHook(hy.admin, { eventType: 'invoice.paid' });
    await createWebhookSetup(hy.admin, 'http://127.0.0.1:9/hook', { eventType: 'invoice.created', webhook: { eventTypes: ['invoice.*'] } });
    const t0 = new Date(Date.now() + 1000);
    expect(await sweepInboundExpiry(deps, t0)).toEqual([]);
    const unheardSince = (await pool.query('select unheard_since from inbound_hook where id = $1', [unheard.id])).rows[0].unheard_since;
    expect(await sweepInboundExpiry(deps, new Date(unheardSince.getTime() + INBOUND_EXPIRY_MS - 1))).toEqual([]);
    expect((await call(unheard.url, { method: 'POST' })).status).toBe(200);
    expect(await sweepInboundExpiry(deps, new Date(unheardSince.getTime() + INBOUND_EXPIRY_MS))).toEqual([unheard.id]);
    const gone = await call(unheard.url, { method: 'POST' });
    expect(gone.status).toBe(410);
    expect(gone.body).toMatch(/^Gone: this inbound hook expired: no active webhook listened to parcel.scanned for 120 h \(since \d{4}-/);
    const shown = (await hy.admin(`{ node(id: "${unheard.id}") { ... on InboundHook { status statusReason expiredAt } } }`)).data.node;
    expect(shown).toMatchObject({ status: 'EXPIRED', statusReason: expect.stringMatching(/^expired: no active webhook/) });
    // invoice.* listens to invoice.paid: never unheard, never expired.
    expect(await sweepInboundExpiry(deps, new Date(Date.now() + 10 * INBOUND_EXPIRY_MS))).toEqual([]);
    const status = (await hy.admin(`{ node(id: "${heard.id}") { ... on InboundHook { status } } }`)).data.node.status;
    expect(status).toBe('ACTIVE');
  });

  it('starts the 120 h again once a webhook listens and then stops listening', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'crate.opened' });
    const t0 = new Date(Date.now() + 1000);
    await sweepInboundExpiry(deps, t0);
    const { webhookId } = await createWebhookSetup(hy.admin, 'http://127.0.0.1:9/hook', { eventType: 'crate.opened' });
    await sweepInboundExpiry(deps, new Date(t0.getTime() + 100 * 3600_000));
    expect((await pool.query('select unheard_since from inbound_hook where id = $1', [hook.id])).rows[0].unheard_since).toBeNull();
    await hy.admin(`mutation { pauseWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    const t1 = new Date(t0.getTime() + 110 * 3600_000);
    await sweepInboundExpiry(deps, t1);
    expect(await sweepInboundExpiry(deps, new Date(t0.getTime() + 130 * 3600_000))).toEqual([]);
    expect(await sweepInboundExpiry(deps, new Date(t1.getTime() + INBOUND_EXPIRY_MS))).toEqual([hook.id]);
  });

  it('announces an expiry as hookyard.inbound_hook.expired to the webhooks subscribed to it, exactly once even when two sweeps run at once', async () => {
    const news = await startReceiver();
    try {
      const { webhookId } = await createWebhookSetup(hy.admin, news.url, { eventType: 'news.happened', webhook: { eventTypes: ['hookyard.inbound_hook.expired'] } });
      const hook = await createInboundHook(hy.admin, { name: 'Parcel scans', eventType: 'pallet.scanned' });
      const t0 = new Date(Date.now() + 1000);
      await sweepInboundExpiry(deps, t0);
      const unheardSince = (await pool.query('select unheard_since from inbound_hook where id = $1', [hook.id])).rows[0].unheard_since;
      const at = new Date(unheardSince.getTime() + INBOUND_EXPIRY_MS);
      const both = await Promise.all([sweepInboundExpiry(deps, at), sweepInboundExpiry(deps, at)]);
      expect(both.flat()).toEqual([hook.id]);

      await news.waitFor(1);
      const [request] = news.requests;
      const sent = JSON.parse(request.body);
      expect(sent.type).toBe('hookyard.inbound_hook.expired');
      const reason = (await hy.admin(`{ node(id: "${hook.id}") { ... on InboundHook { statusReason } } }`)).data.node.statusReason;
      expect(sent.data).toEqual({ inboundHookId: hook.id, name: 'Parcel scans', eventType: 'pallet.scanned', reason });
      expect(request.headers['webhook-signature']).toMatch(/^v1,/);
      // One event, one delivery, and it succeeded: nothing is left to send it again.
      const events = (await pool.query(`select e.id, d.status from event e join delivery d on d.event_id = e.id where e.type = 'hookyard.inbound_hook.expired' and d.webhook_id = $1`, [webhookId])).rows;
      expect(events).toHaveLength(1);
      await eventually(async () => ((await pool.query('select status from delivery where event_id = $1', [events[0].id])).rows[0].status === 'SUCCEEDED' ? true : null), 10_000, 'the announcement SUCCEEDED');
      expect(news.requests).toHaveLength(1);
    } finally {
      await news.close();
    }
  });
});

describe('inbound retention', () => {
  const hy = useTestHookyard();

  it('deletes log entries older than the retention period, and keeps queue items whatever their age', async () => {
    const { createInboundRetentionHandler } = await import('../../worker/inbound/inbound-retention-job.ts');
    const { createLogger } = await import('../../infra/logger.ts');
    const hook = await createHeldHook(hy.admin, { dataStructure: { type: 'object', required: ['ok'] } });
    await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: '{"ok":1}' });
    await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    await call(hook.url, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    const [newest, refusedOld, queuedOld] = await inboundRequests(hy.admin, { hookId: hook.id });
    const pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 2 });
    try {
      const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600_000);
      await pool.query('update inbound_request set received_at = $2 where id = any($1::text[])', [[refusedOld.id, queuedOld.id], eightDaysAgo]);
      const retention = createInboundRetentionHandler({ pool, log: createLogger('silent'), retentionDays: 7 });
      expect(await retention()).toBe(1);
      const left = (await inboundRequests(hy.admin, { hookId: hook.id })).map((r) => r.id).sort();
      expect(left).toEqual([newest.id, queuedOld.id].sort());
    } finally {
      await pool.end();
    }
  });
});
