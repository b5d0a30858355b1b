// Expiry: a hook whose event type no active webhook listens to for 120 h expires (410
// Gone, with the reason in its status). `now` is the sweep's clock: the worker passes the
// time, tests pass a moved one.
import type pg from 'pg';
import * as sql from '../sql/inbound.ts';

export const INBOUND_EXPIRY_MS = 120 * 3600 * 1000;

/** One sweep at `now`; returns the ids of the hooks that expired. */
export async function sweepInboundExpiry(pool: Pick<pg.Pool, 'query'>, now: Date, expireAfterMs = INBOUND_EXPIRY_MS): Promise<string[]> {
  await pool.query(sql.markUnheardHooks(now));
  const { rows } = await pool.query<{ id: string }>(sql.expireUnheardHooks(now, expireAfterMs));
  return rows.map((r) => r.id);
}
