// The pg client that prepares parameterised statements (infra/prepared-statements.ts),
// against a real PostgreSQL: what it prepares, and what it must leave on the simple protocol.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreparingClient } from '../../infra/prepared-statements.ts';
import { createTestDatabase } from '../support/database.ts';

describe('PreparingClient', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  const prepared = async (client: pg.PoolClient) => (await client.query<{ statement: string }>('select statement from pg_prepared_statements')).rows.map((r) => r.statement);

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2, Client: PreparingClient });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('prepares a parameterised query once per connection and runs it again with other values', async () => {
    const client = await pool.connect();
    try {
      const text = 'select $1::int + 1 as n';
      expect((await client.query(text, [1])).rows).toEqual([{ n: 2 }]);
      expect((await client.query({ text, values: [41] })).rows).toEqual([{ n: 42 }]);
      expect((await pool.query(text, [9])).rows).toEqual([{ n: 10 }]); // pool.query passes a callback (on the other connection)
      expect((await prepared(client)).filter((s) => s === text)).toHaveLength(1);
    } finally {
      client.release();
    }
  });

  it('leaves queries without parameters on the simple protocol, where several statements may go at once', async () => {
    const client = await pool.connect();
    try {
      await client.query('begin; set local synchronous_commit = off');
      expect((await client.query('show synchronous_commit')).rows).toEqual([{ synchronous_commit: 'off' }]);
      await client.query('commit');
      // pg-boss sends scripts with an empty values array.
      await client.query('create temporary table t (n int); insert into t values (1)', []);
      expect((await client.query('select n from t')).rows).toEqual([{ n: 1 }]);
      expect(await prepared(client)).not.toContain('select n from t');
      // ... and its job fetch, one statement with every value in its text, which is prepared.
      expect((await client.query("select n from t where n = 1", [])).rows).toEqual([{ n: 1 }]);
      expect(await prepared(client)).toContain('select n from t where n = 1');
    } finally {
      client.release();
    }
  });

  it('keeps a caller-given name and an error on one statement from spoiling the next', async () => {
    const client = await pool.connect();
    try {
      expect((await client.query({ name: 'mine', text: 'select $1::text as s', values: ['a'] })).rows).toEqual([{ s: 'a' }]);
      expect(await prepared(client)).toContain('select $1::text as s');
      await expect(client.query('select 1 / $1::int as n', [0])).rejects.toThrow(/division by zero/);
      expect((await client.query('select 1 / $1::int as n', [1])).rows).toEqual([{ n: 1 }]);
    } finally {
      client.release();
    }
  });
});
