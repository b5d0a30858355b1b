// The expiry sweep, every minute: hooks no active webhook listened to for 120 h expire,
// each announced as hookyard.inbound_hook.expired (core/inbound/expiry.ts).
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Logger } from '../../infra/logger.ts';
import { sweepInboundExpiry } from '../../core/inbound/expiry.ts';

export const INBOUND_EXPIRY_CRON = '* * * * *';

export function createInboundExpiryHandler(deps: { pool: pg.Pool; boss: PgBoss; log: Logger; now?: () => Date }) {
  return async (): Promise<void> => {
    const expired = await sweepInboundExpiry(deps, (deps.now ?? (() => new Date()))());
    if (expired.length) deps.log.info({ hooks: expired }, 'inbound hooks expired: no active webhook listened to their event type for 120 h');
  };
}
