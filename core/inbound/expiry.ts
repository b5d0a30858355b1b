// Expiry: a hook whose event type no active webhook listens to for 120 h expires (410
// Gone, with the reason in its status), and hookyard.inbound_hook.expired is published in
// the same transaction: once per expiry, however many sweeps run at once. `now` is the
// sweep's clock: the worker passes the time, tests pass a moved one.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Logger } from '../../infra/logger.ts';
import { withTransaction } from '../../infra/transaction.ts';
import { publishOperationalEvents } from '../publishing/operational-events.ts';
import type { LiveUpdate } from '../live-updates/live-update.ts';
import { notifyAfterCommitSql } from '../sql/live-updates.ts';
import * as sql from '../sql/inbound.ts';
import { inboundHookUpdate } from '../live-updates/notify.ts';

export const INBOUND_EXPIRY_MS = 120 * 3600 * 1000;

interface ExpiredHookRow {
  id: string;
  tenant_id: string;
  name: string;
  event_type: string;
  status_reason: string;
}

/** One sweep at `now`; returns the ids of the hooks that expired, whose new status is pushed live. */
export async function sweepInboundExpiry(deps: { pool: pg.Pool; boss: PgBoss; log: Logger }, now: Date, expireAfterMs = INBOUND_EXPIRY_MS): Promise<string[]> {
  await deps.pool.query(sql.markUnheardHooks(now));
  const { expired, changes, wake } = await withTransaction(deps.pool, async (client) => {
    const rows = (await client.query<ExpiredHookRow>(sql.expireUnheardHooks(now, expireAfterMs))).rows;
    const published: LiveUpdate[] = await publishOperationalEvents(
      client,
      deps.boss,
      rows.map((h) => ({ tenantId: h.tenant_id, type: 'hookyard.inbound_hook.expired', payload: { inboundHookId: h.id, name: h.name, eventType: h.event_type, reason: h.status_reason } })),
    );
    // Its new status is pushed live too.
    return { expired: rows.map((h) => h.id), changes: [...published, ...rows.map((h) => inboundHookUpdate({ id: h.id, tenantId: h.tenant_id }))], wake: published.length > 0 };
  });
  // The deliveries' jobs are not announced by pg-boss: wake the delivery workers after the commit.
  if (changes.length) await deps.pool.query(notifyAfterCommitSql(changes, { wakeWorkers: wake })).catch((error) => deps.log.warn({ err: error }, 'change notification failed'));
  return expired;
}
