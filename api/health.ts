import type { ServerResponse } from 'node:http';
import type { Services } from '../schema/graphql/context.ts';
import { BOSS_SCHEMA } from '../schema/runtime/queue.ts';

/** 200 when the database answers and the queue schema is installed, else 503 with what failed. */
export async function handleHealth(services: Services, res: ServerResponse): Promise<void> {
  const checks: Record<string, string> = {};
  try {
    await services.pool.query('select 1');
    checks.database = 'ok';
  } catch (error) {
    checks.database = (error as Error).message;
  }
  try {
    const { rows } = await services.pool.query('select 1 from information_schema.tables where table_schema = $1 and table_name = $2', [BOSS_SCHEMA, 'job']);
    checks.queue = rows.length ? 'ok' : 'pg-boss schema missing';
  } catch (error) {
    checks.queue = (error as Error).message;
  }
  const healthy = Object.values(checks).every((v) => v === 'ok');
  res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ status: healthy ? 'ok' : 'unhealthy', checks }));
}
