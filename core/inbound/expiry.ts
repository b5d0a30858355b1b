// Expiry: a hook whose event type no active webhook listens to for 120 h expires (410
// Gone, with the reason in its status). `now` is the sweep's clock: the worker passes the
// time, tests pass a moved one.
import type pg from 'pg';
import * as sql from '../sql/inbound.ts';
import { inboundHookUpdate, notifyLiveUpdates } from '../live-updates/notify.ts';

export const INBOUND_EXPIRY_MS = 120 * 3600 * 1000;

/** One sweep at `now`; returns the ids of the hooks that expired, whose new status is pushed live. */
export async function sweepInboundExpiry(pool: Pick<pg.Pool, 'query'>, now: Date, expireAfterMs = INBOUND_EXPIRY_MS): Promise<string[]> {
  await pool.query(sql.markUnheardHooks(now));
  const { rows } = await pool.query<{ id: string; tenant_id: string }>(sql.expireUnheardHooks(now, expireAfterMs));
  await notifyLiveUpdates(pool, rows.map((r) => inboundHookUpdate({ id: r.id, tenantId: r.tenant_id })));
  return rows.map((r) => r.id);
}
