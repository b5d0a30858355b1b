// SQL of the delivery log: filters, multi-column keyset pages, counts, and the lists
// beside it (events, attempts). Pure functions returning { text, values }.
//
// Every statement starts from `tenant_id = $1`: each delivery index is led by tenant_id,
// so a tenant's log is a contiguous slice of every index and no query can see another
// tenant's rows. Sorting follows the indexes too: each sort key is an indexed column
// (or indexed expression), followed by the tie-breakers created_at and id, so a page is
// an index range scan that stops after `limit` rows.
import type { DeliveryStatus } from '../../schema/entities/Delivery.ts';
import { Params, afterCursor, cursorColumns, flip, orderBy, timeText, type Direction, type Term } from './keyset.ts';

export const DELIVERY_SORT_FIELDS = ['CREATED_AT', 'INTEGRATOR', 'WEBHOOK', 'EVENT_TYPE', 'ATTEMPTS', 'LAST_ATTEMPT_AT', 'SUCCEEDED', 'DELIVERED_AT', 'HTTP_STATUS', 'DURATION'] as const;
export type DeliverySortField = (typeof DELIVERY_SORT_FIELDS)[number];
export type RankedField = 'INTEGRATOR' | 'WEBHOOK';

export interface DeliverySort {
  field: DeliverySortField;
  direction: Direction;
}

/** What the quick search matched; a delivery matches when any list contains its value. */
export interface SearchMatches {
  deliveryIds: string[];
  eventIds: string[];
  integratorIds: string[];
  webhookIds: string[];
  eventTypes: string[];
  /** Status words in the search ("failed", "succeeded"…). */
  statuses: DeliveryStatus[];
  /** An HTTP status in the search ("503"): the last response's. */
  httpStatuses: number[];
}

/** A checked filter (see rules/delivery-log-input.ts). Ranges are [from, to). */
export interface DeliveryLogFilter {
  createdFrom?: Date;
  createdTo?: Date;
  deliveredFrom?: Date;
  deliveredTo?: Date;
  attemptsMin?: number;
  attemptsMax?: number;
  /** The last response's HTTP status, inclusive; a delivery with no response yet has none. */
  httpStatusMin?: number;
  httpStatusMax?: number;
  /** The last attempt's duration in milliseconds, inclusive; a never-attempted delivery has none. */
  durationMinMs?: number;
  durationMaxMs?: number;
  integratorIds?: string[];
  webhookIds?: string[];
  eventTypes?: string[];
  succeeded?: boolean;
  statuses?: DeliveryStatus[];
  ids?: string[];
  search?: SearchMatches;
}

/** Integrator and webhook ids in name order: the INTEGRATOR and WEBHOOK sorts rank by position. */
export type Rankings = Partial<Record<RankedField, string[]>>;

const REF_COLUMN: Record<RankedField, string> = { INTEGRATOR: 'integrator_id', WEBHOOK: 'webhook_id' };

// A NULL time sorts as 'infinity' (after every date; first when descending), the same
// expression as the indexes, so cursors never hold NULL and row comparisons stay valid.
const deliveredSort = (a: string) => `coalesce(${a}.delivered_at, 'infinity'::timestamptz)`;
const lastAttemptSort = (a: string) => `coalesce(${a}.last_attempt_at, 'infinity'::timestamptz)`;
// No response yet (never attempted, or a network error) sorts as 0: before every status.
const httpStatusSort = (a: string) => `coalesce(${a}.last_response_status, 0)`;
// Never attempted sorts as -1: before every duration (0 ms included).
const durationSort = (a: string) => `coalesce(${a}.last_duration_ms, -1)`;

function timeTerm(sql: (a: string) => string, direction: Direction): Term {
  return { sql, type: 'timestamptz', direction, cursorSql: (a) => timeText(sql(a)) };
}

function plainTerm(sql: (a: string) => string, type: Term['type'], direction: Direction): Term {
  return { sql, type, direction, cursorSql: sql };
}

/**
 * INTEGRATOR and WEBHOOK sort by name. Names live in their own small tables, so the sort
 * value is the position of the row's integrator (webhook) in the tenant's list ordered by
 * name; the cursor carries the integrator's id and the position is looked up per page, so
 * a rename between two pages moves the list on from the integrator's new place.
 */
