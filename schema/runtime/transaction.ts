import type pg from 'pg';

/** Runs `fn` in one transaction on a pooled client: commit on success, rollback on any throw. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // The pool stops listening for errors on a client it hands out: a connection cut while
  // this holds it between two statements would be an unhandled 'error' event and end the
  // process. Keep the error instead, and have the pool drop that connection on release.
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost ??= error;
  };
  client.on('error', onError);
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(lost);
  }
}

/** pg-boss's `db` option over a client, so jobs commit or roll back with the rows they concern. */
export function bossDb(client: pg.PoolClient) {
  return { executeSql: (text: string, values?: unknown[]) => client.query(text, values) };
}
