// Fans the updates heard on the Postgres event target out to this process's
// subscriptions. Each burst of notifications costs one primary-key query per kind of
// row, however many subscribers want it; each subscriber gets only rows of its own
// tenant, and only while its API key is valid.
import type pg from 'pg';
import type { LiveUpdate, RowUpdate } from './live-update.ts';
import type { LiveEvent, LiveUpdates, LiveSubscription, ResyncEvent, RowEvent } from './subscriptions.ts';
import type { Logger } from '../../infra/logger.ts';
import * as sql from '../sql/live-updates.ts';
import type { LiveUpdateEvent, PostgresEventTarget } from './listener.ts';

/**
 * Distinct rows a subscriber may have waiting. A row changed again while it waits takes
 * the newer state in its place (latest state wins), so this bounds the memory a slow
 * subscriber holds (about this many rows), whatever the rate of changes. Past it, the
 * waiting rows are dropped for one `resync` event and the feed goes on.
 */
export const MAX_PENDING_UPDATES = 1000;
const KEY_CHECK_INTERVAL_MS = 60_000;

type Row = Record<string, unknown>;

/** One subscription's queue, as the async iterator graphql-js consumes. */
class Feed implements AsyncIterableIterator<LiveEvent> {
  readonly subscription: LiveSubscription;
  private readonly detach: (feed: Feed) => void;
  private readonly counted: (reason: ResyncEvent['reason']) => void;
  /** Waiting events by row (`kind:id`), in order of first arrival; a resync has its own key. */
  private queue = new Map<string, LiveEvent>();
  private waiter: ((result: IteratorResult<LiveEvent>) => void) | null = null;
  private closing = false;
  private done = false;
  /** Row updates replaced or dropped since the subscriber last received a resync. */
  private skipped = 0;

  constructor(subscription: LiveSubscription, detach: (feed: Feed) => void, counted: (reason: ResyncEvent['reason']) => void) {
    this.subscription = subscription;
    this.detach = detach;
    this.counted = counted;
  }

  /** Rows waiting to be sent (at most MAX_PENDING_UPDATES, plus a resync). */
  get pending(): number {
    return this.queue.size;
  }

  push(event: RowEvent): void {
    if (this.done || this.closing) return;
    if (this.waiter) return this.hand(event);
    const key = `${event.update.kind}:${event.update.id}`;
    if (this.queue.has(key)) {
      // An older state of this row still waits: the newer one replaces it, in its place.
      this.queue.set(key, event);
      return;
    }
    if (this.queue.size >= MAX_PENDING_UPDATES) {
      // This far behind, the rows it would get are stale anyway: refetching is cheaper.
      this.skipped += this.queue.size + 1;
      if (!this.queue.has('resync')) this.counted('BEHIND');
      this.queue.clear();
      this.queue.set('resync', { type: 'resync', reason: 'BEHIND', skipped: this.skipped });
      return;
    }
    this.queue.set(key, event);
  }

  /** Tells the subscriber to refetch: what it waits for is dropped, the feed goes on. */
  resync(reason: ResyncEvent['reason']): void {
    if (this.done || this.closing) return;
    const behind = this.queue.get('resync');
    if (!behind) this.counted(reason);
    this.queue.clear();
    const event: ResyncEvent = { type: 'resync', reason: behind?.type === 'resync' ? behind.reason : reason, skipped: behind?.type === 'resync' ? behind.skipped : 0 };
    if (this.waiter) this.hand(event);
    else this.queue.set('resync', event);
  }

  /** Ends the feed after what is queued (the key was revoked, or the process stops). */
  end(): void {
    this.closing = true;
    this.detach(this);
    if (this.waiter && this.queue.size === 0) this.finish();
  }

