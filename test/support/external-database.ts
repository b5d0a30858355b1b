import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * An existing PostgreSQL, as an operator would point DATABASE_URL at: the machine's
 * server on 127.0.0.1:5432 unless HOOKYARD_TEST_POSTGRES_URL names another.
 */
export const EXTERNAL_POSTGRES_URL = process.env.HOOKYARD_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new empty database on the external PostgreSQL, dropped by `drop()`. */
export async function externalDatabase(): Promise<ScratchDatabase> {
  const name = `hookyard_scratch_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: EXTERNAL_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`these tests need a PostgreSQL at ${EXTERNAL_POSTGRES_URL} (set HOOKYARD_TEST_POSTGRES_URL to another): ${(error as Error).message}`);
  }
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(EXTERNAL_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: EXTERNAL_POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
