// Subscriptions across OS processes: the API runs as its own `node start.ts` process
// (HOOKYARD_ROLE=api); this test process plays the worker, committing rows and
// NOTIFYing on another connection, exactly as the delivery engine does.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { startHookyardProcess, type HookyardProcess } from '../support/processes.ts';
import { gqlClient, mutate, type GqlClient } from '../support/graphql.ts';
import { createTenant, createWebhook } from '../support/fixtures.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { notifyUpdatesSql } from '../../core/sql/live-updates.ts';
import { createCatalog, insertAttempt, insertDeliveries, variedDeliveries, type Catalog, type SeedDelivery } from '../support/seed.ts';
import { startReceiver } from '../support/receiver.ts';
import { openLiveSocket, type LiveSocket } from '../support/live.ts';

const DELIVERY_UPDATED = `subscription ($webhookId: ID, $integratorId: ID) {
  deliveryUpdated(webhookId: $webhookId, integratorId: $integratorId) { ... on Delivery { id status attemptCount webhook { id name } integrator { id } } ... on Resync { reason } }
}`;
const ATTEMPT_RECORDED = `subscription ($webhookId: ID, $deliveryId: ID) {
  attemptRecorded(webhookId: $webhookId, deliveryId: $deliveryId) { ... on Attempt { id deliveryId succeeded response { status } } ... on Resync { reason } }
}`;
const WEBHOOK_UPDATED = `subscription ($webhookId: ID) { webhookUpdated(webhookId: $webhookId) { ... on Webhook { id name status } } }`;

