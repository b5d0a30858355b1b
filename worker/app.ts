import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Dispatcher } from 'undici';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';
import { QUEUES, type BulkRetryJob, type CircuitProbeJob } from '../core/jobs.ts';
import { DELIVERY_WAKEUP_CHANNEL } from '../core/live-updates/channels.ts';
import { createDeliveryDispatcher } from './delivery/address-guard.ts';
import { createDeliveryEngine } from './delivery/delivery-engine.ts';
import { ensureParkingIndex } from './delivery/job-parking.ts';
import { createBulkRetryHandler } from './bulk-retry/bulk-retry-job.ts';
import { createCircuitProbeHandler } from './delivery/circuit-breaker.ts';
import { createWebhookRateLimiter } from './delivery/webhook-rate-limiter.ts';
import { createRetentionHandler, RETENTION_CRON } from './retention/retention-job.ts';
import { createSweeperHandler, SWEEPER_CRON } from './sweeper/sweeper-job.ts';
import { startInboundWorkers } from './inbound/inbound-workers.ts';

export interface WorkerDeps {
  config: Config;
  boss: PgBoss;
  pool: pg.Pool;
  log: Logger;
  secretKey: Buffer;
}

export interface Worker {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How long a due delivery may lack a job before the sweeper queues it again. */
const SWEEPER_GRACE_SECONDS = 60;

/** The worker role: the delivery engine and every pg-boss handler; `stop` lets deliveries in hand finish. */
export function buildWorker(deps: WorkerDeps): Worker {
  const { config, boss, pool, log } = deps;
  let dispatcher: Dispatcher | null = null;
  let engine: ReturnType<typeof createDeliveryEngine> | null = null;
  let wakeup: { close(): Promise<void> } | undefined;
  let listenRetry: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let inbound: { stop(): Promise<void> } | undefined;
  return {
    async start() {
      dispatcher = createDeliveryDispatcher(config.urlPolicy);
      await ensureParkingIndex(pool);
      engine = createDeliveryEngine({
        pool,
        boss,
        log,
        secretKey: deps.secretKey,
        dispatcher,
        rateLimiter: createWebhookRateLimiter(pool),
        maxInFlight: config.workerMaxInFlight,
        batchSize: config.workerBatchSize,
        pollMs: config.workerPollMs,
        circuitCooldownSeconds: config.circuitCooldownSeconds,
      });
      engine.start();
      const wakeEngine = () => engine?.wake();
      const db = boss.getDb();
      // pg-boss's listener reconnects on its own once it has connected; until then, keep
      // trying, and meanwhile the engine polls.
      const listen = async (): Promise<void> => {
        try {
          wakeup = await db.listen!(DELIVERY_WAKEUP_CHANNEL, wakeEngine, wakeEngine);
          if (stopped) await wakeup.close();
        } catch (error) {
          if (stopped) return;
          log.warn({ err: error }, `cannot LISTEN for delivery wake-ups yet; retrying in 5 s, and new deliveries wait for the next poll (${config.workerPollMs} ms) meanwhile`);
          listenRetry = setTimeout(() => void listen(), 5000);
        }
      };
      if (db.listen) await listen();
      else log.warn(`no LISTEN connection for delivery wake-ups; new deliveries wait for the next poll (${config.workerPollMs} ms)`);
      await boss.work<CircuitProbeJob>(QUEUES.circuitProbe, { pollingIntervalSeconds: 1 }, createCircuitProbeHandler({ pool, boss, log }));
      await boss.work(QUEUES.sweeper, createSweeperHandler({ pool, boss, log, graceSeconds: SWEEPER_GRACE_SECONDS }));
      await boss.work<BulkRetryJob>(QUEUES.bulkRetry, { pollingIntervalSeconds: 1 }, createBulkRetryHandler({ pool, boss, log }));
      await boss.schedule(QUEUES.sweeper, SWEEPER_CRON);
      await boss.work(QUEUES.retention, createRetentionHandler({ pool, log, retentionDays: config.retentionDays }));
      await boss.schedule(QUEUES.retention, RETENTION_CRON);
      inbound = await startInboundWorkers({ config, boss, pool, log });
      log.debug('worker started');
    },
    async stop() {
      stopped = true;
      clearTimeout(listenRetry);
      await wakeup?.close().catch(() => undefined);
      await engine?.stop().catch((error) => log.warn({ err: error }, 'stopping the delivery engine'));
      for (const queue of [QUEUES.circuitProbe, QUEUES.sweeper, QUEUES.bulkRetry, QUEUES.retention]) await boss.offWork(queue, { wait: true }).catch(() => undefined);
      await inbound?.stop();
      await dispatcher?.close();
    },
  };
}