function rankTerm(field: RankedField, direction: Direction, params: Params, ids: string[]): Term {
  const column = REF_COLUMN[field];
  // The id list becomes a parameter only when the expression is used: PostgreSQL refuses
  // a parameter that no part of the statement mentions (rankedFirstPage never does).
  let placeholder: string | null = null;
  return {
    sql: (a) => `array_position(${(placeholder ??= params.add(ids, 'text[]'))}, ${a}.${column})`,
    type: 'int',
    direction,
    cursorSql: (a) => `${a}.${column}`,
  };
}

/** The sort as ORDER BY terms: the chosen keys, then created_at and id in the last key's direction. */
export function deliveryTerms(sort: DeliverySort[], backward: boolean, params: Params, rankings: Rankings): Term[] {
  const dir = (d: Direction) => (backward ? flip(d) : d);
  const terms: Term[] = [];
  for (const { field, direction } of sort) {
    const d = dir(direction);
    if (field === 'CREATED_AT') terms.push(timeTerm((a) => `${a}.created_at`, d));
    else if (field === 'DELIVERED_AT') terms.push(timeTerm(deliveredSort, d));
    else if (field === 'LAST_ATTEMPT_AT') terms.push(timeTerm(lastAttemptSort, d));
    else if (field === 'ATTEMPTS') terms.push(plainTerm((a) => `${a}.attempt_count`, 'int', d));
    else if (field === 'SUCCEEDED') terms.push(plainTerm((a) => `${a}.succeeded`, 'boolean', d));
    else if (field === 'EVENT_TYPE') terms.push(plainTerm((a) => `${a}.event_type`, 'text', d));
    else if (field === 'HTTP_STATUS') terms.push(plainTerm(httpStatusSort, 'int', d));
    else if (field === 'DURATION') terms.push(plainTerm(durationSort, 'int', d));
    else terms.push(rankTerm(field, d, params, rankings[field] ?? []));
  }
  const last = dir(sort.at(-1)?.direction ?? 'DESC');
  if (!sort.some((s) => s.field === 'CREATED_AT')) terms.push(timeTerm((a) => `${a}.created_at`, last));
  terms.push(plainTerm((a) => `${a}.id`, 'text', last));
  return terms;
}

function anyOf(params: Params, column: string, values: string[]): string {
  // `=` for one value gives the planner an exact estimate; `= any` for a list.
  return values.length === 1 ? `${column} = ${params.add(values[0])}` : `${column} = any(${params.add(values, 'text[]')})`;
}