describe('subscriptions across processes', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let api: HookyardProcess;
  let baseUrl: string;
  let writer: pg.Pool;
  const adminToken = `hy_${'a'.repeat(43)}`;
  let admin: GqlClient;
  let catalog: Catalog;
  let neighbour: { tenantId: string; token: string; catalog: Catalog };
  const sockets: LiveSocket[] = [];

  /** Commits deliveries (and optionally attempts) with their NOTIFY in one transaction, as the worker does. */
  async function commit(rows: SeedDelivery[], extra: (client: pg.PoolClient) => Promise<LiveUpdate[]> = async () => []) {
    const client = await writer.connect();
    try {
      await client.query('begin');
      await insertDeliveries(client, rows);
      const changes: LiveUpdate[] = rows.map((r) => ({ kind: 'delivery', tenantId: r.tenantId, id: r.id, webhookId: r.webhookId, integratorId: r.integratorId }));
      changes.push(...(await extra(client)));
      await client.query(notifyUpdatesSql(changes));
      await client.query('commit');
    } finally {
      client.release();
    }
  }

  async function socket(token: string | null): Promise<LiveSocket> {
    const s = await openLiveSocket(baseUrl);
    sockets.push(s);
    if (token) expect(await s.init({ authorization: `Bearer ${token}` })).toBe('ack');
    return s;
  }

  async function activeSubscriptions(url: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^hookyard_subscriptions_active (\d+)$/m.exec(text)![1]);
  }

  /** Subscribes and waits until the API process counts the subscription (its /metrics says so). */
  async function subscribed(s: LiveSocket, query: string, variables?: Record<string, unknown>, url = baseUrl): Promise<string> {
    const before = await activeSubscriptions(url);
    const id = s.subscribe(query, variables);
    const started = Date.now();
    while ((await activeSubscriptions(url)) <= before) {
      if (Date.now() - started > 10_000) throw new Error('the subscription did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    return id;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-live-'));
    const port = await freePort();
    api = await startHookyardProcess({
      HOOKYARD_ROLE: 'api',
      DATABASE_URL: database.url,
      PORT: String(port),
      HOOKYARD_ADMIN_TOKEN: adminToken,
      HOOKYARD_DATA_DIR: dataDir,
      HOOKYARD_URL_POLICY: 'permissive',
      LOG_LEVEL: 'warn',
    });
    baseUrl = `http://127.0.0.1:${port}`;
    admin = gqlClient(baseUrl, adminToken);
    writer = new pg.Pool({ connectionString: database.url, max: 3 });
    catalog = await createCatalog(admin, database.url, adminToken, 'a');
    const tenant = await createTenant(database.url, 'neighbour');
    neighbour = { ...tenant, catalog: await createCatalog(gqlClient(baseUrl, tenant.token), database.url, tenant.token, 'b') };
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await writer?.end();
    await api?.stop();
    await database?.drop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('pushes a delivery committed by another process to the subscriber, then its status change', async () => {
    const s = await socket(adminToken);
    const sub = await subscribed(s, DELIVERY_UPDATED);
    const [row] = variedDeliveries(catalog, 4).filter((r) => r.status === 'PENDING');
    await commit([{ ...row, attemptCount: 0 }]);
    const created = await s.next(sub);
    expect(created.data.deliveryUpdated).toMatchObject({ id: row.id, status: 'PENDING', webhook: { id: row.webhookId }, integrator: { id: row.integratorId } });

    const client = await writer.connect();
    try {
      await client.query('begin');
      await client.query(`update delivery set status = 'SUCCEEDED', attempt_count = 1, delivered_at = now(), last_attempt_at = now() where id = $1`, [row.id]);
      await client.query(notifyUpdatesSql([{ kind: 'delivery', tenantId: row.tenantId, id: row.id, webhookId: row.webhookId, integratorId: row.integratorId }]));
      await client.query('commit');
    } finally {
      client.release();
    }
    const changed = await s.next(sub);
    expect(changed.data.deliveryUpdated).toMatchObject({ id: row.id, status: 'SUCCEEDED', attemptCount: 1 });
  });

  it('narrows deliveryUpdated to a webhook or an integrator, and attemptRecorded to a delivery', async () => {
    const s = await socket(adminToken);
    const webhook = catalog.webhooks[1];
    const integrator = catalog.integrators[2];
    const byWebhook = await subscribed(s, DELIVERY_UPDATED, { webhookId: webhook.id });
    const byIntegrator = await subscribed(s, DELIVERY_UPDATED, { integratorId: integrator.id });
    const rows = variedDeliveries(catalog, 12);
    const target = rows.find((r) => r.webhookId === webhook.id)!;
    await commit(rows);
    const expectWebhook = rows.filter((r) => r.webhookId === webhook.id).map((r) => r.id);
    const expectIntegrator = rows.filter((r) => r.integratorId === integrator.id).map((r) => r.id);
    expect(expectWebhook.length).toBeGreaterThan(1);
    expect(expectIntegrator.length).toBeGreaterThan(1);
    const got = async (id: string, count: number) => {
      const list = [];
      for (let i = 0; i < count; i++) list.push(await s.next(id));
      return list;
    };
    expect((await got(byWebhook, expectWebhook.length)).map((p) => p.data.deliveryUpdated.id)).toEqual(expectWebhook);
    expect((await got(byIntegrator, expectIntegrator.length)).map((p) => p.data.deliveryUpdated.id)).toEqual(expectIntegrator);
    // Attempts of several deliveries, recorded in one transaction with their delivery updates.
    const byDelivery = await subscribed(s, ATTEMPT_RECORDED, { deliveryId: target.id });
    const attemptIds: string[] = [];
    const targetAttempts: string[] = [];
    await commit([], async (client) => {
      const changes: LiveUpdate[] = [];
      for (const r of rows.slice(0, 4).concat(target)) {
        const id = await insertAttempt(client, { tenantId: r.tenantId, deliveryId: r.id, webhookId: r.webhookId, succeeded: true, createdAt: r.createdAt });
        attemptIds.push(id);
        if (r.id === target.id) targetAttempts.push(id);
        changes.push({ kind: 'attempt', tenantId: r.tenantId, id, webhookId: r.webhookId, deliveryId: r.id, integratorId: r.integratorId });
      }
      return changes;
    });
    for (const id of targetAttempts) {
      const attempt = await s.next(byDelivery);
      expect(attempt.errors).toBeUndefined();
      expect(attempt.data.attemptRecorded).toMatchObject({ id, deliveryId: target.id, succeeded: true, response: { status: 200 } });
    }
    // Nothing else arrives for the narrowed subscriptions: markers for each, committed last, arrive
    // (updates go out in commit order), and nothing came before them but what was expected.
    const later = variedDeliveries(catalog, 12);
    const markers = [later.find((r) => r.webhookId === webhook.id)!, later.find((r) => r.integratorId === integrator.id)!].filter((r, i, all) => all.indexOf(r) === i);
    let markerAttempt = '';
    await commit(markers, async (client) => {
      markerAttempt = await insertAttempt(client, { tenantId: target.tenantId, deliveryId: target.id, webhookId: target.webhookId, succeeded: true, createdAt: target.createdAt, number: 2 });
      return [{ kind: 'attempt', tenantId: target.tenantId, id: markerAttempt, webhookId: target.webhookId, deliveryId: target.id, integratorId: target.integratorId }];
    });
    const markersOf = (match: (r: SeedDelivery) => boolean) => markers.filter(match).map((r) => r.id);
    const webhookMarkers = markersOf((r) => r.webhookId === webhook.id);
    const integratorMarkers = markersOf((r) => r.integratorId === integrator.id);
    expect((await got(byWebhook, webhookMarkers.length)).map((p) => p.data.deliveryUpdated.id)).toEqual(webhookMarkers);
    expect((await got(byIntegrator, integratorMarkers.length)).map((p) => p.data.deliveryUpdated.id)).toEqual(integratorMarkers);
    expect((await s.next(byDelivery)).data.attemptRecorded.id).toBe(markerAttempt);
    expect(s.received(byWebhook).map((p) => p.data.deliveryUpdated.id)).toEqual([...expectWebhook, ...webhookMarkers]);
    expect(s.received(byIntegrator).map((p) => p.data.deliveryUpdated.id)).toEqual([...expectIntegrator, ...integratorMarkers]);
    expect(s.received(byDelivery).map((p) => p.data.attemptRecorded.id)).toEqual([...targetAttempts, markerAttempt]);
    expect(attemptIds.length).toBeGreaterThan(targetAttempts.length);
  });

  it('pushes webhook changes made through the API', async () => {
    const s = await socket(adminToken);
    const webhook = catalog.webhooks[0];
    const sub = await subscribed(s, WEBHOOK_UPDATED, { webhookId: webhook.id });
    await mutate(admin, 'mutation ($input: UpdateWebhookInput!) { updateWebhook(input: $input) { __typename } }', { input: { id: webhook.id, name: 'renamed orders' } });
    expect((await s.next(sub)).data.webhookUpdated).toEqual({ id: webhook.id, name: 'renamed orders', status: 'ACTIVE' });
    await mutate(admin, 'mutation ($input: WebhookActionInput!) { pauseWebhook(input: $input) { __typename } }', { input: { id: webhook.id } });
    expect((await s.next(sub)).data.webhookUpdated).toMatchObject({ id: webhook.id, status: 'PAUSED' });
  });

  it("never hands a subscriber another tenant's rows, even for a notification that names its tenant", async () => {
    const mine = await socket(adminToken);
    const theirs = await socket(neighbour.token);
    const mineSub = await subscribed(mine, DELIVERY_UPDATED);
    const theirSub = await subscribed(theirs, DELIVERY_UPDATED);
    const theirAttempts = await subscribed(theirs, ATTEMPT_RECORDED);
    const rowsA = variedDeliveries(catalog, 3);
    const rowsB = variedDeliveries(neighbour.catalog, 2);
    await commit([...rowsA, ...rowsB]);
    // A forged notification: tenant B's id on tenant A's rows.
    await writer.query(
      notifyUpdatesSql([
        { kind: 'delivery', tenantId: neighbour.tenantId, id: rowsA[0].id, webhookId: rowsA[0].webhookId },
        { kind: 'attempt', tenantId: neighbour.tenantId, id: rowsA[1].id, webhookId: rowsA[1].webhookId },
      ]),
    );
    // A marker for tenant B, sent last (a delivery and its attempt): once each arrives, everything
    // before it was handled, and nothing else may have come before it.
    const marker = variedDeliveries(neighbour.catalog, 1);
    let markerAttempt = '';
    await commit(marker, async (client) => {
      const [m] = marker;
      markerAttempt = await insertAttempt(client, { tenantId: m.tenantId, deliveryId: m.id, webhookId: m.webhookId, succeeded: true, createdAt: m.createdAt });
      return [{ kind: 'attempt', tenantId: m.tenantId, id: markerAttempt, webhookId: m.webhookId, deliveryId: m.id, integratorId: m.integratorId }];
    });
    const theirIds: string[] = [];
    for (let i = 0; i < rowsB.length + 1; i++) theirIds.push((await theirs.next(theirSub)).data.deliveryUpdated.id);
    expect(theirIds).toEqual([...rowsB, ...marker].map((r) => r.id));
    expect((await theirs.next(theirAttempts)).data.attemptRecorded.id).toBe(markerAttempt);
    const mineIds: string[] = [];
    for (let i = 0; i < rowsA.length; i++) mineIds.push((await mine.next(mineSub)).data.deliveryUpdated.id);
    expect(mineIds).toEqual(rowsA.map((r) => r.id));
    expect(theirs.received(theirSub)).toHaveLength(rowsB.length + 1);
    expect(theirs.received(theirAttempts).map((p) => p.data.attemptRecorded.id)).toEqual([markerAttempt]);
  });

  it("refuses to subscribe to another tenant's webhook", async () => {
    const s = await socket(neighbour.token);
    const id = s.subscribe(DELIVERY_UPDATED, { webhookId: catalog.webhooks[0].id });
    const result = await s.next(id);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(result.data ?? null).toBeNull();
  });

  // 4408 is graphql-ws's close for a missing connection_init; how long the server waits (3 s)
  // is measured by test/bench/delivery-log.ts, not asserted here.
  it('closes a socket that sends no connection_init within 3 s with 4408', async () => {
    const s = await socket(null);
    expect(await s.closed(8000)).toMatchObject({ code: 4408 });
  });

  it('closes with 4403 for a bad token and 4429 for a second connection_init', async () => {
    const bad = await socket(null);
    expect(await bad.init({ authorization: 'Bearer hy_not-a-key' })).toMatchObject({ code: 4403 });
    const missing = await socket(null);
    expect(await missing.init({})).toMatchObject({ code: 4403 });
    const twice = await socket(adminToken);
    twice.sendRaw({ type: 'connection_init', payload: { authorization: `Bearer ${adminToken}` } });
    expect(await twice.closed()).toMatchObject({ code: 4429 });
  });

  it('pushes attempts without request and response bodies unless withBodies asks for them', async () => {
    const BODIES = `subscription ($deliveryId: ID, $withBodies: Boolean) {
      attemptRecorded(deliveryId: $deliveryId, withBodies: $withBodies) { ... on Attempt { id request { body } response { status body } } }
    }`;
    const [target] = variedDeliveries(catalog, 1);
    await commit([target]);
    const s = await socket(adminToken);
    const bare = await subscribed(s, BODIES, { deliveryId: target.id });
    const full = await subscribed(s, BODIES, { deliveryId: target.id, withBodies: true });
    let id = '';
    await commit([], async (client) => {
      id = await insertAttempt(client, { tenantId: target.tenantId, deliveryId: target.id, webhookId: target.webhookId, succeeded: true, createdAt: target.createdAt });
      return [{ kind: 'attempt', tenantId: target.tenantId, id, webhookId: target.webhookId, deliveryId: target.id, integratorId: target.integratorId }];
    });
    expect((await s.next(bare)).data.attemptRecorded).toEqual({ id, request: { body: null }, response: { status: 200, body: null } });
    expect((await s.next(full)).data.attemptRecorded).toEqual({ id, request: { body: '{"seeded":true}' }, response: { status: 200, body: 'ok' } });
    // The same attempt read by id has its bodies: only the push leaves them out.
    const read = await admin('query ($id: ID!) { node(id: $id) { ... on Attempt { request { body } } } }', { id });
    expect(read.data.node.request.body).toBe('{"seeded":true}');
  });

  it('ends the subscriptions of a revoked key: its socket closes with 4403', async () => {
    const created = await mutate(admin, 'mutation { createApiKey(input: { name: "dashboard", role: VIEWER }) { ... on CreateApiKeyPayload { token apiKey { id } } } }');
    const s = await socket(created.token);
    await subscribed(s, DELIVERY_UPDATED);
    await mutate(admin, 'mutation ($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }', { input: { id: created.apiKey.id } });
    expect(await s.closed(5000)).toMatchObject({ code: 4403 });
  });

  it('sends a resync after its LISTEN connection is killed and back, keeps pushing, and closes keys revoked while it was away', async () => {
    const created = await mutate(admin, 'mutation { createApiKey(input: { name: "ops", role: VIEWER }) { ... on CreateApiKeyPayload { token apiKey { id } } } }');
    const watcher = await socket(adminToken);
    const sub = await subscribed(watcher, DELIVERY_UPDATED);
    const doomed = await socket(created.token);
    await subscribed(doomed, DELIVERY_UPDATED);
    // Revoked without any notification: only the check after a reconnect can notice.
    await writer.query('update api_key set revoked_at = now() where id = $1', [created.apiKey.id]);
    const listener = async () => (await writer.query(`select pid from pg_stat_activity where application_name = 'hookyard-live-updates' and datname = current_database()`)).rows.map((r) => r.pid as number);
    const [old] = await listener();
    expect(old).toBeTypeOf('number');
    await writer.query('select pg_terminate_backend($1)', [old]);
    const started = Date.now();
    let now: number[] = [];
    while (Date.now() - started < 10_000) {
      now = (await listener()).filter((pid) => pid !== old);
      if (now.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(now).toHaveLength(1);
    expect(await doomed.closed(5000)).toMatchObject({ code: 4403 });
    // Notifications sent while it was away are lost: the subscriber is told to refetch, and goes on.
    expect((await watcher.next(sub)).data.deliveryUpdated).toEqual({ reason: 'CONNECTION_RESTORED' });
    // Counted for operators.
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(Number(/^hookyard_live_resyncs_total\{reason="CONNECTION_RESTORED"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/^hookyard_live_pending_rows \d+$/m);
    const rows = variedDeliveries(catalog, 1);
    await commit(rows);
    expect((await watcher.next(sub)).data.deliveryUpdated.id).toBe(rows[0].id);
  });

  it('serves the same subscriptions to a second API process from the same notifications', async () => {
    const port = await freePort();
    const second = await startHookyardProcess({
      HOOKYARD_ROLE: 'api',
      DATABASE_URL: database.url,
      PORT: String(port),
      HOOKYARD_ADMIN_TOKEN: adminToken,
      HOOKYARD_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    });
    try {
      const first = await socket(adminToken);
      const other = await openLiveSocket(`http://127.0.0.1:${port}`);
      sockets.push(other);
      expect(await other.init({ authorization: `Bearer ${adminToken}` })).toBe('ack');
      const a = await subscribed(first, DELIVERY_UPDATED);
      const b = await subscribed(other, DELIVERY_UPDATED, undefined, `http://127.0.0.1:${port}`);
      const rows = variedDeliveries(catalog, 2);
      await commit(rows);
      for (const [s, id] of [[first, a], [other, b]] as const) {
        const ids = [(await s.next(id)).data.deliveryUpdated.id, (await s.next(id)).data.deliveryUpdated.id];
        expect(ids).toEqual(rows.map((r) => r.id));
      }
    } finally {
      await second.stop();
    }
  });
  it('pushes a real delivery, made by a worker process, to the subscriber of the API process', async () => {
    const receiver = await startReceiver();
    const worker = await startHookyardProcess({
      HOOKYARD_ROLE: 'worker',
      DATABASE_URL: database.url,
      HOOKYARD_ADMIN_TOKEN: adminToken,
      HOOKYARD_DATA_DIR: dataDir,
      HOOKYARD_URL_POLICY: 'permissive',
      LOG_LEVEL: 'warn',
    });
    try {
      const { webhook } = await createWebhook(admin, { integratorId: catalog.integrators[0].id, name: 'live receiver', url: receiver.url, eventTypes: ['invoice.paid'] });
      const s = await socket(adminToken);
      const deliveries = await subscribed(s, DELIVERY_UPDATED, { webhookId: webhook.id });
      const attempts = await subscribed(s, ATTEMPT_RECORDED, { webhookId: webhook.id });
      const published = await mutate(admin, 'mutation ($input: PublishEventInput!) { publishEvent(input: $input) { __typename ... on PublishedEvent { event { id } } ... on Error { message } } }', {
        input: { type: 'invoice.paid', payload: { invoice: 'inv_1' } },
      });
      expect(published.__typename).toBe('PublishedEvent');
      await receiver.waitFor(1);
      const attempt = (await s.next(attempts)).data.attemptRecorded;
      expect(attempt).toMatchObject({ succeeded: true, response: { status: 200 } });
      // The delivery's updates, in order, end SUCCEEDED (created PENDING first).
      let last = (await s.next(deliveries)).data.deliveryUpdated;
      while (last.status !== 'SUCCEEDED') last = (await s.next(deliveries)).data.deliveryUpdated;
      expect(last).toMatchObject({ id: attempt.deliveryId, attemptCount: 1, webhook: { id: webhook.id } });
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });
});

