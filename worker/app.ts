import type { MikroORM } from '@mikro-orm/postgresql';
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Config } from '../schema/runtime/config.ts';
import type { Logger } from '../schema/runtime/logger.ts';

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

/** The worker role: registers every pg-boss handler. */
export function buildWorker(deps: WorkerDeps): Worker {
  return {
    async start() {
      deps.log.info('worker started');
    },
    async stop() {
      await deps.boss.offWork('deliver').catch(() => undefined);
    },
  };
}
