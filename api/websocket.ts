import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { ExecutionArgs } from 'graphql';
import type pg from 'pg';
import type { createGraphqlServer } from './graphql-server.ts';
import type { Viewer } from '../schema/graphql/context.ts';
import { authenticate } from './auth.ts';

type Yoga = ReturnType<typeof createGraphqlServer>;

type Extra = Record<string, unknown> & {
  viewer?: Viewer;
};

function tokenFrom(params: Record<string, unknown> | undefined): string | null {
  const raw = params?.authorization ?? params?.Authorization ?? params?.token;
  if (typeof raw !== 'string') return null;
  return raw.replace(/^\s*bearer\s+/i, '').trim() || null;
}

/**
 * graphql-ws on the GraphQL path. The API key goes in connection_init; a bad one
 * closes with 4403, no init within 3 s with 4408, a second init with 4429
 * (graphql-ws's own codes). Operations run through yoga's envelop.
 */
export function attachGraphqlWebSocket(server: Server, yoga: Yoga, pool: pg.Pool) {
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: 1024 * 1024 });
  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      connectionInitWaitTimeout: 3000,
      onConnect: async (ctx) => {
        const viewer = await authenticate(pool, tokenFrom(ctx.connectionParams));
        if (!viewer) return false;
        ctx.extra.viewer = viewer;
        return true;
      },
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          viewer: ctx.extra.viewer,
        } as never);
        const args: ExecutionArgs = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
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
