import type { ServerResponse } from 'node:http';
import type { Services } from '../core/services.ts';
import * as healthSql from '../core/sql/health.ts';
import { BOSS_SCHEMA } from '../infra/queue.ts';

/** How long a check may take: a probe that hangs must get an answer, not a timeout of its own. */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;

function withinTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`)), HEALTH_CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * 200 when the database answers and the queue schema is installed, else 503 with what
 * failed, within about two seconds even when PostgreSQL does not answer at all (a host
 * that drops packets, a pool whose connections are all busy).
 */
export async function handleHealth(services: Pick<Services, 'pool'>, res: ServerResponse): Promise<void> {
  const checks: Record<string, string> = {};
  try {
    await withinTimeout(services.pool.query(healthSql.ping()));
    checks.database = 'ok';
  } catch (error) {
    checks.database = (error as Error).message;
  }
  if (checks.database !== 'ok') {
    checks.queue = 'not checked: the database does not answer';
  } else {
    try {
      const { rows } = await withinTimeout(
        services.pool.query(healthSql.queueInstalled(BOSS_SCHEMA)),
      );
      checks.queue = rows.length ? 'ok' : 'pg-boss schema missing';
    } catch (error) {
      checks.queue = (error as Error).message;
    }
  }
  const healthy = Object.values(checks).every((v) => v === 'ok');
  res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ status: healthy ? 'ok' : 'unhealthy', checks }));
}
