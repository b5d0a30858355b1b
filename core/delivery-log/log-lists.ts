// Events and attempts as Relay pages (events newest first; attempts newest or oldest first), with the same keyset cursors as the
// delivery log. These tables grow like the log, so no OFFSET and counts only on demand.
import * as sql from '../sql/delivery-log.ts';
import { decodeCursor, encodeCursor, isId, isTime, pageCursor } from './cursor.ts';
import type { Db, PageRequest } from './delivery-log-query.ts';

export interface ListPage {
  rows: Record<string, unknown>[];
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

type PageSql<F> = (args: sql.SimplePageArgs<F>) => { text: string; values: unknown[] };

/** `signature` names the list and its order: a cursor of one order is refused by the other. */
async function newestFirstPage<F>(db: Db, signature: string, idPrefix: string, build: PageSql<F>, tenantId: string, filter: F, page: PageRequest): Promise<ListPage> {
  const { field, given } = pageCursor(page);
  const cursor = given ? decodeCursor(field, given, signature, [isTime, isId(idPrefix)]) : null;
  const run = async (backward: boolean, limit: number, inclusive = false) =>
    (await db.query<Record<string, unknown>>(build({ tenantId, filter, backward, cursor, inclusive, limit }))).rows;
  const fetched = await run(page.backward, page.size + 1);
  const more = fetched.length > page.size;
  const rows = fetched.slice(0, page.size);
  if (page.backward) rows.reverse();
  const otherSide = cursor ? (await run(!page.backward, 1, true)).length > 0 : false;
  return {
    rows: rows.map((row) => {
      const out = { ...row };
      delete out._k0;
      delete out._k1;
      return out;
    }),
    cursors: rows.map((r) => encodeCursor(signature, r, 2)),
    hasNextPage: page.backward ? otherSide : more,
    hasPreviousPage: page.backward ? more : otherSide,
  };
}

export function eventLogPage(db: Db, tenantId: string, filter: sql.EventLogFilter, page: PageRequest): Promise<ListPage> {
  return newestFirstPage(db, 'events', 'evt', sql.eventPage, tenantId, filter, page);
}

export function attemptLogPage(db: Db, tenantId: string, filter: sql.AttemptLogFilter, page: PageRequest): Promise<ListPage> {
  return newestFirstPage(db, filter.oldestFirst ? 'attempts:oldest' : 'attempts', 'att', sql.attemptPage, tenantId, filter, page);
}

export async function countEventLog(db: Db, tenantId: string, filter: sql.EventLogFilter): Promise<number> {
  return Number((await db.query<{ count: string }>(sql.countEvents(tenantId, filter))).rows[0].count);
}

export async function countAttemptLog(db: Db, tenantId: string, filter: sql.AttemptLogFilter): Promise<number> {
  return Number((await db.query<{ count: string }>(sql.countAttempts(tenantId, filter))).rows[0].count);
}

/**
 * Attempts in list order for an export (without headers and bodies), `batchSize` at a
 * time, each batch a keyset page after the previous one: memory stays at one batch, and
 * the caller's `await` between batches is the backpressure.
 */
export async function* attemptLogBatches(db: Db, tenantId: string, filter: sql.AttemptLogFilter, batchSize = 1000): AsyncGenerator<Record<string, unknown>[]> {
  let cursor: unknown[] | null = null;
  for (;;) {
    const rows: Record<string, unknown>[] = (await db.query<Record<string, unknown>>(sql.attemptExportPage({ tenantId, filter, backward: false, cursor, limit: batchSize }))).rows;
    if (rows.length) yield rows;
    if (rows.length < batchSize) return;
    const last: Record<string, unknown> = rows[rows.length - 1];
    cursor = [last._k0, last._k1];
  }
}
