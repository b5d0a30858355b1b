import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Per-hook rate limits shared by every API process: the counters live in PostgreSQL
 * (rate-limiter-flexible), so N API processes together respect a hook's limit.
 */
export function createInboundRateLimiter(pool: pg.Pool) {
  const limiters = new Map<number, Promise<RateLimiterPostgres>>();

  function limiterFor(perSecond: number): Promise<RateLimiterPostgres> {
    let limiter = limiters.get(perSecond);
    if (!limiter) {
      limiter = new Promise((resolve, reject) => {
        const created: RateLimiterPostgres = new RateLimiterPostgres(
          { storeClient: pool, storeType: 'pool', tableName: 'inbound_rate_limit', keyPrefix: `in${perSecond}`, points: perSecond, duration: 1, clearExpiredByTimeout: true },
          (error?: Error) => (error ? reject(error) : resolve(created)),
        );
      });
      limiter.catch(() => limiters.delete(perSecond));
      limiters.set(perSecond, limiter);
    }
    return limiter;
  }

  return {
    /** 0 when the request may pass, else the milliseconds until the hook has room again. */
    async waitMs(hookId: string, perSecond: number): Promise<number> {
      try {
        await (await limiterFor(perSecond)).consume(hookId, 1);
        return 0;
      } catch (result) {
        if (result instanceof RateLimiterRes) return Math.max(1, result.msBeforeNext);
        throw result;
      }
    },
  };
}

export type InboundRateLimiter = ReturnType<typeof createInboundRateLimiter>;
