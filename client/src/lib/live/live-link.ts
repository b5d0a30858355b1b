// The dashboard's live subscriptions over one graphql-ws socket, made to hold: a
// subscription that ends is started again with backoff, and every way updates can be
// missed (the server's Resync, a socket that came back, a restarted subscription, a page
// that was hidden) becomes one signal to the page: refetch what you show. It also says,
// truthfully, whether live data is flowing. No DOM here beyond what is injected, so it is
// tested without a browser (test/unit/live-link.test.ts).

/** What the header shows: nothing on a page without live data, else the socket's truth. */
export type LiveStatus = 'none' | 'connecting' | 'live' | 'reconnecting' | 'offline';

/** Why a page must refetch: the server said so, the socket came back, the subscription restarted, the page was hidden. */
export type ResyncWhy = 'SERVER' | 'RECONNECTED' | 'RESTARTED' | 'VISIBLE';

/** The pushed item of a subscription result `{ field: item }`, without the server's Resync. */
export type LiveItem<R> = Exclude<R[keyof R], { __typename: 'Resync' }>;

export interface LiveHandlers<T> {
  onData(item: T): void;
  onResync(why: ResyncWhy): void;
}

interface Sink {
  next(value: { data?: unknown; errors?: readonly unknown[] | null }): void;
  error(error: unknown): void;
  complete(): void;
}

/** Starts one subscription on the socket; returns the function that ends it. */
export type StartSubscription = (query: string, variables: unknown, sink: Sink) => () => void;

export interface LiveEnvironment {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Whether the browser believes it has a network. */
  online(): boolean;
  /** Calls back when the page becomes visible again; returns the function that stops it. */
  onVisible(callback: () => void): () => void;
  random(): number;
}

/** Closes in a row, while subscriptions wait, after which the indicator says Offline. */
export const OFFLINE_AFTER_FAILURES = 3;
/** A subscription the server ended is started again after 1 s, doubling to 30 s (with jitter). */
export const RESTART_MIN_MS = 1000;
export const RESTART_MAX_MS = 30_000;
/**
 * After a (re)start the server registers the subscription a moment later; changes made in
 * between are in neither the refetch nor the stream. So one more refetch follows the first
 * pushed item, or this long after the start when nothing came.
 */
export const SETTLE_MS = 2000;

interface Entry {
  query: string;
  variables: unknown;
  handlers: LiveHandlers<never>;
  stop: (() => void) | null;
  restarts: number;
  timer: unknown;
  settle: unknown;
  settled: boolean;
  ended: boolean;
  /** The server answered this subscription with errors only: starting it again would not help. */
  refused: boolean;
}

function browserEnvironment(): LiveEnvironment {
  return {
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as number),
    online: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
    onVisible(callback) {
      if (typeof document === 'undefined') return () => undefined;
      let hidden = document.visibilityState === 'hidden';
      const listener = () => {
        if (document.visibilityState === 'hidden') hidden = true;
        else if (hidden) {
          hidden = false;
          callback();
        }
      };
      document.addEventListener('visibilitychange', listener);
      return () => document.removeEventListener('visibilitychange', listener);
    },
    random: Math.random,
  };
}

export class LiveLink {
  readonly #start: StartSubscription;
  readonly #onStatus: (status: LiveStatus) => void;
  readonly #env: LiveEnvironment;
  readonly #entries = new Set<Entry>();
  readonly #stopVisible: () => void;
  #connected = false;
  #everConnected = false;
  #failures = 0;
  #status: LiveStatus = 'none';

  constructor(start: StartSubscription, onStatus: (status: LiveStatus) => void, env: LiveEnvironment = browserEnvironment()) {
    this.#start = start;
    this.#onStatus = onStatus;
    this.#env = env;
    this.#stopVisible = env.onVisible(() => this.#resyncAll('VISIBLE'));
  }

  get status(): LiveStatus {
    return this.#status;
  }

  subscribe<R>(query: string, variables: unknown, handlers: LiveHandlers<LiveItem<R>>): () => void {
    const entry: Entry = { query, variables, handlers: handlers as LiveHandlers<never>, stop: null, restarts: 0, timer: null, settle: null, settled: false, ended: false, refused: false };
    this.#entries.add(entry);
    this.#open(entry);
    this.#update();
    return () => {
      if (entry.ended) return;
      entry.ended = true;
      this.#env.clearTimeout(entry.timer);
      this.#env.clearTimeout(entry.settle);
      entry.stop?.();
      entry.stop = null;
      this.#entries.delete(entry);
      this.#update();
    };
  }

  /** The socket is connected (again): after a loss, every page refetches what it shows. */
  connected(): void {
    this.#connected = true;
    this.#failures = 0;
    const again = this.#everConnected;
    this.#everConnected = true;
    this.#update();
    if (again) this.#resyncAll('RECONNECTED');
  }

  /** The socket closed: a lazy close with nothing subscribed is no failure. */
  closed(): void {
    this.#connected = false;
    if (this.#entries.size) this.#failures++;
    this.#update();
  }

  dispose(): void {
    this.#stopVisible();
    for (const entry of [...this.#entries]) {
      entry.ended = true;
      this.#env.clearTimeout(entry.timer);
      this.#env.clearTimeout(entry.settle);
      entry.stop?.();
    }
    this.#entries.clear();
    this.#update();
  }

  #open(entry: Entry): void {
    entry.settled = false;
    entry.refused = false;
    entry.settle = this.#env.setTimeout(() => this.#settle(entry), SETTLE_MS);
    entry.stop = this.#start(entry.query, entry.variables, {
      next: (result) => {
        if (entry.ended) return;
        const item = result.data ? (Object.values(result.data as Record<string, unknown>)[0] as { __typename?: string } | null) : null;
        if (result.errors?.length && !item) {
          entry.refused = true;
          return;
        }
        entry.restarts = 0;
        if (item?.__typename === 'Resync') entry.handlers.onResync('SERVER');
        else if (item) entry.handlers.onData(item as never);
        else entry.handlers.onResync('SERVER');
        this.#settle(entry);
      },
      error: () => this.#restart(entry),
      complete: () => this.#restart(entry),
    });
  }

  #settle(entry: Entry): void {
    if (entry.settled || entry.ended) return;
    entry.settled = true;
    this.#env.clearTimeout(entry.settle);
    entry.handlers.onResync('RESTARTED');
  }

  #restart(entry: Entry): void {
    if (entry.ended) return;
    entry.stop = null;
    this.#env.clearTimeout(entry.settle);
    if (entry.refused) return;
    const delay = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** entry.restarts) * (0.5 + this.#env.random() / 2);
    entry.restarts++;
    entry.timer = this.#env.setTimeout(() => {
      if (entry.ended) return;
      this.#open(entry);
      entry.handlers.onResync('RESTARTED');
    }, delay);
  }

  #resyncAll(why: ResyncWhy): void {
    for (const entry of [...this.#entries]) if (!entry.ended) entry.handlers.onResync(why);
  }

  #update(): void {
    let status: LiveStatus;
    if (!this.#entries.size) status = 'none';
    else if (this.#connected) status = 'live';
    else if (!this.#env.online() || this.#failures >= OFFLINE_AFTER_FAILURES) status = 'offline';
    else status = this.#everConnected ? 'reconnecting' : 'connecting';
    if (status === this.#status) return;
    this.#status = status;
    this.#onStatus(status);
  }
}
