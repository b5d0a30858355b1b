// The delivery log as pages and batches: resolves the quick search, walks keyset
// cursors forward and backward, counts, and streams batches for exports. Used by the
// GraphQL `deliveries` query and by the CSV/PDF exports, so both see the same rows.
import type pg from 'pg';
import { ValidationError } from '../errors.ts';
import { escapeLike } from '../sql/like.ts';
import * as sql from '../sql/delivery-log.ts';
import { Params } from '../sql/keyset.ts';
import type { DeliveryLogFilter, DeliverySort, RankedField, Rankings, SearchMatches } from '../sql/delivery-log.ts';
import { decodeCursor, encodeCursor, pageCursor, isBool, isId, isInt, isText, isTime, type ValueCheck } from './cursor.ts';
import { checkDeliveryFilter, checkDeliverySort, searchTerms, type DeliveryFilterInput, type DeliverySortInput, type SearchRequest } from './delivery-log-input.ts';

export type Db = Pick<pg.Pool, 'query'>;

/** A raw delivery row as the log query returns it (snake_case columns, cursor values `_k…`). */
export type LogRow = Record<string, unknown> & { id: string };

/** A checked, search-resolved log query; rankings are loaded on first use and kept. */
export interface DeliveryLog {
  tenantId: string;
  filter: DeliveryLogFilter;
  sort: DeliverySort[];
  rankings: Rankings;
  /** For a sort led by INTEGRATOR or WEBHOOK, or a mixed one: walk groups in order (true) or read in one statement (false). */
  walkGroups?: boolean;
}

const RANKED: RankedField[] = ['INTEGRATOR', 'WEBHOOK'];
/**
 * Integrators (webhooks) walked per statement when a page is sorted first by them: a few
 * at first, since the first one or two usually fill a page, then doubling up to 128.
 */
const FIRST_RANK_CHUNK = 4;
const MAX_RANK_CHUNK = 128;

async function resolveSearch(db: Db, tenantId: string, search: SearchRequest): Promise<SearchMatches> {
  const matches: SearchMatches = { deliveryIds: [], eventIds: [], integratorIds: [], webhookIds: [], eventTypes: [], statuses: [], httpStatuses: [] };
  if (search.kind === 'id') {
    if (search.type === 'Delivery') matches.deliveryIds.push(search.id);
    else if (search.type === 'Event') matches.eventIds.push(search.id);
    else if (search.type === 'Integrator') matches.integratorIds.push(search.id);
    else if (search.type === 'Webhook') matches.webhookIds.push(search.id);
    else if (search.type === 'Attempt') {
      const { rows } = await db.query<{ delivery_id: string }>(sql.deliveryOfAttempt(tenantId, search.id));
      matches.deliveryIds.push(...rows.map((r) => r.delivery_id));
    }
    return matches;
  }
  Object.assign(matches, searchTerms(search.text));
  const { rows } = await db.query<{ kind: string; value: string }>(sql.searchTargets(tenantId, `%${escapeLike(search.text)}%`));
  for (const { kind, value } of rows) {
    if (kind === 'eventType') matches.eventTypes.push(value);
    else if (kind === 'integrator') matches.integratorIds.push(value);
    else matches.webhookIds.push(value);
  }
  return matches;
}

/** Checks the filter and sort and resolves the search; throws ValidationError for bad input. */
export async function openDeliveryLog(
  db: Db,
  tenantId: string,
  input: { filter?: DeliveryFilterInput | null; orderBy?: readonly DeliverySortInput[] | null },
  names: { filter?: string; orderBy?: string } = {},
): Promise<DeliveryLog> {
  const { filter, search } = checkDeliveryFilter(input.filter, names.filter ?? 'filter');
  const sort = checkDeliverySort(input.orderBy, names.orderBy ?? 'orderBy');
  const resolved: DeliveryLogFilter = { ...filter };
  if (search) resolved.search = await resolveSearch(db, tenantId, search);
  return { tenantId, filter: resolved, sort, rankings: {} };
}

