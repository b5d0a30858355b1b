// An event target over PostgreSQL LISTEN/NOTIFY, shaped like graphql-yoga's Redis event
// target: topics are tenant ids, an event's detail is that tenant's list of updates.
// Every API process holds one dedicated connection that LISTENs on the updates channel,
// so a update committed by any worker or API process reaches every process's
// subscribers; an in-memory pubsub would only reach the process that made the update.
import pg from 'pg';
import { LIVE_UPDATES_CHANNEL } from './channels.ts';
import { ROW_UPDATE_KINDS, type LiveUpdate } from './live-update.ts';
import { LISTEN_LIVE_UPDATES_SQL, PING_SQL } from '../sql/live-updates.ts';
import type { Logger } from '../../infra/logger.ts';

export type LiveUpdateEvent = CustomEvent<LiveUpdate[]>;
type Listener = (event: LiveUpdateEvent) => void;

export interface PostgresEventTarget {
  addEventListener(tenantId: string, listener: Listener | null): void;
  removeEventListener(tenantId: string, listener: Listener | null): void;
  /** Called after the connection came back: notifications sent meanwhile are lost. */
  onReconnect(callback: () => void): void;
  /** Resolves once the first LISTEN is in place. */
  ready: Promise<void>;
  readonly connected: boolean;
  close(): Promise<void>;
}

const KINDS = new Set<string>([...ROW_UPDATE_KINDS, 'apiKey']);
const MAX_BACKOFF_MS = 5000;
const PING_INTERVAL_MS = 15_000;

function parseUpdates(payload: string | undefined): LiveUpdate[] {
  try {
    const parsed = JSON.parse(payload ?? '');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (c) => c && typeof c === 'object' && KINDS.has(c.kind) && typeof c.tenantId === 'string' && typeof c.id === 'string' && (c.kind === 'apiKey' || typeof c.webhookId === 'string'),
    );
  } catch {
    return [];
  }
}

/**
 * `connection` is what pg.Client takes (the pool's options do). The connection is
 * re-established after any error, including pg_terminate_backend and a PostgreSQL
 * restart, with exponential backoff (100 ms doubling to 5 s, with jitter); a ping every
 * 15 s finds a connection that died silently.
 */
export function createPostgresEventTarget(connection: pg.ClientConfig, log: Logger): PostgresEventTarget {
  const listeners = new Map<string, Set<(event: LiveUpdateEvent) => void>>();
  const reconnectCallbacks: (() => void)[] = [];
  let client: pg.Client | null = null;
  let closed = false;
  let failures = 0;
  let everConnected = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));

  function onNotification(message: pg.Notification): void {
    if (message.channel !== LIVE_UPDATES_CHANNEL) return;
    const byTenant = new Map<string, LiveUpdate[]>();
    for (const update of parseUpdates(message.payload)) {
      if (!listeners.has(update.tenantId)) continue;
      const list = byTenant.get(update.tenantId) ?? [];
      list.push(update);
      byTenant.set(update.tenantId, list);
    }
    for (const [tenantId, updates] of byTenant) {
      const event = new CustomEvent(tenantId, { detail: updates });
      for (const callback of listeners.get(tenantId) ?? []) {
        try {
          callback(event);
        } catch (error) {
          log.error({ err: error }, 'a live update listener failed');
        }
      }
    }
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer) return;
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures) * (0.5 + Math.random() / 2);
    failures++;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay);
  }

  function drop(current: pg.Client, error: unknown): void {
    if (client !== current) return;
    client = null;
    if (!closed) log.warn({ err: error }, 'lost the LISTEN connection for live updates; reconnecting');
    current.removeAllListeners('notification');
    current.end().catch(() => undefined);
    scheduleReconnect();
  }

  async function connect(): Promise<void> {
    if (closed) return;
    // A named connection: operators (and tests) find it in pg_stat_activity.
    const current = new pg.Client({ ...connection, keepAlive: true, application_name: 'hookyard-live-updates' });
    current.on('error', (error) => drop(current, error));
    current.on('end', () => drop(current, new Error('connection ended')));
    current.on('notification', onNotification);
    try {
      await current.connect();
      await current.query(LISTEN_LIVE_UPDATES_SQL);
    } catch (error) {
      current.removeAllListeners('end');
      current.end().catch(() => undefined);
      if (!closed) log.warn({ err: error, attempt: failures + 1 }, 'cannot LISTEN for live updates yet; retrying');
      scheduleReconnect();
      return;
    }
    if (closed) {
      await current.end().catch(() => undefined);
      return;
    }
    client = current;
    failures = 0;
    const reconnected = everConnected;
    everConnected = true;
    resolveReady();
    if (reconnected) {
      log.info('LISTEN connection for live updates is back');
      for (const callback of reconnectCallbacks) callback();
    }
  }

  const ping = setInterval(() => {
    const current = client;
    current?.query(PING_SQL).catch((error) => drop(current, error));
  }, PING_INTERVAL_MS);
  ping.unref();

  void connect();

  return {
    ready,
    get connected() {
      return client !== null;
    },
    addEventListener(tenantId, listener) {
      if (!listener) return;
      const set = listeners.get(tenantId) ?? new Set();
      set.add(listener);
      listeners.set(tenantId, set);
    },
    removeEventListener(tenantId, listener) {
      if (!listener) return;
      const set = listeners.get(tenantId);
      if (!set) return;
      set.delete(listener);
      if (set.size === 0) listeners.delete(tenantId);
    },
    onReconnect(callback) {
      reconnectCallbacks.push(callback);
    },
    async close() {
      closed = true;
      clearInterval(ping);
      if (retryTimer) clearTimeout(retryTimer);
      resolveReady();
      const current = client;
      client = null;
      if (current) {
        current.removeAllListeners('end');
        await current.end().catch(() => undefined);
      }
    },
  };
}
