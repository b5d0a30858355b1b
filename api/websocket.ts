import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, getOperationAST, type DocumentNode, type ExecutionArgs } from 'graphql';
import type pg from 'pg';
import type { createGraphqlServer } from './graphql-server.ts';
import type { Viewer } from '../core/auth/viewer.ts';
import { authenticate } from './auth.ts';
import { limitMessageRate, SocketsPerKey, TOO_MANY, type WebSocketLimits } from './websocket-limits.ts';
import type { PostgresLiveUpdates } from '../core/live-updates/postgres-live-updates.ts';

type Yoga = ReturnType<typeof createGraphqlServer>;

type Extra = Record<string, unknown> & {
  viewer?: Viewer;
  token?: string;
  /** Stops watching the socket's API key for revocation (set once authenticated). */
  untrack?: () => void;
  /** The API key this socket counts against (HOOKYARD_WS_SOCKETS_PER_KEY), once counted. */
  countedKey?: string;
  /** Ids of this socket's subscriptions (not queries or mutations), pruned as they end. */
  subscriptionIds?: Set<string>;
};

function tokenFrom(params: Record<string, unknown> | undefined): string | null {
  const raw = params?.authorization ?? params?.Authorization ?? params?.token;
  if (typeof raw !== 'string') return null;
  return raw.replace(/^\s*bearer\s+/i, '').trim() || null;
}

/**
 * graphql-ws on the GraphQL path. The API key goes in connection_init; a bad one
 * closes with 4403, no init within 3 s with 4408, a second init with 4429
 * (graphql-ws's own codes). Operations run through yoga's envelop. Limits (4429 or a
 * LIMIT_EXCEEDED error, see websocket-limits.ts): subscriptions per socket, sockets per
 * API key, messages per second per socket.
 */
export function attachGraphqlWebSocket(server: Server, yoga: Yoga, pool: pg.Pool, live: PostgresLiveUpdates, maxPayload: number, limits: WebSocketLimits) {
  const sockets = new SocketsPerKey(limits.socketsPerKey);
  // noServer: given the HTTP server, ws re-emits its errors (a port in use) on the
  // WebSocket server, where graphql-ws prints them with a stack trace.
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  server.on('upgrade', (req, socket, head) => {
    // A client that resets the connection mid-upgrade must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    if ((req.url ?? '').split('?')[0] !== '/graphql') return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => {
      limitMessageRate(ws, limits.messagesPerSecond);
      wss.emit('connection', ws, req);
    });
  });
  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      connectionInitWaitTimeout: 3000,
      onConnect: async (ctx) => {
        const token = tokenFrom(ctx.connectionParams);
        const viewer = await authenticate(pool, token);
        if (!viewer || !token) return false;
        // The client may have left while the key was looked up; onClose has run already, so
        // counting or tracking this socket now would never be undone.
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
        if (!sockets.acquire(viewer.apiKeyId)) {
          ctx.extra.socket.close(TOO_MANY, `Too many connections for this API key: at most ${limits.socketsPerKey} (HOOKYARD_WS_SOCKETS_PER_KEY)`);
          return false;
        }
        ctx.extra.countedKey = viewer.apiKeyId;
        ctx.extra.viewer = viewer;
        ctx.extra.token = token;
        // Revoking the key, in any API process, closes this socket and its subscriptions.
        ctx.extra.untrack = live.trackSession(viewer.apiKeyId, viewer.tenantId, () => ctx.extra.socket.close(4403, 'Forbidden: the API key was revoked'));
        return true;
      },
      onClose: (ctx) => {
        ctx.extra.untrack?.();
        if (ctx.extra.countedKey) sockets.release(ctx.extra.countedKey);
        ctx.extra.countedKey = undefined;
      },
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      onSubscribe: async (ctx, id, params) => {
        // A key revoked (or made VIEWER) after connection_init must not keep its old rights
        // on a socket that stays open: look it up again for every operation.
        const viewer = await authenticate(pool, ctx.extra.token ?? null);
        if (!viewer) {
          ctx.extra.socket.close(4403, 'Forbidden');
          return [new GraphQLError('the API key is unknown or revoked')];
        }
        ctx.extra.viewer = viewer;
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          viewer: ctx.extra.viewer,
        } as never);
        // parse and the armor validation rules throw on a bad document; graphql-ws would
        // take that for a server fault and close the socket, so hand the errors back instead.
        let document: DocumentNode;
        try {
          document = parse(params.query);
          const errors = validate(schema, document);
          if (errors.length) return errors;
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        if (getOperationAST(document, params.operationName)?.operation === 'subscription') {
          // Count the socket's subscriptions still open (graphql-ws drops ended ones from ctx.subscriptions).
          const open = (ctx.extra.subscriptionIds ??= new Set());
          for (const other of open) if (!(other in ctx.subscriptions)) open.delete(other);
          if (open.size >= limits.subscriptionsPerSocket) {
            return [
              new GraphQLError(`Too many subscriptions on this socket: at most ${limits.subscriptionsPerSocket} (HOOKYARD_WS_SUBSCRIPTIONS_PER_SOCKET); complete one first or open another socket`, {
                extensions: { code: 'LIMIT_EXCEEDED', limit: limits.subscriptionsPerSocket },
              }),
            ];
          }
          open.add(id);
        }
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        } satisfies ExecutionArgs;
      },
    },
    wss,
  );
  return {
    wss,
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
