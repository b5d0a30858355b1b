// inboundHookUpdated over a real graphql-ws client: an inbound hook's status and settings
// as they change elsewhere (another operator, the expiry sweep, failed scheduled runs, a
// determined data structure) reach a subscriber without a reload, for its own tenant only.
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually } from '../support/receiver.ts';
import { addApiKey, createTenant } from '../support/fixtures.ts';
import { sql } from '../support/sql.ts';
import { newId } from '../../core/ids.ts';
import { sweepInboundExpiry, INBOUND_EXPIRY_MS } from '../../core/inbound/expiry.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { createLogger } from '../../infra/logger.ts';
import { call, createInboundHook, runInbound } from './support.ts';

const SUBSCRIPTION = `subscription($h: ID) { inboundHookUpdated(hookId: $h) {
  __typename ... on InboundHook { id name status statusReason failedRuns dataStructureSource redeterminePending } ... on Resync { reason } } }`;

describe('inboundHookUpdated', () => {
  const hy = useTestHookyard();
  const clients: Client[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
  });

  /** A graphql-ws client subscribed to inboundHookUpdated; `pushed` fills as updates arrive. */
  async function watch(token: string, hookId?: string) {
    const client = createClient({ url: `${hy.baseUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    clients.push(client);
    const pushed: any[] = [];
    const errors: unknown[] = [];
    client.subscribe({ query: SUBSCRIPTION, variables: { h: hookId ?? null } }, {
      next: (value: any) => (value.errors ? errors.push(value.errors) : pushed.push(value.data.inboundHookUpdated)),
      error: (error) => errors.push(error),
      complete: () => undefined,
    });
    return {
      pushed,
      errors,
      /** The first update (from `from` on) that `match` accepts. */
      next: (match: (update: any) => boolean, from = 0, what = 'an update') => eventually(async () => pushed.slice(from).find(match), 15_000, what),
    };
  }

  /** Renames `hookId` (as `client`) until `feed` hears it: the subscription is in place once it does. */
  async function ready(feed: Awaited<ReturnType<typeof watch>>, hookId: string, client = hy.admin) {
    for (let n = 0; n < 40; n++) {
      const name = `probe ${n}`;
      await runInbound(client, 'updateInboundHook', { id: hookId, name });
      const heard = await eventually(async () => feed.pushed.some((u) => u.name === name), 250, 'probe').catch(() => false);
      if (heard) return;
    }
    throw new Error(`the subscription heard none of 40 renames; errors: ${JSON.stringify(feed.errors)}`);
  }

  it('pushes a hook stopped, edited and deleted by another operator, narrowed to one hook, to its own tenant only', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.live' });
    const other = await createInboundHook(hy.admin, { eventType: 'order.live', name: 'Other hook' });
    const all = await watch(hy.adminToken);
    const one = await watch(hy.adminToken, hook.id);
    const tenant = (await hy.admin('{ viewer { tenant { id } } }')).data.viewer.tenant.id;
    const stranger = await createTenant(hy.databaseUrl, 'Stranger');
    const strangers = await watch(stranger.token);
    await ready(all, hook.id);
    await ready(one, hook.id);
    const strangerHook = await createInboundHook(hy.client(stranger.token), { eventType: 'order.live', name: 'Stranger hook' });
    await ready(strangers, strangerHook.id, hy.client(stranger.token));

    // Another operator, with a key of their own.
    const colleague = hy.client(await addApiKey(hy.databaseUrl, tenant, 'ADMIN'));
    const from = { all: all.pushed.length, one: one.pushed.length, strangers: strangers.pushed.length };
    await runInbound(colleague, 'updateInboundHook', { id: hook.id, status: 'STOPPED' });
    expect(await one.next((u) => u.status === 'STOPPED', from.one)).toMatchObject({ id: hook.id, status: 'STOPPED', statusReason: 'stopped by a person' });
    await runInbound(colleague, 'updateInboundHook', { id: other.id, name: 'Other hook, renamed' });
    expect(await all.next((u) => u.id === other.id, from.all)).toMatchObject({ name: 'Other hook, renamed', status: 'ACTIVE' });
    await runInbound(colleague, 'deleteInboundHook', { id: hook.id });
    expect(await all.next((u) => u.status === 'DELETED', from.all)).toMatchObject({ id: hook.id });
    expect(await one.next((u) => u.status === 'DELETED', from.one)).toMatchObject({ id: hook.id });

    // The narrowed feed never saw the other hook; the other tenant saw none of it (its own update, made last, arrived).
    expect(one.pushed.slice(from.one).every((u) => u.id === hook.id)).toBe(true);
    await runInbound(hy.client(stranger.token), 'updateInboundHook', { id: strangerHook.id, name: 'Stranger hook, last' });
    await strangers.next((u) => u.name === 'Stranger hook, last', from.strangers);
    expect(strangers.pushed.slice(from.strangers).map((u) => u.id)).toEqual([strangerHook.id]);
    expect([...all.errors, ...one.errors, ...strangers.errors]).toEqual([]);
  });

  it('pushes the expiry sweep moving a hook to EXPIRED, with the reason', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'parcel.lost' });
    const feed = await watch(hy.adminToken, hook.id);
    await ready(feed, hook.id);
    const pool = new pg.Pool({ connectionString: hy.databaseUrl, max: 2 });
    const boss = new PgBoss({ connectionString: hy.databaseUrl, schema: BOSS_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
    const deps = { pool, boss, log: createLogger('silent') };
    try {
      await sweepInboundExpiry(deps, new Date());
      const unheardSince = (await pool.query('select unheard_since from inbound_hook where id = $1', [hook.id])).rows[0].unheard_since as Date;
      const from = feed.pushed.length;
      expect(await sweepInboundExpiry(deps, new Date(unheardSince.getTime() + INBOUND_EXPIRY_MS))).toContain(hook.id);
      const expired = await feed.next((u) => u.status === 'EXPIRED', from, 'the EXPIRED update');
      expect(expired.statusReason).toMatch(/^expired: no active webhook listened to parcel.lost for 120 h/);
    } finally {
      await boss.stop({ graceful: false });
      await pool.end();
    }
  });

  it('pushes each failed scheduled run and the stop after the third, and a structure determined from a request', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.batched', processingMode: 'SCHEDULED', scheduleIntervalSeconds: 1, scheduleBatchSize: 1, noRateLimit: true });
    const feed = await watch(hy.adminToken, hook.id);
    await ready(feed, hook.id);
    const tenant = (await hy.admin('{ viewer { tenant { id } } }')).data.viewer.tenant.id;
    const from = feed.pushed.length;
    // Publishing fails while deliveries are switched off: every run fails.
    await sql(hy.databaseUrl, 'update tenant set deliveries_enabled = false where id = $1', [tenant]);
    try {
      for (let i = 0; i < 4; i++) await call(hook.url, { method: 'POST', body: String(i) });
      const stopped = await feed.next((u) => u.status === 'STOPPED', from, 'the STOPPED update');
      expect(stopped).toMatchObject({ failedRuns: 3, statusReason: expect.stringMatching(/^stopped after 3 failed runs in a row; the last: inr_\w+: not published: deliveries are switched off/) });
      const counts = feed.pushed.slice(from).map((u) => u.failedRuns);
      expect(counts.slice(0, counts.indexOf(3) + 1)).toEqual([1, 2, 3]);
    } finally {
      await sql(hy.databaseUrl, 'update tenant set deliveries_enabled = true where id = $1', [tenant]);
    }

    await runInbound(hy.admin, 'redetermineDataStructure', { id: hook.id });
    await feed.next((u) => u.redeterminePending, from, 'the pending re-determination');
    const before = feed.pushed.length;
    await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId":1}' });
    expect(await feed.next((u) => u.dataStructureSource === 'DETERMINED', before, 'the determined structure')).toMatchObject({ redeterminePending: false });
  });

  it('refuses a hookId that is not an inbound hook of the tenant, saying which', async () => {
    const feed = await watch(hy.adminToken, 'whk_0000000000000000000000');
    await eventually(async () => feed.errors.length > 0, 10_000, 'the error');
    expect(JSON.stringify(feed.errors)).toContain('hookId must be an inbound hook id');
    const unknown = await watch(hy.adminToken, newId('InboundHook'));
    await eventually(async () => unknown.errors.length > 0, 10_000, 'the error');
    expect(JSON.stringify(unknown.errors)).toMatch(/inbound hook inh_\w+ does not exist/);
  });
});
