// Starts Hookyard: the database (embedded when DATABASE_URL is unset), migrations,
// then the roles HOOKYARD_ROLE asks for (api, worker, or all in one process).
import pg from 'pg';
import { loadConfig, ConfigError, type Config } from './infra/config.ts';
import { createLogger, type Logger } from './infra/logger.ts';
import type { EmbeddedDatabase } from './infra/embedded-postgres.ts';
import { checkDatabase, redactUrl } from './infra/database.ts';
import { createOrm, migrate } from './schema/orm.ts';
import { loadSecretKey } from './infra/secret-key.ts';
import { startBoss } from './infra/queue.ts';
import { queueSettings } from './core/jobs.ts';
import { PreparingClient } from './infra/prepared-statements.ts';
import { bootstrapTenant } from './core/tenants/bootstrap-tenant.ts';
import { createPublisher } from './core/publishing/publisher.ts';
import { startMetricsServer } from './infra/metrics-server.ts';
import { startTracing } from './infra/tracing.ts';
import { VERSION } from './core/version.ts';

type Stop = () => Promise<void>;

export interface Running {
  /** http://host:port of the API, when this process runs it */
  baseUrl: string | null;
  /** The port of the mail hooks' SMTP listener, when this process runs one */
  smtpPort: number | null;
  databaseUrl: string;
  /** the admin token generated at first start, else null */
  generatedToken: string | null;
  banner: string;
  stop(): Promise<void>;
}