/** The WHERE conditions of a filter over alias `d`, tenant first. */
export function filterConditions(params: Params, tenantId: string, filter: DeliveryLogFilter, d = 'd'): string[] {
  const where = [`${d}.tenant_id = ${params.add(tenantId)}`];
  if (filter.createdFrom) where.push(`${d}.created_at >= ${params.add(filter.createdFrom, 'timestamptz')}`);
  if (filter.createdTo) where.push(`${d}.created_at < ${params.add(filter.createdTo, 'timestamptz')}`);
  // Delivered ranges are written on the indexed sort expression, so they are index ranges;
  // `< 'infinity'` keeps undelivered rows out of an open-ended range.
  if (filter.deliveredFrom || filter.deliveredTo) {
    if (filter.deliveredFrom) where.push(`${deliveredSort(d)} >= ${params.add(filter.deliveredFrom, 'timestamptz')}`);
    const to = filter.deliveredTo ? params.add(filter.deliveredTo, 'timestamptz') : null;
    where.push(`${deliveredSort(d)} < ${to ?? `'infinity'::timestamptz`}`);
    // Implied, and said for the planner: a delivery is delivered after it is created (both
    // times come from the database clock; a minute of slack). Walking the log newest
    // first, the scan then starts at `deliveredTo` instead of at today.
    if (to) where.push(`${d}.created_at < ${to} + interval '1 minute'`);
  }
  if (filter.attemptsMin != null) where.push(`${d}.attempt_count >= ${params.add(filter.attemptsMin, 'int')}`);
  if (filter.attemptsMax != null) where.push(`${d}.attempt_count <= ${params.add(filter.attemptsMax, 'int')}`);
  if (filter.httpStatusMin != null) where.push(`${httpStatusSort(d)} >= ${params.add(filter.httpStatusMin, 'int')}`);
  if (filter.httpStatusMax != null) where.push(`${httpStatusSort(d)} <= ${params.add(filter.httpStatusMax, 'int')}`);
  // On the indexed sort expression; a minimum of 0 or more leaves never-attempted (-1) out.
  if (filter.durationMinMs != null || filter.durationMaxMs != null) {
    where.push(`${durationSort(d)} >= ${params.add(filter.durationMinMs ?? 0, 'int')}`);
    if (filter.durationMaxMs != null) where.push(`${durationSort(d)} <= ${params.add(filter.durationMaxMs, 'int')}`);
  }
  if (filter.integratorIds) where.push(filter.integratorIds.length ? anyOf(params, `${d}.integrator_id`, filter.integratorIds) : 'false');
  if (filter.webhookIds) where.push(filter.webhookIds.length ? anyOf(params, `${d}.webhook_id`, filter.webhookIds) : 'false');
  if (filter.eventTypes) where.push(filter.eventTypes.length ? anyOf(params, `${d}.event_type`, filter.eventTypes) : 'false');
  if (filter.succeeded != null) where.push(`${d}.succeeded = ${params.add(filter.succeeded, 'boolean')}`);
  if (filter.statuses?.length) where.push(anyOf(params, `${d}.status`, filter.statuses));
  if (filter.ids) where.push(filter.ids.length ? anyOf(params, `${d}.id`, filter.ids) : 'false');
  if (filter.search) {
    // The search was resolved against the small tables first (searchTargets), so here it
    // is equality on indexed columns: no ILIKE over a million deliveries.
    const s = filter.search;
    const any: string[] = [];
    if (s.deliveryIds.length) any.push(anyOf(params, `${d}.id`, s.deliveryIds));
    if (s.eventIds.length) any.push(anyOf(params, `${d}.event_id`, s.eventIds));
    if (s.integratorIds.length) any.push(anyOf(params, `${d}.integrator_id`, s.integratorIds));
    if (s.webhookIds.length) any.push(anyOf(params, `${d}.webhook_id`, s.webhookIds));
    if (s.eventTypes.length) any.push(anyOf(params, `${d}.event_type`, s.eventTypes));
    if (s.statuses.length) any.push(anyOf(params, `${d}.status`, s.statuses));
    if (s.httpStatuses.length) any.push(`${httpStatusSort(d)} = any(${params.add(s.httpStatuses, 'int[]')})`);
    where.push(any.length ? `(${any.join(' or ')})` : 'false');
  }
  return where;
}

/**
 * A status filter says what `succeeded` is (a column generated from status); said again
 * for a page sorted by SUCCEEDED, it becomes an index range of the succeeded index.
 * Without it the planner, taking status and succeeded as independent, walks all
 * succeeded deliveries looking for a failed one (status FAILED by SUCCEEDED DESC).
 */
function impliedBySort(params: Params, filter: DeliveryLogFilter, sort: DeliverySort[], d = 'd'): string[] {
  if (sort[0]?.field !== 'SUCCEEDED' || filter.succeeded != null || !filter.statuses?.length) return [];
  const succeeded = filter.statuses.map((s) => s === 'SUCCEEDED');
  return succeeded.every((v) => v === succeeded[0]) ? [`${d}.succeeded = ${params.add(succeeded[0], 'boolean')}`] : [];
}

export interface DeliveryPageArgs {
  tenantId: string;
  filter: DeliveryLogFilter;
  /** The chosen sort keys (at least one). */
  sort: DeliverySort[];
  /** Walk the order in reverse (Relay `last`/`before`); rows come back in that reversed order. */
  backward: boolean;
  /** One value per term of deliveryTerms, ranks already turned into positions; null for the first page. */
  cursor: unknown[] | null;
  /** Include the cursor's own row (used to ask whether anything precedes a page). */
  inclusive?: boolean;
  limit: number;
  rankings: Rankings;
}

