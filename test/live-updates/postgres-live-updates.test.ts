// The API's live feed on its own, against a real PostgreSQL: ordering, coalescing for
// a slow subscriber and its resync, resync after the LISTEN connection comes back,
// bodies only on request, and revocation of the subscriber's key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createLogger } from '../../infra/logger.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { notifyUpdatesSql } from '../../core/sql/live-updates.ts';
import { createPostgresEventTarget, type PostgresEventTarget } from '../../core/live-updates/listener.ts';
import { createPostgresLiveUpdates, MAX_PENDING_UPDATES, type PostgresLiveUpdates } from '../../core/live-updates/postgres-live-updates.ts';
import { createCatalog, insertAttempt, insertDeliveries, variedDeliveries, withClient, type Catalog, type SeedDelivery } from '../support/seed.ts';
import type { LiveEvent } from '../../core/live-updates/subscriptions.ts';

describe('the live feed of an API process', () => {
  let hy: TestHookyard;
  let pool: pg.Pool;
  let target: PostgresEventTarget;
  let feed: PostgresLiveUpdates;
  let catalog: Catalog;
  let rows: SeedDelivery[];

  const changesOf = (list: SeedDelivery[]): LiveUpdate[] => list.map((r) => ({ kind: 'delivery', tenantId: r.tenantId, id: r.id, webhookId: r.webhookId, integratorId: r.integratorId }));

  beforeAll(async () => {
    hy = await startTestHookyard();
    catalog = await createCatalog(hy.admin, hy.databaseUrl, hy.adminToken, 'f');
    rows = variedDeliveries(catalog, MAX_PENDING_UPDATES + 100);
    await withClient(hy.databaseUrl, (c) => insertDeliveries(c, rows));
    pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 3 });
    const log = createLogger('silent');
    target = createPostgresEventTarget({ connectionString: hy.databaseUrl }, log);
    await target.ready;
    feed = createPostgresLiveUpdates(target, pool, log);
  });
  afterAll(async () => {
    feed?.close();
    await target?.close();
    await pool?.end();
    await hy?.stop();
  });

  it('hands a subscriber that keeps up every change, in commit order', async () => {
    const updates = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: 'key_reader', kind: 'delivery', matches: () => true });
    const sent = rows.slice(0, 120);
    // Two notifications, which may arrive as one burst or two: the order holds either way.
    await pool.query(notifyUpdatesSql(changesOf(sent.slice(0, 60))));
    await pool.query(notifyUpdatesSql(changesOf(sent.slice(60))));
    const got: string[] = [];
    for (let i = 0; i < sent.length; i++) {
      const { value } = await updates.next();
      expect(value?.type).toBe('row');
      if (value?.type === 'row') got.push(value.row.id as string);
    }
    expect(got).toEqual(sent.map((r) => r.id));
    await updates.return!();
    expect(feed.subscriptions).toBe(0);
  });

  const pendingOf = (updates: AsyncIterableIterator<LiveEvent>) => (updates as AsyncIterableIterator<LiveEvent> & { pending: number }).pending;

  /** Waits until a subscription has `count` rows (or a resync) waiting, without reading them. */
  async function waiting(updates: AsyncIterableIterator<LiveEvent>, count: number): Promise<void> {
    const started = Date.now();
    while (pendingOf(updates) < count) {
      if (Date.now() - started > 10_000) throw new Error(`only ${pendingOf(updates)} of ${count} updates arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('keeps only the latest state of a row that changed again while waiting, in its first place', async () => {
    const updates = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: 'key_slow', kind: 'delivery', matches: () => true });
    const [a, b, c] = rows;
    await pool.query(notifyUpdatesSql(changesOf([a, b])));
    await waiting(updates, 2);
    await pool.query(`update delivery set attempt_count = 7 where id = $1`, [a.id]);
    await pool.query(notifyUpdatesSql(changesOf([a])));
    // Notifications are heard in order: once c waits, a's second state has replaced its first.
    await pool.query(notifyUpdatesSql(changesOf([c])));
    await waiting(updates, 3);
    const got: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const { value } = await updates.next();
      got.push(value?.type === 'row' ? [value.row.id, value.row.attempt_count] : value);
    }
    expect(got).toEqual([
      [a.id, 7],
      [b.id, b.attemptCount],
      [c.id, c.attemptCount],
    ]);
    await pool.query(`update delivery set attempt_count = $2 where id = $1`, [a.id, a.attemptCount]);
    await updates.return!();
  });

  it('sends a subscriber that fell too far behind one resync in place of what it missed, then goes on', async () => {
    const updates = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: 'key_slow', kind: 'delivery', matches: () => true });
    // Exactly the limit waits as rows: no resync yet.
    await pool.query(notifyUpdatesSql(changesOf(rows.slice(0, MAX_PENDING_UPDATES))));
    await waiting(updates, MAX_PENDING_UPDATES);
    // One more distinct row is one too many: the waiting rows are dropped for a resync.
    await pool.query(notifyUpdatesSql(changesOf(rows.slice(MAX_PENDING_UPDATES, MAX_PENDING_UPDATES + 1))));
    const started = Date.now();
    while (pendingOf(updates) !== 1 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(feed.subscriptions).toBe(1);
    expect((await updates.next()).value).toEqual({ type: 'resync', reason: 'BEHIND', skipped: MAX_PENDING_UPDATES + 1 });
    // The feed goes on: the next change arrives as a row.
    const later = rows[MAX_PENDING_UPDATES + 1];
    await pool.query(notifyUpdatesSql(changesOf([later])));
    expect((await updates.next()).value).toMatchObject({ type: 'row', row: { id: later.id } });
    await updates.return!();
    expect(feed.subscriptions).toBe(0);
  });

  it('sends every subscriber a resync once its LISTEN connection is back after pg_terminate_backend', async () => {
    // A real key: after a reconnect the feed checks that its subscribers' keys still stand.
    const { rows: keys } = await pool.query<{ id: string }>('select id from api_key where tenant_id = $1 and revoked_at is null limit 1', [catalog.tenantId]);
    const one = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: keys[0].id, kind: 'delivery', matches: () => true });
    const two = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: keys[0].id, kind: 'attempt', matches: () => true });
    const reading = [one.next(), two.next()];
    await pool.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'hookyard-live-updates' and datname = current_database()`);
    for (const result of await Promise.all(reading)) expect(result.value).toEqual({ type: 'resync', reason: 'CONNECTION_RESTORED', skipped: 0 });
    await pool.query(notifyUpdatesSql(changesOf(rows.slice(0, 1))));
    expect((await one.next()).value).toMatchObject({ type: 'row', row: { id: rows[0].id } });
    await one.return!();
    await two.return!();
  });

  it('pushes attempts without their bodies unless the subscription asks for them', async () => {
    const bare = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: 'key_bare', kind: 'attempt', matches: () => true });
    const full = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: 'key_full', kind: 'attempt', withBodies: true, matches: () => true });
    const target = rows[0];
    const id = await insertAttempt(pool, { tenantId: target.tenantId, deliveryId: target.id, webhookId: target.webhookId, succeeded: true, createdAt: new Date().toISOString() });
    await pool.query(notifyUpdatesSql([{ kind: 'attempt', tenantId: target.tenantId, id, webhookId: target.webhookId, deliveryId: target.id }]));
    const [withoutBodies, withBodies] = [(await bare.next()).value, (await full.next()).value];
    expect(withoutBodies).toMatchObject({ type: 'row', row: { id, request_body: null, response_body: null, response_status: 200, duration_ms: 42 } });
    expect(withBodies).toMatchObject({ type: 'row', row: { id, request_body: '{"seeded":true}', response_body: 'ok' } });
    // Alone, a subscriber without bodies has them left out of the query itself.
    await full.return!();
    const id2 = await insertAttempt(pool, { tenantId: target.tenantId, deliveryId: target.id, webhookId: target.webhookId, succeeded: true, createdAt: new Date().toISOString(), number: 2 });
    await pool.query(notifyUpdatesSql([{ kind: 'attempt', tenantId: target.tenantId, id: id2, webhookId: target.webhookId, deliveryId: target.id }]));
    expect((await bare.next()).value).toMatchObject({ type: 'row', row: { id: id2, request_body: null, response_body: null, request_url: 'http://127.0.0.1/hook' } });
    await bare.return!();
  });

  it('ends the feeds and sessions of a revoked key, and only those', async () => {
    const revoked = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: 'key_gone', kind: 'delivery', matches: () => true });
    const kept = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: 'key_kept', kind: 'delivery', matches: () => true });
    let closed = 0;
    feed.trackSession('key_gone', catalog.tenantId, () => closed++);
    const pending = revoked.next();
    await pool.query(notifyUpdatesSql([{ kind: 'apiKey', tenantId: catalog.tenantId, id: 'key_gone' }]));
    expect((await pending).done).toBe(true);
    expect(closed).toBe(1);
    await pool.query(notifyUpdatesSql(changesOf(rows.slice(0, 1))));
    expect((await kept.next()).value).toMatchObject({ type: 'row', row: { id: rows[0].id } });
    await kept.return!();
  });
});