async function ranking(db: Db, log: DeliveryLog, field: RankedField): Promise<string[]> {
  if (!log.rankings[field]) {
    const { rows } = await db.query<{ id: string }>(sql.rankingOf(field, log.tenantId));
    log.rankings[field] = rows.map((r) => r.id);
  }
  return log.rankings[field]!;
}

async function loadRankings(db: Db, log: DeliveryLog): Promise<void> {
  for (const field of RANKED) if (log.sort.some((s) => s.field === field)) await ranking(db, log, field);
}

// ---- cursors -----------------------------------------------------------------------------

type Slot = 'time' | 'int' | 'bool' | 'text' | 'id' | RankedField;

/** What each cursor value is, term by term, for a sort (matches sql.deliveryTerms). */
function slots(sort: DeliverySort[]): Slot[] {
  const of: Record<DeliverySort['field'], Slot> = {
    HTTP_STATUS: 'int',
    DURATION: 'int',
    CREATED_AT: 'time',
    DELIVERED_AT: 'time',
    LAST_ATTEMPT_AT: 'time',
    ATTEMPTS: 'int',
    SUCCEEDED: 'bool',
    EVENT_TYPE: 'text',
    INTEGRATOR: 'INTEGRATOR',
    WEBHOOK: 'WEBHOOK',
  };
  const list = sort.map((s) => of[s.field]);
  if (!sort.some((s) => s.field === 'CREATED_AT')) list.push('time');
  list.push('id');
  return list;
}

const CHECKS: Record<Slot, ValueCheck> = {
  time: isTime,
  int: isInt,
  bool: isBool,
  text: isText,
  id: isId('dlv'),
  INTEGRATOR: isId('int'),
  WEBHOOK: isId('whk'),
};

/** Cursors name their sort: one from another sort is refused rather than misread. */
function signature(sort: DeliverySort[]): string {
  return `deliveries:${sort.map((s) => `${s.field}:${s.direction}`).join(',')}`;
}

/** Cursor values as the SQL wants them: integrator and webhook ids become their position by name. */
function sqlValues(field: string, log: DeliveryLog, shape: Slot[], values: unknown[]): unknown[] {
  return values.map((v, i) => {
    const slot = shape[i];
    if (slot !== 'INTEGRATOR' && slot !== 'WEBHOOK') return v;
    const position = log.rankings[slot]!.indexOf(v as string);
    if (position < 0) throw new ValidationError(field, 'the cursor names a row that no longer exists; start again without it');
    return position + 1;
  });
}

// ---- pages ---------------------------------------------------------------------------------

/** Rows in walking order: `limit` rows after the cursor (or from the start), forward or backward. */
async function walk(db: Db, log: DeliveryLog, backward: boolean, cursor: unknown[] | null, limit: number, inclusive = false): Promise<LogRow[]> {
  await loadRankings(db, log);
  const args: sql.DeliveryPageArgs = { tenantId: log.tenantId, filter: log.filter, sort: log.sort, backward, cursor, inclusive, limit, rankings: log.rankings };
  const first = log.sort[0].field;
  const ranked = first === 'INTEGRATOR' || first === 'WEBHOOK';
  const mixed = !ranked && isMixedSort(log.sort);
  if (!(ranked || mixed) || !(await walkGroups(db, log))) {
    if (mixed) return walkMixed(db, args, cursor, limit);
    return (await db.query<LogRow>(sql.deliveryPage(args))).rows;
  }
  if (!ranked) return walkValues(db, args, cursor, limit);
  // Sorted first by integrator (webhook) name: walk them in order, a chunk per statement.
  const ids = log.rankings[first]!;
  const ascending = (log.sort[0].direction === 'ASC') !== backward;
  const only = await walkedRefs(db, log, first);
  const cursorRank = cursor ? (cursor[0] as number) : null;
  let order = ids.map((id, i) => ({ id, rank: i + 1 }));
  if (!ascending) order.reverse();
  if (cursorRank != null) order = order.filter((r) => (ascending ? r.rank > cursorRank : r.rank < cursorRank));
  if (only) order = order.filter((r) => only.has(r.id));
  const rows: LogRow[] = [];
  let cursorRef = cursorRank != null ? { id: ids[cursorRank - 1], rank: cursorRank } : null;
  for (let start = 0, size = FIRST_RANK_CHUNK; rows.length < limit && (cursorRef || start < order.length); start += size, size = Math.min(MAX_RANK_CHUNK, size * 2)) {
    const chunk = order.slice(start, start + size);
    const statement = sql.rankedFirstPage({ ...args, limit: limit - rows.length }, { ids: chunk.map((r) => r.id), ranks: chunk.map((r) => r.rank) }, cursorRef);
    rows.push(...(await db.query<LogRow>(statement)).rows);
    cursorRef = null;
  }
  return rows;
}