/** One page of the log in index order. Columns: every delivery column, then the cursor values `_k0…`. */
export function deliveryPage(args: DeliveryPageArgs) {
  const params = new Params();
  const terms = deliveryTerms(args.sort, args.backward, params, args.rankings);
  const where = [...filterConditions(params, args.tenantId, args.filter), ...impliedBySort(params, args.filter, args.sort)];
  if (args.cursor) where.push(afterCursor(terms, args.cursor, params, 'd', args.inclusive));
  return {
    text: `select d.*, ${cursorColumns(terms, 'd')} from delivery d
            where ${where.join(' and ')}
            order by ${orderBy(terms, 'd')}
            limit ${params.add(args.limit, 'int')}`,
    values: params.values,
  };
}

/**
 * A page sorted first by INTEGRATOR or WEBHOOK (by name). Ordering a million deliveries
 * by a position computed from another table would sort them all; instead the page walks
 * the integrators in name order and, for each, takes its first rows from the
 * (tenant_id, integrator_id, created_at, id) index (LATERAL … LIMIT), then merges those
 * few rows. `refs` are the integrators after the cursor's one, in walking order, with
 * their positions; the cursor's own integrator continues from the cursor in its own branch.
 */
export function rankedFirstPage(args: DeliveryPageArgs, refs: { ids: string[]; ranks: number[] }, cursorRef: { id: string; rank: number } | null) {
  const column = REF_COLUMN[args.sort[0].field as RankedField];
  const group = { sql: (a: string) => `${a}.${column}`, type: 'text' as const };
  return groupedPage(args, group, { values: refs.ids, ranks: refs.ranks }, cursorRef && { value: cursorRef.id, rank: cursorRef.rank }, null);
}

/** A value of the first sort key that rows share (an integrator id, an attempt count…). */
export interface GroupKey {
  sql: (alias: string) => string;
  type: Term['type'];
}

/**
 * One page walked group by group: for each value of the first sort key in `refs` (in
 * walking order, with their ranks), its first rows by the other keys from the index
 * led by (tenant_id, key) (LATERAL … LIMIT), then those few rows merged. With equality on
 * the key, the index gives the rest of the order in either direction, so a mixed sort
 * (ATTEMPTS DESC, CREATED_AT ASC) reads as few rows as a plain one. `cursorRef`, the
 * cursor's own group, continues from the cursor in its own branch. Ranks sort in
 * `rankDirection`; null: in the first term's direction (ranks that are name positions).
 */
export function groupedPage(args: DeliveryPageArgs, group: GroupKey, refs: { values: unknown[]; ranks: number[] }, cursorRef: { value: unknown; rank: number } | null, rankDirection: Direction | null) {
  const params = new Params();
  const terms = deliveryTerms(args.sort, args.backward, params, args.rankings);
  const [first, ...rest] = terms;
  const filter = filterConditions(params, args.tenantId, args.filter).join(' and ');
  const limit = params.add(args.limit, 'int');
  const branches: string[] = [];
  if (cursorRef && args.cursor) {
    const after = afterCursor(rest, args.cursor.slice(1), params, 'd', args.inclusive);
    branches.push(`(select d.*, ${cursorColumns(terms, 'd')}, ${params.add(cursorRef.rank, 'int')} as _rank from delivery d
                     where ${filter} and ${group.sql('d')} = ${params.add(cursorRef.value, group.type)} and ${after}
                     order by ${orderBy(rest, 'd')} limit ${limit})`);
  }
  if (refs.values.length) {
    branches.push(`(select d.*, r.ord as _rank
                      from unnest(${params.add(refs.values.map(String), 'text[]')}, ${params.add(refs.ranks, 'int[]')}) as r(ref, ord)
                     cross join lateral (
                       select d.*, ${cursorColumns(terms, 'd')} from delivery d
                        where ${filter} and ${group.sql('d')} = r.ref::${group.type}
                        order by ${orderBy(rest, 'd')} limit ${limit}) d)`);
  }
  if (!branches.length) return { text: 'select null where false', values: [] };
  return {
    text: `select x.* from (${branches.join(' union all ')}) x
            order by x._rank ${rankDirection ?? first.direction}, ${orderBy(rest, 'x')}
            limit ${limit}`,
    values: params.values,
  };
}

/**
 * The next `count` distinct values of a sort key in the tenant's log, after `after`
 * (exclusive; null: from the start) in the key's direction: a loose index scan, one
 * index probe per value, on the (tenant_id, key, …) index. Values come back as text
 * that casts back exactly (times with microseconds).
 */
