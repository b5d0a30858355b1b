// Registers inbound processing with pg-boss: IMMEDIATE requests, SEQUENTIAL and SCHEDULED
// drains, the expiry sweep; and wakes the loops when an accept commits (so a request is
// processed at once rather than at the next poll).
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Config } from '../../infra/config.ts';
import type { Logger } from '../../infra/logger.ts';
import { QUEUES, type InboundDrainJob, type InboundRequestJob } from '../../core/jobs.ts';
import { INBOUND_WAKEUP_CHANNEL } from '../../core/sql/inbound.ts';
import { createInboundRequestHandler } from './inbound-request-job.ts';
import { createInboundDrainHandler } from './inbound-drain-job.ts';
import { createInboundExpiryHandler, INBOUND_EXPIRY_CRON } from './inbound-expiry-job.ts';
import { createInboundRetentionHandler, INBOUND_RETENTION_CRON } from './inbound-retention-job.ts';

/** pg-boss loops per worker process for inbound requests, and as many for drains (one drain runs per hook at a time). */
const INBOUND_LOOPS = 3;

export async function startInboundWorkers(deps: { config: Config; boss: PgBoss; pool: pg.Pool; log: Logger }): Promise<{ stop(): Promise<void> }> {
  const { config, boss, pool, log } = deps;
  const processDeps = { pool, boss, log, payloadLimitBytes: config.payloadLimitBytes };
  const polling = { pollingIntervalSeconds: config.workerPollMs / 1000 };
  const loops = { request: [] as string[], drain: [] as string[] };
  const onRequests = createInboundRequestHandler(processDeps);
  for (let i = 0; i < INBOUND_LOOPS; i++) {
    loops.request.push(await boss.work<InboundRequestJob>(QUEUES.inboundRequest, { ...polling, batchSize: 50 }, onRequests));
  }
  const onDrain = createInboundDrainHandler(processDeps);
  for (let i = 0; i < INBOUND_LOOPS; i++) {
    loops.drain.push(await boss.work<InboundDrainJob>(QUEUES.inboundDrain, { ...polling, batchSize: 1 }, onDrain));
  }
  await boss.work(QUEUES.inboundExpiry, createInboundExpiryHandler({ pool, boss, log }));
  await boss.schedule(QUEUES.inboundExpiry, INBOUND_EXPIRY_CRON);
  await boss.work(QUEUES.inboundRetention, createInboundRetentionHandler({ pool, log, retentionDays: config.retentionDays }));
  await boss.schedule(QUEUES.inboundRetention, INBOUND_RETENTION_CRON);

  let wakeup: { close(): Promise<void> } | undefined;
  const db = boss.getDb();
  // One loop per wake-up, in turn: a burst of accepts wakes them all, a trickle does not
  // send every loop to fetch for the one job there is.
  let turn = 0;
  const wake = (payload: string) => {
    const ids = payload === 'drain' ? loops.drain : loops.request;
    boss.notifyWorker(ids[turn++ % ids.length]);
  };
  const wakeAll = () => [...loops.request, ...loops.drain].forEach((id) => boss.notifyWorker(id));
  if (db.listen) {
    try {
      wakeup = await db.listen(INBOUND_WAKEUP_CHANNEL, wake, wakeAll);
    } catch (error) {
      log.warn({ err: error }, `cannot LISTEN for inbound wake-ups; inbound requests wait for the next poll (${config.workerPollMs} ms)`);
    }
  }
  return {
    async stop() {
      await wakeup?.close().catch(() => undefined);
      for (const queue of [QUEUES.inboundRequest, QUEUES.inboundDrain, QUEUES.inboundExpiry, QUEUES.inboundRetention]) {
        await boss.offWork(queue, { wait: true }).catch((error) => log.warn({ err: error, queue }, 'stopping inbound processing'));
      }
    },
  };
}
