// The API's live feed on its own, against a real PostgreSQL: ordering, a subscriber
// that falls too far behind, and revocation of the subscriber's key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createLogger } from '../../infra/logger.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { notifyUpdatesSql } from '../../core/sql/live-updates.ts';
import { createPostgresEventTarget, type PostgresEventTarget } from '../../core/live-updates/listener.ts';
import { createPostgresLiveUpdates, MAX_PENDING_UPDATES, type PostgresLiveUpdates } from '../../core/live-updates/postgres-live-updates.ts';
import { createCatalog, insertDeliveries, variedDeliveries, withClient, type Catalog, type SeedDelivery } from '../support/seed.ts';

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

  it('tells a subscriber that fell too far behind, then ends its feed', async () => {
    const updates = feed.subscribe({ tenantId: catalog.tenantId, apiKeyId: 'key_slow', kind: 'delivery', matches: () => true });
    for (let i = 0; i < rows.length; i += 100) await pool.query(notifyUpdatesSql(changesOf(rows.slice(i, i + 100))));
    const started = Date.now();
    while (feed.subscriptions > 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(feed.subscriptions).toBe(0);
    expect((await updates.next()).value).toEqual({ type: 'overflow', pending: MAX_PENDING_UPDATES + 1 });
    expect((await updates.next()).done).toBe(true);
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