export function groupValues(tenantId: string, group: GroupKey & { direction: Direction }, after: unknown, count: number) {
  const params = new Params();
  const tenant = params.add(tenantId);
  const op = group.direction === 'ASC' ? '>' : '<';
  const key = group.sql('d');
  const start = after == null ? '' : ` and ${key} ${op} ${params.add(after, group.type)}`;
  const text = (x: string) => (group.type === 'timestamptz' ? timeText(x) : `(${x})::text`);
  return {
    text: `with recursive v(k, n) as (
             (select ${key}, 1 from delivery d where d.tenant_id = ${tenant}${start} order by ${key} ${group.direction} limit 1)
             union all
             select (select ${key} from delivery d where d.tenant_id = ${tenant} and ${key} ${op} v.k order by ${key} ${group.direction} limit 1), v.n + 1
               from v where v.k is not null and v.n < ${params.add(count, 'int')})
           select ${text('v.k')} as value from v where v.k is not null order by v.n`,
    values: params.values,
  };
}

/**
 * A mixed sort (first key one way, created at the other) read in a plain index order:
 * the first key's order with created at and id running the same way, so the planner
 * reads it as it reads a single-key sort, from the filter's or the key's index, and stops
 * at the limit. Each first-key value's rows come back reversed from the page's order
 * (the caller turns each run round) and the last value's rows may be cut short (the
 * caller reads that value again with mixedGroupRows). `after`: only values strictly
 * past it in the walking order; the cursor's own value is mixedGroupRows' job.
 */
export function mixedLeadRows(args: DeliveryPageArgs, after: unknown) {
  const params = new Params();
  const terms = deliveryTerms(args.sort, args.backward, params, args.rankings);
  const lead = terms[0].direction;
  const where = [...filterConditions(params, args.tenantId, args.filter), ...impliedBySort(params, args.filter, args.sort)];
  if (after != null) where.push(`${terms[0].sql('d')} ${lead === 'ASC' ? '>' : '<'} ${params.add(after, terms[0].type)}`);
  return {
    text: `select d.*, ${cursorColumns(terms, 'd')} from delivery d
            where ${where.join(' and ')}
            order by ${orderBy(terms.map((t) => ({ ...t, direction: lead })), 'd')}
            limit ${params.add(args.limit, 'int')}`,
    values: params.values,
  };
}

/**
 * The rows of one first-key value in the page's order of the rest (created at, id: one
 * direction), after the cursor's rest when given: equality on the key, so its
 * (tenant_id, key, created_at, id) index gives that order in either direction.
 */
export function mixedGroupRows(args: DeliveryPageArgs, value: unknown, restCursor: unknown[] | null) {
  const params = new Params();
  const terms = deliveryTerms(args.sort, args.backward, params, args.rankings);
  const [first, ...rest] = terms;
  const where = filterConditions(params, args.tenantId, args.filter);
  where.push(`${first.sql('d')} = ${params.add(value, first.type)}`);
  if (restCursor) where.push(afterCursor(rest, restCursor, params, 'd', args.inclusive));
  return {
    text: `select d.*, ${cursorColumns(terms, 'd')} from delivery d
            where ${where.join(' and ')}
            order by ${orderBy(rest, 'd')}
            limit ${params.add(args.limit, 'int')}`,
    values: params.values,
  };
}

/**
 * The planner's estimate of the rows a filter matches (EXPLAIN, nothing is read): decides
 * how a page sorted first by integrator or webhook name is fetched, and is the log's
 * total past the exact-count bound.
 */
export function estimateDeliveries(tenantId: string, filter: DeliveryLogFilter) {
  const params = new Params();
  const where = filterConditions(params, tenantId, filter);
  return { text: `explain (format json) select 1 from delivery d where ${where.join(' and ')}`, values: params.values };
}

/** Matching rows counted up to `limit` (reads at most that many index entries). */
export function countDeliveriesUpTo(tenantId: string, filter: DeliveryLogFilter, limit: number) {
  const params = new Params();
  const where = filterConditions(params, tenantId, filter);
  return { text: `select count(*)::bigint as count from (select 1 from delivery d where ${where.join(' and ')} limit ${params.add(limit, 'int')}) x`, values: params.values };
}