/**
 * A sort whose first key runs one way and created at the other (ATTEMPTS DESC,
 * CREATED_AT ASC). No index has that order: read straight, the first key's whole
 * leading group (every delivery with 8 attempts) would be sorted by time for one page.
 */
function isMixedSort(sort: DeliverySort[]): boolean {
  return sort.length === 2 && sort[1].field === 'CREATED_AT' && sort[0].direction !== sort[1].direction;
}

/**
 * A mixed sort's page, group by group: the first key's distinct values in order (a loose
 * index scan), and for each value its first rows by created at from the index led by
 * (tenant_id, key), a chunk of values per statement until the page is full.
 */
async function walkValues(db: Db, args: sql.DeliveryPageArgs, cursor: unknown[] | null, limit: number): Promise<LogRow[]> {
  const [key] = sql.deliveryTerms(args.sort, args.backward, new Params(), args.rankings);
  const rows: LogRow[] = [];
  let after = cursor ? cursor[0] : null;
  let cursorRef = cursor ? { value: cursor[0], rank: 0 } : null;
  for (let size = FIRST_RANK_CHUNK; rows.length < limit; size = Math.min(MAX_RANK_CHUNK, size * 2)) {
    const values = (await db.query<{ value: string }>(sql.groupValues(args.tenantId, key, after, size))).rows.map((r) => r.value);
    if (!values.length && !cursorRef) break;
    const statement = sql.groupedPage({ ...args, limit: limit - rows.length }, key, { values, ranks: values.map((_, i) => i + 1) }, cursorRef, 'ASC');
    rows.push(...(await db.query<LogRow>(statement)).rows);
    cursorRef = null;
    if (values.length < size) break;
    after = values.at(-1)!;
  }
  return rows;
}

/**
 * A mixed sort's page under a selective filter. Read in one statement, PostgreSQL
 * finishes the first key's whole leading group before the limit applies (an Incremental
 * Sort): with status FAILED by DELIVERED_AT DESC, CREATED_AT ASC, every undelivered
 * delivery, and then the whole index looking for another. Instead: the cursor's own
 * value on from the cursor, then the next rows in a plain one-direction order (as fast
 * as a single-key sort), each value's run turned round, and the last value, which the
 * limit may have cut, read again in the page's order. At most three index range scans.
 */
async function walkMixed(db: Db, args: sql.DeliveryPageArgs, cursor: unknown[] | null, limit: number): Promise<LogRow[]> {
  const rows: LogRow[] = [];
  if (cursor) rows.push(...(await db.query<LogRow>(sql.mixedGroupRows(args, cursor[0], cursor.slice(1)))).rows);
  if (rows.length >= limit) return rows;
  const wanted = limit - rows.length;
  const ahead = (await db.query<LogRow>(sql.mixedLeadRows({ ...args, limit: wanted }, cursor ? cursor[0] : null))).rows;
  const cut = ahead.length === wanted ? ahead.at(-1)!._k0 : undefined;
  const whole = cut === undefined ? ahead : ahead.filter((r) => r._k0 !== cut);
  for (let start = 0; start < whole.length; ) {
    let end = start;
    while (end < whole.length && whole[end]._k0 === whole[start]._k0) end++;
    rows.push(...whole.slice(start, end).reverse());
    start = end;
  }
  if (cut !== undefined) rows.push(...(await db.query<LogRow>(sql.mixedGroupRows({ ...args, limit: limit - rows.length, inclusive: false }, cut, null))).rows);
  return rows;
}

/** Matching rows above which sorting them all costs more than walking groups. */
const SORT_MATCHES_LIMIT = 100_000;

