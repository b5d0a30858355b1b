import { PgBoss } from 'pg-boss';
import type { Logger } from './logger.ts';
import { QUEUES } from '../jobs.ts';

export const BOSS_SCHEMA = 'pgboss';

/** pg-boss in the same PostgreSQL, with every Hookyard queue created. */
export async function startBoss(url: string, log: Logger, options: { supervise: boolean; schedule: boolean; max?: number }): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    schema: BOSS_SCHEMA,
    max: options.max ?? 8,
    supervise: options.supervise,
    schedule: options.schedule,
    useListenNotify: true,
  });
  boss.on('error', (error) => log.error({ err: error }, 'pg-boss error'));
  await boss.start();
  for (const name of Object.values(QUEUES)) {
    await boss.createQueue(name).catch((error: Error) => {
      if (!/already exists/i.test(error.message)) throw error;
    });
  }
  return boss;
}
