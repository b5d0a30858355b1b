import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Dispatcher } from 'undici';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';
import { QUEUES, type DeliverJob, type DeliverJobV1 } from '../core/jobs.ts';
import { DELIVERY_WAKEUP_CHANNEL } from '../core/live-updates/channels.ts';
import { createDeliveryDispatcher } from './delivery/address-guard.ts';
import { createDeliverHandler } from './delivery/delivery-job.ts';
import { createWebhookRateLimiter } from './delivery/webhook-rate-limiter.ts';
import { createRetentionHandler, RETENTION_CRON } from './retention/retention-job.ts';
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

/** The worker role: registers every pg-boss handler; `stop` lets in-flight batches finish. */
export function buildWorker(deps: WorkerDeps): Worker {
  const { config, boss, pool, log } = deps;
  let dispatcher: Dispatcher | null = null;
  let wakeup: { close(): Promise<void> } | undefined;
  let listenRetry: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let inbound: { stop(): Promise<void> } | undefined;
  return {
    async start() {
      dispatcher = createDeliveryDispatcher(config.urlPolicy);
      const deliverBatch = createDeliverHandler({ pool, boss, log, secretKey: deps.secretKey, dispatcher, rateLimiter: createWebhookRateLimiter(pool) });
      // One pg-boss worker per loop, so that each can be woken by its id.
      const loops: string[] = [];
      for (let i = 0; i < config.workerConcurrency; i++) {
        loops.push(
          await boss.work<DeliverJob | DeliverJobV1>(
            QUEUES.deliver,
            {
              batchSize: config.workerBatchSize,
              burstWhenBatchFull: true,
              // The wake-up below starts the loops on new jobs; the short poll picks up
              // retries whose time has come, and jobs whose wake-up was lost.
              pollingIntervalSeconds: config.workerPollMs / 1000,
            },
            async (jobs) => {
              try {
                await deliverBatch(jobs);
              } catch (error) {
                log.error({ err: error, jobs: jobs.length }, 'delivery batch failed; pg-boss will run it again');
                throw error;
              }
            },
          ),
        );
      }
      // A loop that is busy fetches again as soon as its batch is done instead of sleeping.
      const wakeLoops = () => loops.forEach((id) => boss.notifyWorker(id));
      const db = boss.getDb();
      // pg-boss's listener reconnects on its own once it has connected; until then, keep
      // trying, and meanwhile the loops poll.
      const listen = async (): Promise<void> => {
        try {
          wakeup = await db.listen!(DELIVERY_WAKEUP_CHANNEL, wakeLoops, wakeLoops);
          if (stopped) await wakeup.close();
        } catch (error) {
          if (stopped) return;
          log.warn({ err: error }, `cannot LISTEN for delivery wake-ups yet; retrying in 5 s, and new deliveries wait for the next poll (${config.workerPollMs} ms) meanwhile`);
          listenRetry = setTimeout(() => void listen(), 5000);
        }
      };
      if (db.listen) await listen();
      else log.warn(`no LISTEN connection for delivery wake-ups; new deliveries wait for the next poll (${config.workerPollMs} ms)`);
      await boss.work(QUEUES.retention, createRetentionHandler({ pool, log, retentionDays: config.retentionDays }));
      await boss.schedule(QUEUES.retention, RETENTION_CRON);
      inbound = await startInboundWorkers({ config, boss, pool, log });
      log.debug('worker started');
    },
    async stop() {
      stopped = true;
      clearTimeout(listenRetry);
      await wakeup?.close().catch(() => undefined);
      await boss.offWork(QUEUES.deliver, { wait: true }).catch((error) => log.warn({ err: error }, 'stopping delivery loops'));
      await boss.offWork(QUEUES.retention, { wait: true }).catch(() => undefined);
      await inbound?.stop();
      await dispatcher?.close();
    },
  };
}