/**
 * Whether to walk a page group by group (integrator or webhook names in order, or a mixed
 * sort's first-key values) or read it in one statement. Walking takes each group's first
 * rows from its index: cheap while most groups have matching rows; under a selective
 * filter (one event type that failed…) it would scan whole groups to find nothing, and
 * the matching rows are few enough to sort outright, from the index that suits the
 * filter. The planner's row estimate decides. Names walked under conditions the walk's
 * own index is led by never need it: integrator, webhook, created range, status and
 * event type (the (tenant_id, status | event_type, integrator_id | webhook_id,
 * created_at, id) indexes: a name without such rows costs one probe). Decided once per log.
 */
async function walkGroups(db: Db, log: DeliveryLog): Promise<boolean> {
  if (log.walkGroups === undefined) {
    const ranked = log.sort[0].field === 'INTEGRATOR' || log.sort[0].field === 'WEBHOOK';
    const bounded = ranked ? ['integratorIds', 'webhookIds', 'createdFrom', 'createdTo', 'statuses', 'eventTypes'] : [];
    if (Object.entries(log.filter).every(([key, value]) => value === undefined || bounded.includes(key))) log.walkGroups = true;
    else {
      const { rows } = await db.query<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(sql.estimateDeliveries(log.tenantId, log.filter));
      log.walkGroups = rows[0]['QUERY PLAN'][0].Plan['Plan Rows'] > SORT_MATCHES_LIMIT;
    }
  }
  return log.walkGroups;
}

/**
 * The only integrators (webhooks) worth walking, when the filter says: an integrator
 * filter, or a webhook filter (a webhook belongs to one integrator for life, and its
 * deliveries carry that integrator), and the other way round. Null: all of them.
 */
async function walkedRefs(db: Db, log: DeliveryLog, field: RankedField): Promise<Set<string> | null> {
  const { integratorIds, webhookIds } = log.filter;
  if (!integratorIds && !webhookIds) return null;
  if (field === 'INTEGRATOR' && integratorIds && !webhookIds) return new Set(integratorIds);
  if (field === 'WEBHOOK' && webhookIds && !integratorIds) return new Set(webhookIds);
  const { rows } = await db.query<{ id: string; integrator_id: string }>(sql.webhookOwners(log.tenantId));
  const pairs = rows.filter((w) => (!webhookIds || webhookIds.includes(w.id)) && (!integratorIds || integratorIds.includes(w.integrator_id)));
  return new Set(pairs.map((w) => (field === 'INTEGRATOR' ? w.integrator_id : w.id)));
}

export interface PageRequest {
  /** Rows wanted (already checked: 1 to 100). */
  size: number;
  /** Page backward (Relay `last`/`before`). */
  backward: boolean;
  after?: string | null;
  before?: string | null;
}

