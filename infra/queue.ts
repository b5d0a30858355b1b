import pg from 'pg';
import { PgBoss, type Queue } from 'pg-boss';
import type { Logger } from './logger.ts';
import { PreparingClient } from './prepared-statements.ts';

export const BOSS_SCHEMA = 'pgboss';

/** Each queue's settings by name (the domain's, see core/jobs.ts). */
export type QueueSettings = Record<string, Omit<Queue, 'name'>>;

/**
 * pg-boss in the same PostgreSQL, with every queue of `queues` created and its options current.
 * `supervise` is true in processes that run the workers: they expire jobs and own the lease.
 */
export async function startBoss(url: string, log: Logger, options: { queues: QueueSettings; supervise: boolean; schedule: boolean; leaseSeconds: number; max?: number }): Promise<PgBoss> {
  const checkSeconds = Math.max(1, Math.min(60, Math.floor(options.leaseSeconds / 3)));
  const boss = new PgBoss({
    connectionString: url,
    schema: BOSS_SCHEMA,
    max: options.max ?? 8,
    supervise: options.supervise,
    schedule: options.schedule,
    // The delivery loops are woken on Hookyard's own channel (core/live-updates).
    useListenNotify: false,
    // Hookyard traces its jobs itself (infra/trace.ts): the delivery's stored traceparent
    // outlives every retry's job, and pg-boss would start a trace for each of the engine's
    // polling fetches; pg-boss hands a job's stored context only to its own work() handlers.
    openTelemetry: { enabled: false },
    // Its statements too are prepared once per connection (pg.Pool takes the client class).
    ...({ Client: PreparingClient } as object),
    // Where workers fetch and complete jobs, those commits need not wait for the WAL flush:
    // a crash loses only the newest commits, so a lost fetch or completion runs the job
    // again (at least once). Jobs are inserted with Hookyard's own connections, durably.
    ...(options.supervise ? { options: '-c synchronous_commit=off' } : {}),
    // Expired jobs are found by the supervisor: look often enough to honour the lease. pg-boss
    // expires jobs only in the supervisor's monitor pass, which runs at most once per
    // monitorIntervalSeconds (60 s by default), so that interval must follow the lease too.
    superviseIntervalSeconds: checkSeconds,
    monitorIntervalSeconds: checkSeconds,
  });
  boss.on('error', (error) => log.error({ err: error }, 'pg-boss error'));
  await boss.start();
  for (const [name, settings] of Object.entries(options.queues)) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name, settings);
    else {
      // retryDelayMax and the policy can only be set when a queue is created. The lease is the workers'
      // setting, and each job keeps the one its queue had when it was inserted: a process
      // that runs no worker (an API) must not put its own in their place.
      const { retryDelayMax: _fixed, policy: _policy, expireInSeconds, ...updatable } = settings;
      await boss.updateQueue(name, options.supervise ? { ...updatable, expireInSeconds } : updatable);
    }
  }
  if (options.supervise) await tuneJobTableVacuum(url, log);
  return boss;
}

const JOB_TABLE_VACUUM = ['autovacuum_vacuum_scale_factor=0', 'autovacuum_vacuum_threshold=2000', 'autovacuum_vacuum_cost_delay=0'];

/**
 * Every delivery inserts and completes jobs, so the job table churns; by default
 * autovacuum waits for 20 % of it to be dead, and meanwhile every fetch walks the dead
 * index entries (measured: an empty fetch read 9,564 of them after a 10,000 drain).
 * Vacuum it after every 2,000 dead rows instead. Set once; skipped when already so.
 */
async function tuneJobTableVacuum(url: string, log: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query(`select reloptions from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = 'job_common'`, [BOSS_SCHEMA]);
    const current: string[] = rows[0]?.reloptions ?? [];
    if (rows.length && !JOB_TABLE_VACUUM.every((o) => current.includes(o))) {
      await client.query(`alter table ${BOSS_SCHEMA}.job_common set (${JOB_TABLE_VACUUM.join(', ')})`);
    }
  } catch (error) {
    log.warn({ err: error }, 'could not tune autovacuum of the job table; delivery still works');
  } finally {
    await client.end().catch(() => undefined);
  }
}