export function countDeliveries(tenantId: string, filter: DeliveryLogFilter) {
  const params = new Params();
  const where = filterConditions(params, tenantId, filter);
  return { text: `select count(*)::bigint as count from delivery d where ${where.join(' and ')}`, values: params.values };
}

/**
 * What a quick search names, looked up in the small tables (event types, integrators,
 * webhooks) so the delivery query filters on indexed ids. `pattern` is an ILIKE pattern
 * with wildcards already escaped. Each list is capped: a search that matches more than
 * 500 integrators is not narrowing anything.
 */
export function searchTargets(tenantId: string, pattern: string) {
  return {
    text: `(select 'eventType' as kind, name as value from event_type where tenant_id = $1 and name ilike $2 limit 500)
           union all
           (select 'integrator', id from integrator where tenant_id = $1 and name ilike $2 limit 500)
           union all
           (select 'webhook', id from webhook where tenant_id = $1 and (name ilike $2 or url ilike $2) limit 500)`,
    values: [tenantId, pattern],
  };
}

/** The delivery an attempt id belongs to, for a search by attempt id. */
export function deliveryOfAttempt(tenantId: string, attemptId: string) {
  return { text: 'select delivery_id from attempt where tenant_id = $1 and id = $2', values: [tenantId, attemptId] };
}

/**
 * The tenant's integrators (or webhooks) in the order the log sorts them: by name, any
 * case, then id. Deleted ones are included; their deliveries stay in the log.
 */
export function rankingOf(field: RankedField, tenantId: string) {
  const table = field === 'INTEGRATOR' ? 'integrator' : 'webhook';
  return { text: `select id, name from ${table} where tenant_id = $1 order by lower(name), name, id`, values: [tenantId] };
}

/** Which integrator each webhook of the tenant belongs to (fixed for the webhook's life). */
export function webhookOwners(tenantId: string) {
  return { text: 'select id, integrator_id from webhook where tenant_id = $1', values: [tenantId] };
}

/** Names for exports: integrators and webhooks of the tenant, with the webhook's URL. */
export function directory(tenantId: string) {
  return {
    text: `select 'integrator' as kind, id, name, null as url from integrator where tenant_id = $1
           union all
           select 'webhook', id, name, url from webhook where tenant_id = $1`,
    values: [tenantId],
  };
}

// ---- events and attempts: one fixed order, newest first ------------------------------

function newestFirst(backward: boolean, oldestFirst = false): Term[] {
  const d: Direction = backward !== oldestFirst ? 'ASC' : 'DESC';
  return [timeTerm((a) => `${a}.created_at`, d), plainTerm((a) => `${a}.id`, 'text', d)];
}

/** One keyset page of a table listed newest first, with the filter's conditions. */
function newestFirstPage<F>(
  table: 'event' | 'attempt',
  alias: string,
  conditions: (params: Params, tenantId: string, filter: F) => string[],
  args: SimplePageArgs<F>,
  oldestFirst = false,
  columns = `${alias}.*`,
) {
  const params = new Params();
  const terms = newestFirst(args.backward, oldestFirst);
  const where = conditions(params, args.tenantId, args.filter);
  if (args.cursor) where.push(afterCursor(terms, args.cursor, params, alias, args.inclusive));
  return {
    text: `select ${columns}, ${cursorColumns(terms, alias)} from ${table} ${alias} where ${where.join(' and ')} order by ${orderBy(terms, alias)} limit ${params.add(args.limit, 'int')}`,
    values: params.values,
  };
}

export interface SimplePageArgs<F> {
  tenantId: string;
  filter: F;
  backward: boolean;
  cursor: unknown[] | null;
  inclusive?: boolean;
  limit: number;
}

export interface EventLogFilter {
  types?: string[];
  createdFrom?: Date;
  createdTo?: Date;
  ids?: string[];
}

function eventConditions(params: Params, tenantId: string, f: EventLogFilter): string[] {
  const where = [`e.tenant_id = ${params.add(tenantId)}`];
  if (f.types) where.push(f.types.length ? anyOf(params, 'e.type', f.types) : 'false');
  if (f.createdFrom) where.push(`e.created_at >= ${params.add(f.createdFrom, 'timestamptz')}`);
  if (f.createdTo) where.push(`e.created_at < ${params.add(f.createdTo, 'timestamptz')}`);
  if (f.ids) where.push(f.ids.length ? anyOf(params, 'e.id', f.ids) : 'false');
  return where;
}