export interface LogPage {
  rows: LogRow[];
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/**
 * One Relay page. Forward: rows after `after`; backward: rows before `before`, returned
 * in list order. Rows inserted meanwhile never shift a keyset page, so paging on while
 * deliveries arrive neither skips nor repeats a row. The "other side" flag is exact: one
 * indexed LIMIT 1 probe from the cursor the other way.
 */
export async function deliveryLogPage(db: Db, log: DeliveryLog, page: PageRequest): Promise<LogPage> {
  const { field, given } = pageCursor(page);
  await loadRankings(db, log);
  const shape = slots(log.sort);
  const sig = signature(log.sort);
  const cursor = given ? sqlValues(field, log, shape, decodeCursor(field, given, sig, shape.map((slot) => CHECKS[slot]))) : null;
  const fetched = await walk(db, log, page.backward, cursor, page.size + 1);
  const more = fetched.length > page.size;
  const rows = fetched.slice(0, page.size);
  if (page.backward) rows.reverse();
  const otherSide = cursor ? (await walk(db, log, !page.backward, cursor, 1, true)).length > 0 : false;
  return {
    rows,
    cursors: rows.map((r) => encodeCursor(sig, r, shape.length)),
    hasNextPage: page.backward ? otherSide : more,
    hasPreviousPage: page.backward ? more : otherSide,
  };
}

/** Up to this many matches the log's total is exact; past it, an estimate. */
export const EXACT_TOTAL_LIMIT = 10_000;

export interface LogTotal {
  count: number;
  /** True when `count` is the planner's estimate (more than EXACT_TOTAL_LIMIT rows match). */
  estimated: boolean;
}

/**
 * The log's total for display: exact up to EXACT_TOTAL_LIMIT (counting reads at most that
 * many index entries), past it the planner's estimate, never below the bound. An exact
 * count of a million rows reads a million index entries (a second at 1,000,000
 * deliveries, ten at 10,000,000) where a dashboard wants "about 1,000,000" at once.
 */
export async function totalOfDeliveryLog(db: Db, log: DeliveryLog): Promise<LogTotal> {
  const { rows } = await db.query<{ count: string }>(sql.countDeliveriesUpTo(log.tenantId, log.filter, EXACT_TOTAL_LIMIT + 1));
  const count = Number(rows[0].count);
  if (count <= EXACT_TOTAL_LIMIT) return { count, estimated: false };
  const plan = await db.query<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(sql.estimateDeliveries(log.tenantId, log.filter));
  return { count: Math.max(EXACT_TOTAL_LIMIT + 1, Math.round(plan.rows[0]['QUERY PLAN'][0].Plan['Plan Rows'])), estimated: true };
}

/** A count slower than this is kept for COUNT_TTL_MS, so paging through a big log does not recount it per page. */
const SLOW_COUNT_MS = 100;
const COUNT_TTL_MS = 5000;
const slowCounts = new Map<string, { count: number; until: number }>();

/**
 * Rows matching the filter, exact (what a bulk retry will work through; the log's
 * displayed total is totalOfDeliveryLog). A count that took long (a million rows) is reused for
 * five seconds for the same tenant and filter, which is what paging through it asks.
 */
export async function countDeliveryLog(db: Db, log: DeliveryLog): Promise<number> {
  const key = `${log.tenantId}:${JSON.stringify(log.filter)}`;
  const now = Date.now();
  const kept = slowCounts.get(key);
  if (kept && kept.until > now) return kept.count;
  const { rows } = await db.query<{ count: string }>(sql.countDeliveries(log.tenantId, log.filter));
  const count = Number(rows[0].count);
  if (Date.now() - now > SLOW_COUNT_MS) {
    if (slowCounts.size > 1000) for (const [k, v] of slowCounts) if (v.until <= now) slowCounts.delete(k);
    if (slowCounts.size <= 1000) slowCounts.set(key, { count, until: Date.now() + COUNT_TTL_MS });
  }
  return count;
}

/**
 * The whole log in list order, `batchSize` rows at a time, each batch a keyset page
 * after the previous one: memory stays at one batch whatever the log's size, and the
 * caller's `await` between batches is the backpressure.
 */
export async function* deliveryLogBatches(db: Db, log: DeliveryLog, batchSize = 1000): AsyncGenerator<LogRow[]> {
  await loadRankings(db, log);
  const shape = slots(log.sort);
  let cursor: unknown[] | null = null;
  for (;;) {
    const rows = await walk(db, log, false, cursor, batchSize);
    if (rows.length) yield rows;
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1];
    cursor = sqlValues('cursor', log, shape, shape.map((_, i) => last[`_k${i}`]));
  }
}

/** The delivery columns of a log row, without the cursor values. */
export function deliveryColumns(row: LogRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (!/^_k\d+$|^_rank$/.test(key)) out[key] = value;
  return out;
}

export interface Directory {
  integrators: Map<string, string>;
  webhooks: Map<string, { name: string; url: string }>;
}

/** Integrator and webhook names of a tenant, for exports (small tables, read once per export). */
export async function loadDirectory(db: Db, tenantId: string): Promise<Directory> {
  const { rows } = await db.query<{ kind: string; id: string; name: string; url: string | null }>(sql.directory(tenantId));
  const directory: Directory = { integrators: new Map(), webhooks: new Map() };
  for (const row of rows) {
    if (row.kind === 'integrator') directory.integrators.set(row.id, row.name);
    else directory.webhooks.set(row.id, { name: row.name, url: row.url ?? '' });
  }
  return directory;
}