/** Starts every part this configuration asks for; `stop` ends them in reverse order. */
export async function startHookyard(config: Config, log: Logger): Promise<Running> {
  const stops: Stop[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch((error) => log.warn({ err: error }, 'error while stopping'));
  };
  try {
    return await startParts(config, log, stops, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startParts(config: Config, log: Logger, stops: Stop[], stop: () => Promise<void>): Promise<Running> {
  let embedded: EmbeddedDatabase | null = null;
  if (!config.databaseUrl) {
    // Loaded only when it is used: with DATABASE_URL nothing of it runs.
    const { startEmbeddedPostgres } = await import('./infra/embedded-postgres.ts');
    embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort, log);
    stops.push(() => embedded!.stop());
  }
  const url = config.databaseUrl ?? embedded!.url;
  await checkDatabase(url, Boolean(config.databaseUrl));

  const orm = await createOrm(url, log);
  stops.push(() => orm.close());
  await migrate(orm);
  const { key: secretKey, source: secretKeySource } = await loadSecretKey(config.secretKey, config.dataDir);

  const pool = new pg.Pool({ connectionString: url, max: 10, Client: PreparingClient });
  let poolEnded = false;
  // pool.end() resolves before its sockets close; a connection cut after that is no news.
  pool.on('error', (error) => {
    if (!poolEnded) log.warn({ err: error }, 'idle database connection failed');
  });
  stops.push(() => {
    poolEnded = true;
    return pool.end();
  });

  const runsWorker = config.role !== 'api';
  const boss = await startBoss(url, log, { queues: queueSettings(config.deliveryLeaseSeconds), supervise: runsWorker, schedule: runsWorker, leaseSeconds: config.deliveryLeaseSeconds });
  stops.push(() => boss.stop({ graceful: true, timeout: 10_000 }));

  const { tenant, generatedToken } = await bootstrapTenant(orm.em.fork(), { adminToken: config.adminToken, webhookLimit: config.webhookLimit, webhookLimitExplicit: config.webhookLimitExplicit });
  const publisher = createPublisher({ pool, boss, log, payloadLimitBytes: config.payloadLimitBytes });
  const services = { config, pool, boss, log, secretKey, publisher };

  const lines = [`Hookyard (role: ${config.role})`];
  lines.push(`  database:   ${embedded ? `embedded PostgreSQL in ${config.dataDir}/pg` : redactUrl(url)}`);
  lines.push(`  secret key: ${secretKeySource}`);
  lines.push(
    `  URL policy: ${config.urlPolicy}${config.urlPolicy === 'permissive' ? ' (webhook URLs may be http, IPs and private addresses; set NODE_ENV=production or HOOKYARD_URL_POLICY=strict in production)' : ' (https, public host names only)'}`,
  );
  let baseUrl: string | null = null;
  let smtpPort: number | null = null;
  if (config.role !== 'worker') {
    // Each role's code is loaded only where it runs: a worker process never holds the
    // API's GraphQL schema, exports or mail parser (212 -> 166 MiB of idle RSS, measured).
    const { buildApi } = await import('./api/app.ts');
    const api = buildApi(services, orm);
    const { port, host, smtp } = await api.start();
    stops.push(() => api.stop());
    const base = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
    baseUrl = base;
    lines.push(`  dashboard:  ${base}/`, `  GraphQL:    ${base}/graphql (HTTP and graphql-ws)`, `  health:     ${base}/healthz`, `  metrics:    ${base}/metrics`);
    smtpPort = smtp?.port ?? null;
    lines.push(
      smtp
        ? `  mail:       SMTP on ${smtp.host}:${smtp.port}${config.smtpTls ? ' (STARTTLS)' : ''} for <token>@${config.mailDomain}`
        : '  mail:       off (HOOKYARD_SMTP_PORT=0)',
    );
  }
  if (runsWorker) {
    const { buildWorker } = await import('./worker/app.ts');
    const worker = buildWorker({ config, boss, pool, log, secretKey });
    await worker.start();
    stops.push(() => worker.stop());
    lines.push('  worker:     running');
    if (config.role === 'worker' && config.metricsPort !== null) {
      // No API here to serve /metrics: the worker's counters get their own port.
      const metrics = await startMetricsServer(config.host, config.metricsPort, log, config.metricsToken);
      stops.push(() => metrics.stop());
      lines.push(`  metrics:    ${metrics.url}`);
    }
  }
  if (generatedToken) {
    lines.push('', `  Admin API key for tenant "${tenant.name}" (shown only now, store it):`, `    ${generatedToken}`);
  }
  return { baseUrl, smtpPort, databaseUrl: url, generatedToken, banner: lines.join('\n'), stop };
}

async function runFromCommandLine(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`hookyard: ${(error as Error).message}`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  // Before any traced work; with no OTLP endpoint set, the SDK is never loaded.
  let stopTracing: () => Promise<void>;
  try {
    stopTracing = await startTracing(log, VERSION);
  } catch (error) {
    console.error(`hookyard: OpenTelemetry could not start (${(error as Error).message}); check the OTEL_* variables`);
    process.exit(2);
  }
  let running: Running | null = null;
  let stopping = false;
  // SIGHUP too (a closed terminal): Node would otherwise die at once, leaving the
  // embedded PostgreSQL running until the next start stops it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // The parts stop in order (PostgreSQL last, after the pools and the queue): no other
    // listener may stop anything or exit first.
    process.removeAllListeners(signal);
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      // Ctrl-C reaches the embedded PostgreSQL too, which then ends every connection
      // (57P01) while the pools close; a client that already dropped its listeners
      // throws that from an event emitter. Expected now, so it must not crash the stop.
      process.on('uncaughtException', (error) => {
        if ((error as { code?: string }).code === '57P01') return log.debug({ err: error }, 'connection ended by the PostgreSQL shutdown');
        log.fatal({ err: error }, 'uncaught error while stopping');
        process.exit(1);
      });
      await running?.stop();
      // The last spans (the shutdown's own, the final attempts) are flushed before exiting.
      await stopTracing();
      process.exit(0);
    });
  }
  try {
    running = await startHookyard(config, log);
    console.log(running.banner);
  } catch (error) {
    if (error instanceof ConfigError) console.error(`hookyard: ${error.message}`);
    else {
      log.error({ err: error }, 'start failed');
      console.error(`hookyard: could not start: ${(error as Error).message}`);
    }
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}

if (import.meta.main) await runFromCommandLine();
