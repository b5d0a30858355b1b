import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from '../entities/index.ts';
import { migrationsList } from '../migrations/index.ts';
import type { Logger } from './logger.ts';

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

/** Applies every migration not applied yet. Safe to run from several processes: Postgres serialises them. */
export async function migrate(orm: Orm): Promise<void> {
  const connection = orm.em.getConnection();
  // One process migrates at a time; the others wait, then find nothing left to do.
  await connection.execute('select pg_advisory_lock(72710001)');
  try {
    await orm.migrator.up();
  } finally {
    await connection.execute('select pg_advisory_unlock(72710001)');
  }
}
