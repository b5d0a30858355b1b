import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Services } from '../schema/graphql/context.ts';
import { ConfigError } from '../schema/runtime/config.ts';
import { createGraphqlServer } from './graphql-server.ts';
import { attachGraphqlWebSocket } from './websocket.ts';
import { handleHealth } from './health.ts';

export interface Api {
  start(): Promise<{ port: number; host: string }>;
  stop(): Promise<void>;
}

/** The HTTP + WebSocket server: GraphQL on /graphql (both transports) and /healthz. */
export function buildApi(services: Services, orm: MikroORM): Api {
  const yoga = createGraphqlServer(services, orm);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') return void yoga(req, res);
    if (path === '/healthz') return void handleHealth(services, res);
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route for ${path}` }));
  });
  // A slow client must not hold a socket forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  const ws = attachGraphqlWebSocket(server, yoga, services.pool);

  return {
    async start() {
      const { host, port } = services.config;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE') reject(new ConfigError('PORT', `port ${port} on ${host} is in use; stop what uses it or set PORT to a free port`));
          else if (error.code === 'EACCES') reject(new ConfigError('PORT', `port ${port} needs privileges; use a port above 1023`));
          else reject(error);
        });
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      return { port: address.port, host };
    },
    async stop() {
      await ws.close();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
