// Parking keeps a full webhook's backlog out of the delivery fetch.
//
// pg-boss's group concurrency holds each webhook to its maxInFlight, but it does so by
// walking every queued job in order and skipping those of full webhooks: with one webhook
// 20,000 deep, each fetch read all 20,000 rows (86 ms against 6 ms parked, measured on
// this machine), and the drain fell to a few hundred deliveries a second. So jobs beyond a
// webhook's room (its limit less its active jobs) are parked: given a priority below what
// the fetch asks for (core/jobs.ts PARKED_PRIORITY). A job that ends frees its slot and
// unparks the webhook's oldest parked job in the same transaction. When a fetch comes back
// short, the engine parks what piled up, and every few seconds unparks for any webhook with room to spare:
// a park that raced the end of the jobs it counted as active would otherwise leave parked
// jobs that no ended job frees. Parking never changes what is sent or in what order
// within a webhook (oldest first), and a parked job is still a queued job: the sweeper and
// the lease count it as the delivery's way forward.
import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import { withTransaction } from '../../infra/transaction.ts';
import { PARKED_JOBS_INDEX_EXISTS_SQL, PARKED_JOBS_INDEX_LOCK_SQL, PARKED_JOBS_INDEX_SQL, parkExcessJobs, unparkJobs, unparkIntoRoom } from '../../core/sql/job-parking.ts';

/** The engine parks at most this often: each pass reads every ready job once. */
const PARK_EVERY_MS = 250;
/** And unparks into room at most this often: each pass reads every parked job once. */
const REBALANCE_EVERY_MS = 5000;
/** Webhooks one pass unparks for at most; the next pass takes the rest. */
const STARVED_LIMIT = 1000;

/**
 * Creates the index unparking uses (pg-boss's job table is pg-boss's; the index is
 * Hookyard's). Looked up first: `create index if not exists` locks the job table and each
 * of its partitions even when the index is there, which deadlocked a starting worker with
 * running ones (their transactions lock a partition, then the table). Workers starting
 * together take turns: two concurrent `create index if not exists` can both try to create it.
 */
export async function ensureParkingIndex(pool: pg.Pool): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if ((await pool.query<{ exists: boolean }>(PARKED_JOBS_INDEX_EXISTS_SQL)).rows[0].exists) return;
    try {
      await withTransaction(pool, async (client) => {
        await client.query(PARKED_JOBS_INDEX_LOCK_SQL);
        await client.query(PARKED_JOBS_INDEX_SQL);
      });
      return;
    } catch (error) {
      // Created while running workers write: a deadlock with them is tried again.
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
    }
  }
}

/**
 * In the transaction that ends jobs: each ended job of a webhook unparks one of its parked
 * jobs. Run it with `genericPlans` (infra/transaction.ts): planned afresh, it cost 0.5 ms
 * of planning for 0.04 ms of work at every call, 15 % of PostgreSQL's time at 100 events/s.
 */
export async function unparkFreedSlots(client: pg.PoolClient, webhookIds: readonly (string | null | undefined)[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const id of webhookIds) if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (counts.size === 0) return;
  const freed = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([webhookId, count]) => ({ webhookId, count }));
  await client.query(unparkJobs(freed));
}

/** The engine's side: after a short fetch, park and rebalance (at most every PARK_EVERY_MS). */
export function createJobParker(deps: { pool: pg.Pool; log: Logger }) {
  let lastPass = 0;
  let lastRebalance = 0;
  let passing: Promise<void> | null = null;
  return {
    afterShortFetch(): void {
      const now = Date.now();
      if (passing || now - lastPass < PARK_EVERY_MS) return;
      lastPass = now;
      const rebalance = now - lastRebalance >= REBALANCE_EVERY_MS;
      if (rebalance) lastRebalance = now;
      passing = (async () => {
        await deps.pool.query(parkExcessJobs());
        if (rebalance) await deps.pool.query(unparkIntoRoom(STARVED_LIMIT));
      })()
        .catch((error) => deps.log.warn({ err: error }, 'cannot park delivery jobs; fetches stay slower until the next pass'))
        .finally(() => (passing = null));
    },
    async drain(): Promise<void> {
      await passing;
    },
  };
}
