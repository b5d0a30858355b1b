import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Services } from '../core/services.ts';
import { ConfigError } from '../infra/config.ts';
import { createGraphqlServer } from './graphql-server.ts';
import { attachGraphqlWebSocket } from './websocket.ts';
import { handleHealth } from './health.ts';
import { createDashboardHandler } from './static-dashboard.ts';
import { createPostgresEventTarget } from '../core/live-updates/listener.ts';
import { createPostgresLiveUpdates } from '../core/live-updates/postgres-live-updates.ts';
import { createMetricsHandler } from './metrics.ts';
import { handleCsvExport } from './exports/export-csv.ts';
import { handleAttemptsCsvExport } from './exports/export-attempts-csv.ts';
import { handlePdfExport } from './exports/export-pdf.ts';
import { graphqlRequestLimitBytes } from './request-limits.ts';
import { requestPath, withErrorBoundary } from './error-boundary.ts';
import { createCors } from './cors.ts';
import { createInboundRoute } from './inbound/inbound-route.ts';
import { createInboundRateLimiter } from './inbound/inbound-rate-limiter.ts';
import { serveTraced } from '../infra/trace.ts';
import { createSmtpListener } from './inbound/smtp-listener.ts';

export interface Api {
  /** `smtp`: where the mail hooks' SMTP listener listens; null when HOOKYARD_SMTP_PORT is 0. */
  start(): Promise<{ port: number; host: string; smtp: { port: number; host: string } | null }>;
  stop(): Promise<void>;
}

/** The HTTP + WebSocket server: GraphQL on /graphql (both transports), /healthz and the dashboard at /; and the SMTP listener of mail hooks. */
export function buildApi(services: Services, orm: MikroORM): Api {
  // Live updates: one LISTEN connection per API process feeds every subscription.
  const changes = createPostgresEventTarget(services.pool.options, services.log);
  const live = createPostgresLiveUpdates(changes, services.pool, services.log);
  const yoga = createGraphqlServer(services, orm, live);
  const handleMetrics = createMetricsHandler(services, live, changes);
  const serveDashboard = createDashboardHandler();
  const applyCors = createCors(services.config.corsOrigins);
  const inboundRateLimiter = createInboundRateLimiter(services.pool);
  const inbound = createInboundRoute(services, inboundRateLimiter);
  const smtp = createSmtpListener(services, inboundRateLimiter);
  // Every route, and every route added here later, runs inside the error boundary: an
  // unexpected error is logged and answered 500, and the process lives on.
  const server = http.createServer(
    withErrorBoundary(services.log, async (req, res) => {
      const path = requestPath(req, res);
      if (path === null) return;
      if (applyCors(req, res)) return;
      // Traced routes continue the caller's traceparent (infra/trace.ts; nothing while tracing is off).
      if (path === '/graphql') return serveTraced(req, '/graphql', async () => void (await yoga(req, res)));
      if (path.startsWith('/in/')) return serveTraced(req, '/in/{token}', () => inbound.handle(req, res, path));
      if (path === '/healthz') return handleHealth(services, res);
      if (path === '/metrics') return handleMetrics(req, res);
      if (path === '/export/deliveries.csv') return handleCsvExport(services, req, res);
      if (path === '/export/deliveries.pdf') return handlePdfExport(services, req, res);
      if (path === '/export/attempts.csv') return handleAttemptsCsvExport(services, req, res);
      if (req.method === 'GET' || req.method === 'HEAD') return serveDashboard(req, res);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${path.slice(0, 200)}` } }));
    }),
  );
  // A slow client must not hold a socket forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  const ws = attachGraphqlWebSocket(server, yoga, services.pool, live, graphqlRequestLimitBytes(services.config), {
    subscriptionsPerSocket: services.config.wsSubscriptionsPerSocket,
    socketsPerKey: services.config.wsSocketsPerKey,
    messagesPerSecond: services.config.wsMessagesPerSecond,
  });

  async function stop(): Promise<void> {
    await smtp.stop();
    live.close();
    await ws.close();
    await changes.close();
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await inbound.close();
  }

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
      services.inboundBaseUrl = services.config.publicUrl ?? `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${address.port}`;
      let smtpAddress: Awaited<ReturnType<typeof smtp.start>>;
      try {
        smtpAddress = await smtp.start();
      } catch (error) {
        await stop();
        throw error;
      }
      // Subscriptions work from the first request: wait (briefly) for the LISTEN.
      await Promise.race([changes.ready, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      return { port: address.port, host, smtp: smtpAddress };
    },
    stop,
  };
}
