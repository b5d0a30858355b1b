import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Per-webhook rate limits shared by every worker process: the counters live in
 * PostgreSQL (rate-limiter-flexible), so N workers together respect the limit.
 */
export function createWebhookRateLimiter(pool: pg.Pool) {
  const limiters = new Map<number, Promise<RateLimiterPostgres>>();

  function limiterFor(perSecond: number): Promise<RateLimiterPostgres> {
    let limiter = limiters.get(perSecond);
    if (!limiter) {
      limiter = new Promise((resolve, reject) => {
        const created: RateLimiterPostgres = new RateLimiterPostgres(
          { storeClient: pool, storeType: 'pool', tableName: 'webhook_rate_limit', keyPrefix: `rps${perSecond}`, points: perSecond, duration: 1, clearExpiredByTimeout: true },
          (error?: Error) => (error ? reject(error) : resolve(created)),
        );
      });
      limiters.set(perSecond, limiter);
    }
    return limiter;
  }

  return {
    /** 0 when the delivery may go now, else the milliseconds until the webhook has room again. */
    async waitMs(webhookId: string, perSecond: number): Promise<number> {
      try {
        await (await limiterFor(perSecond)).consume(webhookId, 1);
        return 0;
      } catch (result) {
        if (result instanceof RateLimiterRes) return Math.max(1, result.msBeforeNext);
        throw result;
      }
    },
  };
}

export type WebhookRateLimiter = ReturnType<typeof createWebhookRateLimiter>;
