// The queue limit, exact however many requests arrive at once: each queued item holds one
// of its hook's queue_limit slots (0 to limit - 1), and a unique index on (hook, slot) over
// QUEUED rows lets no two hold the same one, committed or in flight. An item that leaves
// the queue (processed, failed, deleted) frees its slot. Far from full, a random slot is
// most likely free and accepting stays parallel; near full, the lowest free slot is taken,
// and two requests that race for it are decided by the index (the loser tries the next).
// A limit lowered below the items already waiting keeps them all: those that do not fit
// hold slots at or above the limit, and each slot inside it that comes free goes to one of
// them (a trigger, schema/migrations/..._inbound_queue_overflow.ts), so new requests are
// refused until fewer items wait than the limit.
import type pg from 'pg';
import * as sql from '../sql/inbound.ts';

/** Random slots tried before asking for a free one. */
const RANDOM_TRIES = 2;

/**
 * Inserts the queued request into a free slot of its hook's queue, in the caller's
 * transaction; false (nothing inserted) when every slot is held. Each try that loses a
 * slot loses it to an item now queued, so this ends after at most `limit` tries.
 */
export async function insertIntoQueue(client: pg.PoolClient, hook: { tenant_id: string; id: string; queue_limit: number }, request: sql.NewInboundRequest): Promise<boolean> {
  const tryInsert = async (slot: number) => ((await client.query(sql.insertRequest({ ...request, queueSlot: slot }))).rowCount ?? 0) > 0;
  for (let i = 0; i < RANDOM_TRIES; i++) if (await tryInsert(Math.floor(Math.random() * hook.queue_limit))) return true;
  for (;;) {
    const free = (await client.query<{ slot: number }>(sql.firstFreeQueueSlot(hook.tenant_id, hook.id, hook.queue_limit))).rows[0];
    if (!free) return false;
    if (await tryInsert(free.slot)) return true;
  }
}

/**
 * After the hook's queue limit was lowered: waiting items outside the new limit move into
 * its free slots. A request queued meanwhile may take a slot first (unique violation): then
 * it is tried again with the slots as they are now.
 */
export async function fitQueueToLimit(pool: Pick<pg.Pool, 'query'>, hook: { tenant_id: string; id: string; queue_limit: number }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query(sql.fitQueueToLimit(hook.tenant_id, hook.id, hook.queue_limit));
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '23505' || attempt >= 4) throw error;
    }
  }
}
