// A raw graphql-ws (graphql-transport-ws) client that keeps every message, to watch
// subscriptions stream and to see the exact close code the server chose.
import WebSocket from 'ws';

export interface LiveSocket {
  /** Sends connection_init; resolves 'ack', or the close when the server closes instead. */
  init(payload?: Record<string, unknown>): Promise<'ack' | { code: number; reason: string }>;
  sendRaw(message: unknown): void;
  /** Starts a subscription; returns its id. */
  subscribe(query: string, variables?: Record<string, unknown>): string;
  /** The next `next` payload of a subscription (in order), or throws after `timeoutMs`. */
  next(id: string, timeoutMs?: number): Promise<any>;
  /** Every `next` payload received so far for a subscription, without waiting. */
  received(id: string): any[];
  /** Resolves with the first message of a subscription that is not `next` (error, complete). */
  end(id: string, timeoutMs?: number): Promise<any>;
  /** Waits until `count` messages of `type` (e.g. pong) have arrived; resolves how many did. */
  ofType(type: string, count: number, timeoutMs?: number): Promise<number>;
  /** Resolves with the close code and reason (waits up to `timeoutMs`). */
  closed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  close(): void;
}

export async function openLiveSocket(baseUrl: string): Promise<LiveSocket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const messages: any[] = [];
  const consumed = new Set<any>();
  let closedWith: { code: number; reason: string } | null = null;
  const waiters = new Set<() => void>();
  const wake = () => [...waiters].forEach((w) => w());
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    wake();
  });
  ws.on('close', (code, reason) => {
    closedWith = { code, reason: String(reason) };
    wake();
  });
  const waitFor = <T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        let found: T | undefined;
        try {
          found = find();
        } catch (error) {
          clearTimeout(timer);
          waiters.delete(check);
          return reject(error);
        }
        if (found !== undefined) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(messages).slice(0, 2000)}; closed ${JSON.stringify(closedWith)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  let ids = 0;
  return {
    async init(payload) {
      ws.send(JSON.stringify({ type: 'connection_init', ...(payload ? { payload } : {}) }));
      return waitFor(() => (messages.some((m) => m.type === 'connection_ack') ? ('ack' as const) : (closedWith ?? undefined)), 10_000, 'connection_ack');
    },
    sendRaw(message) {
      ws.send(JSON.stringify(message));
    },
    subscribe(query, variables) {
      const id = String(++ids);
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      return id;
    },
    next(id, timeoutMs = 10_000) {
      return waitFor(
        () => {
          const message = messages.find((m) => m.id === id && m.type === 'next' && !consumed.has(m));
          if (message) {
            consumed.add(message);
            return message.payload;
          }
          const ended = messages.find((m) => m.id === id && m.type !== 'next');
          if (ended) throw new Error(`subscription ${id} ended: ${JSON.stringify(ended)}`);
          return undefined;
        },
        timeoutMs,
        `a next message on ${id}`,
      );
    },
    received(id) {
      return messages.filter((m) => m.id === id && m.type === 'next').map((m) => m.payload);
    },
    end(id, timeoutMs = 10_000) {
      return waitFor(() => messages.find((m) => m.id === id && m.type !== 'next'), timeoutMs, `the end of ${id}`);
    },
    ofType(type, count, timeoutMs = 10_000) {
      return waitFor(
        () => {
          const n = messages.filter((m) => m.type === type).length;
          return n >= count ? n : undefined;
        },
        timeoutMs,
        `${count} ${type} messages`,
      );
    },
    closed(timeoutMs = 10_000) {
      return waitFor(() => closedWith ?? undefined, timeoutMs, 'the socket to close');
    },
    close: () => ws.close(),
  };
}
