import type { MikroORM } from '@mikro-orm/postgresql';
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Dispatcher } from 'undici';
import type { Config } from '../schema/runtime/config.ts';
import type { Logger } from '../schema/runtime/logger.ts';
import { QUEUES, type DeliverJobV1 } from '../schema/jobs.ts';
import { createDeliveryDispatcher } from './delivery/address-policy.ts';
import { createDeliverHandler } from './deliver/deliver-batch.ts';
import { createWebhookRateLimiter } from './deliver/webhook-rate-limiter.ts';
import { createRetentionHandler, RETENTION_CRON } from './retention/retention.ts';

export interface WorkerDeps {
  config: Config;
  orm: MikroORM;
  boss: PgBoss;
  pool: pg.Pool;
  log: Logger;
  secretKey: Buffer;
}

export interface Worker {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The worker role: registers every pg-boss handler; `stop` lets in-flight batches finish. */
export function buildWorker(deps: WorkerDeps): Worker {
  const { config, boss, pool, log } = deps;
  let dispatcher: Dispatcher | null = null;
  return {
    async start() {
      dispatcher = createDeliveryDispatcher(config.urlPolicy);
      const deliverBatch = createDeliverHandler({ pool, boss, log, secretKey: deps.secretKey, dispatcher, rateLimiter: createWebhookRateLimiter(pool) });
      await boss.work<DeliverJobV1>(
        QUEUES.deliver,
        {
          batchSize: config.workerBatchSize,
          localConcurrency: config.workerConcurrency,
          burstWhenBatchFull: true,
          // NOTIFY wakes the loops on new jobs; the short poll picks up retries whose time has come.
          pollingIntervalSeconds: 0.5,
          notifyPollingIntervalSeconds: 0.5,
        },
        async (jobs) => {
          try {
            await deliverBatch(jobs);
          } catch (error) {
            log.error({ err: error, jobs: jobs.length }, 'delivery batch failed; pg-boss will run it again');
            throw error;
          }
        },
      );
      await boss.work(QUEUES.retention, createRetentionHandler({ pool, log, retentionDays: config.retentionDays }));
      await boss.schedule(QUEUES.retention, RETENTION_CRON);
      log.debug('worker started');
    },
    async stop() {
      await boss.offWork(QUEUES.deliver, { wait: true }).catch((error) => log.warn({ err: error }, 'stopping delivery loops'));
      await boss.offWork(QUEUES.retention, { wait: true }).catch(() => undefined);
      await dispatcher?.close();
    },
  };
}
