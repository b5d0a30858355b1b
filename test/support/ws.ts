// A raw graphql-ws (graphql-transport-ws) client, to see the protocol as a client does:
// the ack or the close code after connection_init, and the messages of one operation.
import WebSocket from 'ws';

export interface Socket {
  /** Resolves with `ack`, or with the close code when the server closes instead. */
  init(payload?: Record<string, unknown>): Promise<'ack' | { closed: number; reason: string }>;
  /** Runs one operation and resolves with its `next` payloads once `complete` or `error` arrives. */
  operation(query: string, variables?: Record<string, unknown>): Promise<{ next: any[]; error?: any }>;
  close(): void;
}

export async function openSocket(baseUrl: string): Promise<Socket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const messages: any[] = [];
  const waiters: (() => void)[] = [];
  let closed: { closed: number; reason: string } | null = null;
  const wake = () => waiters.splice(0).forEach((w) => w());
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    wake();
  });
  ws.on('close', (code, reason) => {
    closed = { closed: code, reason: String(reason) };
    wake();
  });
  const next = async (match: (m: any) => boolean): Promise<any> => {
    for (;;) {
      const index = messages.findIndex(match);
      if (index >= 0) return messages.splice(index, 1)[0];
      if (closed) return closed;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  let ids = 0;
  return {
    async init(payload) {
      ws.send(JSON.stringify({ type: 'connection_init', ...(payload ? { payload } : {}) }));
      const message = await next((m) => m.type === 'connection_ack');
      return message.type === 'connection_ack' ? 'ack' : message;
    },
    async operation(query, variables) {
      const id = String(++ids);
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      const result: { next: any[]; error?: any } = { next: [] };
      for (;;) {
        const message = await next((m) => m.id === id);
        if (message.type === 'next') result.next.push(message.payload);
        else if (message.type === 'error') return { ...result, error: message.payload };
        else if (message.type === 'complete') return result;
        else throw new Error(`the socket closed during the operation: ${JSON.stringify(message)}`);
      }
    },
    close: () => ws.close(),
  };
}
