import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities/index.ts';
import { migrationsList } from './migrations/index.ts';
import type { Logger } from '../infra/logger.ts';

export type Orm = MikroORM;

/** MikroORM on the given database, with the explicit entity and migration lists. */
export async function createOrm(url: string, log: Logger, poolMax = 10): Promise<Orm> {
  return MikroORM.init({
    clientUrl: url,
    entities,
    extensions: [Migrator],
    pool: { max: poolMax },
    debug: false,
    logger: (message) => log.debug({ orm: message }, 'mikro-orm'),
    migrations: {
      path: 'schema/migrations',
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
      snapshot: false,
      migrationsList,
    },
  });
}

/**
 * Applies every migration not applied yet. Safe to run from several processes: one
 * migrates at a time, the others wait, then find nothing left to do. The advisory lock
 * is a session lock, so it is taken and released on one dedicated connection: through
 * the ORM's pool the unlock could run on another connection and leave the lock held.
 */
export async function migrate(orm: Orm): Promise<void> {
  const lock = new pg.Client({ connectionString: orm.config.get('clientUrl') });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(72710001)');
    await orm.migrator.up();
  } finally {
    // Release before returning (ending the session releases it too, but only once the
    // server has noticed, which a process starting right after may not wait for).
    await lock.query('select pg_advisory_unlock_all()').catch(() => undefined);
    await lock.end();
  }
}
