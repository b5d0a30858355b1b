// Several Hookyard processes on one PostgreSQL, as DESIGN.md's split roles run them:
// they migrate, bootstrap and serve together without stepping on each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlClient } from '../support/graphql.ts';
import { createIntegrator } from '../support/fixtures.ts';
import { sql } from '../support/sql.ts';
import { sharedDatabase } from '../support/instances.ts';

const env = { HOOKYARD_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') };

describe('several processes on one database', () => {
  let db: Awaited<ReturnType<typeof sharedDatabase>>;

  beforeAll(async () => {
    db = await sharedDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('starts three at once: one migration, one tenant, one admin key printed', async () => {
    const started = await Promise.all([db.start(env), db.start({ ...env, HOOKYARD_ROLE: 'api' }), db.start({ ...env, HOOKYARD_ROLE: 'worker' })]);
    expect(started.map((r) => r.generatedToken).filter(Boolean)).toHaveLength(1);
    expect(await sql(db.url, 'select count(*)::int as n from tenant')).toEqual([{ n: 1 }]);
    expect(await sql(db.url, 'select count(*)::int as n from api_key')).toEqual([{ n: 1 }]);
    const migrations = await sql(db.url, 'select name from mikro_orm_migrations');
    expect(new Set(migrations.map((m) => m.name)).size).toBe(migrations.length);
    expect(started[2].baseUrl).toBeNull(); // the worker listens on no port
    // The migration lock is released, or the next process to start would wait forever.
    // Only Hookyard's migration lock (pg-boss's supervisor takes short advisory locks of its
    // own), and only in this test's database: pg_locks lists the whole cluster, where other
    // test files start Hookyard on their own databases at the same time.
    const migrationLocks = "select objid from pg_locks where locktype = 'advisory' and granted and objid = 72710001 and database = (select oid from pg_database where datname = current_database())";
    expect(await sql(db.url, migrationLocks)).toEqual([]);
  }, 60_000);

  it('lets a fourth start while the others run', async () => {
    expect((await db.start({ ...env, HOOKYARD_ROLE: 'api' })).generatedToken).toBeNull();
  }, 30_000);

  it('serves the same rows from every API process', async () => {
    const token = db.running.find((r) => r.generatedToken)!.generatedToken!;
    const apis = db.running.filter((r) => r.baseUrl);
    expect(apis).toHaveLength(3);
    const integrator = await createIntegrator(gqlClient(apis[0].baseUrl!, token), { name: 'Seen everywhere' });
    for (const api of apis) {
      const read = await gqlClient(api.baseUrl!, token)('query ($id: ID!) { node(id: $id) { ... on Integrator { name } } }', { id: integrator.id });
      expect(read.data.node).toEqual({ name: 'Seen everywhere' });
    }
  });

  it('starts again after the others stopped, migrating nothing and printing no key', async () => {
    await db.stopAll();
    expect((await db.start(env)).generatedToken).toBeNull();
    expect(await sql(db.url, 'select count(*)::int as n from tenant')).toEqual([{ n: 1 }]);
  }, 60_000);
});