  next(): Promise<IteratorResult<LiveEvent>> {
    const first = this.queue.entries().next();
    if (!first.done) {
      const [key, event] = first.value;
      this.queue.delete(key);
      if (event.type === 'resync') this.skipped = 0;
      return Promise.resolve({ value: event, done: false });
    }
    if (this.done || this.closing) {
      this.finish();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<LiveEvent>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LiveEvent> {
    return this;
  }

  private hand(event: LiveEvent): void {
    const resolve = this.waiter!;
    this.waiter = null;
    if (event.type === 'resync') this.skipped = 0;
    resolve({ value: event, done: false });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.queue.clear();
    this.detach(this);
    const resolve = this.waiter;
    this.waiter = null;
    resolve?.({ value: undefined, done: true });
  }
}

export interface PostgresLiveUpdates extends LiveUpdates {
  /** Ties a connection to its API key: `revoked` runs when the key is revoked. Returns the untie function. */
  trackSession(apiKeyId: string, tenantId: string, revoked: () => void): () => void;
  readonly subscriptions: number;
  readonly sessions: number;
  /** Resyncs sent since the process started, by reason. */
  readonly resyncs: Readonly<Record<ResyncEvent['reason'], number>>;
  /** Rows waiting for slow subscribers, all subscriptions together. */
  readonly pendingRows: number;
  close(): void;
}

export function createPostgresLiveUpdates(target: PostgresEventTarget, pool: Pick<pg.Pool, 'query'>, log: Logger): PostgresLiveUpdates {
  const feedsByTenant = new Map<string, Set<Feed>>();
  const sessions = new Map<string, Set<() => void>>();
  // Tenants this process listens for: one reference per feed and per session (a session
  // must hear its key's revocation even with no subscription open).
  const tenantRefs = new Map<string, number>();
  let subscriptions = 0;
  const resyncs: Record<ResyncEvent['reason'], number> = { BEHIND: 0, CONNECTION_RESTORED: 0, UPDATES_LOST: 0 };
  const counted = (reason: ResyncEvent['reason']) => void resyncs[reason]++;
  let pending: LiveUpdate[] = [];
  let draining = false;

  const onChanges = (event: LiveUpdateEvent) => {
    pending.push(...event.detail);
    if (!draining) void drain();
  };

  function listen(tenantId: string): void {
    const refs = tenantRefs.get(tenantId) ?? 0;
    if (refs === 0) target.addEventListener(tenantId, onChanges);
    tenantRefs.set(tenantId, refs + 1);
  }

  function unlisten(tenantId: string): void {
    const refs = (tenantRefs.get(tenantId) ?? 1) - 1;
    if (refs > 0) return void tenantRefs.set(tenantId, refs);
    tenantRefs.delete(tenantId);
    target.removeEventListener(tenantId, onChanges);
  }

  function detach(feed: Feed): void {
    const feeds = feedsByTenant.get(feed.subscription.tenantId);
    if (!feeds?.delete(feed)) return;
    subscriptions--;
    if (feeds.size === 0) feedsByTenant.delete(feed.subscription.tenantId);
    unlisten(feed.subscription.tenantId);
  }

  function revoke(apiKeyId: string): void {
    for (const feeds of feedsByTenant.values()) for (const feed of [...feeds]) if (feed.subscription.apiKeyId === apiKeyId) feed.end();
    for (const revoked of [...(sessions.get(apiKeyId) ?? [])]) revoked();
    sessions.delete(apiKeyId);
  }

  /** Notifications arriving while rows load queue up and go out as the next burst, in order. */
  async function drain(): Promise<void> {
    draining = true;
    try {
      while (pending.length) {
        const burst = pending;
        pending = [];
        await deliver(burst).catch((error) => {
          // The rows could not be loaded (PostgreSQL away): their subscribers must refetch.
          log.error({ err: error, updates: burst.length }, 'live updates could not be loaded; subscribers are told to resync');
          resyncAll('UPDATES_LOST', (feed) => burst.some((u) => u.kind !== 'apiKey' && u.tenantId === feed.subscription.tenantId));
        });
      }
    } finally {
      draining = false;
      if (pending.length) void drain();
    }
  }

  function resyncAll(reason: ResyncEvent['reason'], which: (feed: Feed) => boolean = () => true): void {
    for (const feeds of feedsByTenant.values()) for (const feed of feeds) if (which(feed)) feed.resync(reason);
  }

  async function deliver(burst: LiveUpdate[]): Promise<void> {
    // Latest mention wins: a delivery changed twice in one burst is sent once, as it is now.
    const plan = new Map<string, { update: RowUpdate; feeds: Feed[] }>();
    let withBodies = false;
    for (const update of burst) {
      if (update.kind === 'apiKey') {
        revoke(update.id);
        continue;
      }
      const feeds = [...(feedsByTenant.get(update.tenantId) ?? [])].filter((f) => f.subscription.kind === update.kind && f.subscription.matches(update));
      if (!feeds.length) continue;
      const key = `${update.kind}:${update.id}`;
      plan.delete(key);
      plan.set(key, { update, feeds });
      if (update.kind === 'attempt' && feeds.some((f) => f.subscription.withBodies)) withBodies = true;
    }
    if (!plan.size) return;
    const ids = new Map<RowUpdate['kind'], string[]>();
    for (const { update } of plan.values()) ids.set(update.kind, [...(ids.get(update.kind) ?? []), update.id]);
    const rows = new Map<string, Row>();
    for (const [kind, list] of ids) {
      const { rows: found } = await pool.query<Row & { id: string }>(sql.rowsById(kind, list, { withBodies }));
      for (const row of found) rows.set(`${kind}:${row.id}`, row);
    }
    // A delivery's webhook and integrator, once per burst for every subscriber.
    const related = new Map<string, Row>();
    const deliveries = [...rows.entries()].filter(([key]) => key.startsWith('delivery:')).map(([, row]) => row);
    if (deliveries.length) {
      for (const [table, column] of [
        ['webhook', 'webhook_id'],
        ['integrator', 'integrator_id'],
      ] as const) {
        const ids = [...new Set(deliveries.map((row) => row[column] as string))];
        const { rows: found } = await pool.query<Row & { id: string }>(sql.relatedRows(table, ids));
        for (const row of found) related.set(`${table}:${row.id}`, row);
      }
    }
    for (const [key, { update, feeds }] of plan) {
      const row = rows.get(key);
      if (!row || row.tenant_id !== update.tenantId) continue;
      // Loaded with bodies for one subscriber that asked: the others get the row without them.
      const bare = update.kind === 'attempt' && withBodies ? { ...row, request_body: null, response_body: null } : row;
      for (const feed of feeds) {
        const s = feed.subscription;
        if (s.tenantId !== row.tenant_id || (s.matchesRow && !s.matchesRow(row))) continue;
        if (update.kind !== 'delivery') feed.push({ type: 'row', update, row: s.withBodies ? row : bare });
        else {
          const webhook = related.get(`webhook:${row.webhook_id}`);
          const integrator = related.get(`integrator:${row.integrator_id}`);
          // Only rows of the subscriber's tenant ride along.
          feed.push({ type: 'row', update, row, related: { webhook: webhook?.tenant_id === s.tenantId ? webhook : undefined, integrator: integrator?.tenant_id === s.tenantId ? integrator : undefined } });
        }
      }
    }
  }

  /** Ends what revoked keys still hold: run after a reconnect (notifications may be lost) and every minute. */
  async function checkKeys(): Promise<void> {
    const keys = new Set<string>(sessions.keys());
    for (const feeds of feedsByTenant.values()) for (const feed of feeds) keys.add(feed.subscription.apiKeyId);
    if (!keys.size) return;
    const { rows } = await pool.query<{ id: string }>(sql.activeApiKeys([...keys]));
    const active = new Set(rows.map((r) => r.id));
    for (const key of keys) if (!active.has(key)) revoke(key);
  }

  const check = () => void checkKeys().catch((error) => log.warn({ err: error }, 'could not check the API keys of open subscriptions'));
  target.onReconnect(() => {
    // Notifications sent while the connection was down are lost: every subscriber refetches.
    resyncAll('CONNECTION_RESTORED');
    check();
  });
  const timer = setInterval(check, KEY_CHECK_INTERVAL_MS);
  timer.unref();

  return {
    subscribe(subscription) {
      const feed = new Feed(subscription, detach, counted);
      const feeds = feedsByTenant.get(subscription.tenantId) ?? new Set();
      feedsByTenant.set(subscription.tenantId, feeds);
      feeds.add(feed);
      listen(subscription.tenantId);
      subscriptions++;
      return feed;
    },
    trackSession(apiKeyId, tenantId, revoked) {
      const set = sessions.get(apiKeyId) ?? new Set();
      set.add(revoked);
      sessions.set(apiKeyId, set);
      listen(tenantId);
      let tracked = true;
      return () => {
        if (!tracked) return;
        tracked = false;
        set.delete(revoked);
        if (set.size === 0 && sessions.get(apiKeyId) === set) sessions.delete(apiKeyId);
        unlisten(tenantId);
      };
    },
    get subscriptions() {
      return subscriptions;
    },
    resyncs,
    get pendingRows() {
      let rows = 0;
      for (const feeds of feedsByTenant.values()) for (const feed of feeds) rows += feed.pending;
      return rows;
    },
    get sessions() {
      let count = 0;
      for (const set of sessions.values()) count += set.size;
      return count;
    },
    close() {
      clearInterval(timer);
      for (const feeds of [...feedsByTenant.values()]) for (const feed of [...feeds]) feed.end();
    },
  };
}