/** Events newest first, on (tenant_id, created_at, id) or (tenant_id, type, created_at). */
export function eventPage(args: SimplePageArgs<EventLogFilter>) {
  return newestFirstPage('event', 'e', eventConditions, args);
}

export function countEvents(tenantId: string, filter: EventLogFilter) {
  const params = new Params();
  return { text: `select count(*)::bigint as count from event e where ${eventConditions(params, tenantId, filter).join(' and ')}`, values: params.values };
}

export interface AttemptLogFilter {
  createdFrom?: Date;
  createdTo?: Date;
  deliveryId?: string;
  webhookId?: string;
  integratorId?: string;
  eventType?: string;
  trigger?: 'SCHEDULED' | 'MANUAL';
  succeeded?: boolean;
  /** The response's HTTP status, inclusive (an exact status or a class such as 500–599); no response is 0. */
  httpStatusMin?: number;
  httpStatusMax?: number;
  errorKind?: string;
  /** Oldest first instead of newest first. */
  oldestFirst?: boolean;
}

// No response (a network error) is 0, as the delivery log's HTTP status: the same indexed expression.
const attemptStatus = (a: string) => `coalesce(${a}.response_status, 0)`;

function attemptConditions(params: Params, tenantId: string, f: AttemptLogFilter): string[] {
  const where = [`a.tenant_id = ${params.add(tenantId)}`];
  if (f.createdFrom) where.push(`a.created_at >= ${params.add(f.createdFrom, 'timestamptz')}`);
  if (f.createdTo) where.push(`a.created_at < ${params.add(f.createdTo, 'timestamptz')}`);
  if (f.deliveryId) where.push(`a.delivery_id = ${params.add(f.deliveryId)}`);
  if (f.webhookId) where.push(`a.webhook_id = ${params.add(f.webhookId)}`);
  if (f.integratorId) where.push(`a.integrator_id = ${params.add(f.integratorId)}`);
  if (f.eventType) where.push(`a.event_type = ${params.add(f.eventType)}`);
  if (f.trigger) where.push(`a.trigger = ${params.add(f.trigger)}`);
  if (f.succeeded != null) where.push(`a.succeeded = ${params.add(f.succeeded, 'boolean')}`);
  if (f.httpStatusMin != null) where.push(`${attemptStatus('a')} >= ${params.add(f.httpStatusMin, 'int')}`);
  if (f.httpStatusMax != null) where.push(`${attemptStatus('a')} <= ${params.add(f.httpStatusMax, 'int')}`);
  if (f.errorKind) where.push(`a.error_kind = ${params.add(f.errorKind)}`);
  return where;
}

/** Attempts newest (or oldest) first, each filter on its (tenant_id, column, created_at, id) index. */
export function attemptPage(args: SimplePageArgs<AttemptLogFilter>) {
  return newestFirstPage('attempt', 'a', attemptConditions, args, args.filter.oldestFirst ?? false);
}

/** The attempt columns an export writes: no headers or bodies (a response body may be 64 KiB). */
const ATTEMPT_EXPORT_COLUMNS = ['id', 'created_at', 'delivery_id', 'webhook_id', 'integrator_id', 'event_type', 'attempt_number', 'trigger', 'succeeded', 'request_url', 'response_status', 'error_kind', 'error_message', 'duration_ms'];

/** A page of attempts for an export: as attemptPage, without headers and bodies. */
export function attemptExportPage(args: SimplePageArgs<AttemptLogFilter>) {
  return newestFirstPage('attempt', 'a', attemptConditions, args, args.filter.oldestFirst ?? false, ATTEMPT_EXPORT_COLUMNS.map((c) => `a.${c}`).join(', '));
}

export function countAttempts(tenantId: string, filter: AttemptLogFilter) {
  const params = new Params();
  return { text: `select count(*)::bigint as count from attempt a where ${attemptConditions(params, tenantId, filter).join(' and ')}`, values: params.values };
}
