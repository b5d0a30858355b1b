import type pg from 'pg';

export interface TransactionOptions {
  /**
   * Commit without waiting for the WAL flush (`synchronous_commit = off`). Only for writes
   * that can be lost in a PostgreSQL crash without losing anything a caller was promised:
   * a crash loses the newest commits only, in order, so whatever depended on them is lost
   * with them. The worker's records are such writes: the job that made them is completed
   * after them, so it runs again and the delivery is sent again (at least once).
   */
  asynchronousCommit?: boolean;
  /**
   * Every statement runs on its cached generic plan. For transactions whose statements
   * find rows by id (the worker's records): PostgreSQL otherwise planned some of them
   * afresh at every call, 0.3 to 0.5 ms each for well under 0.1 ms of work
   * (pg_stat_statements on the delivery bench at 100 events/s). Never for statements whose
   * best plan depends on their values (the delivery log's filters).
   */
  genericPlans?: boolean;
}

/** Runs `fn` in one transaction on a pooled client: commit on success, rollback on any throw. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
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
    // One round trip whatever the options: the simple protocol takes several statements at once.
    const settings = [options.asynchronousCommit ? 'set local synchronous_commit = off' : '', options.genericPlans ? 'set local plan_cache_mode = force_generic_plan' : ''].filter(Boolean);
    await client.query(['begin', ...settings].join('; '));
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
