// The delivery log's view (filter, sort, page) as URL search parameters, so a view is
// a link that can be shared and survives a reload. Pure functions: tested without a browser.
import {
  DeliveryOrderFieldValues,
  DeliveryStatusValues,
  type DeliveryFilter,
  type DeliveryOrder,
  type DeliveryOrderField,
  type DeliveryStatus,
} from '../graphql/generated.ts';

export interface DeliveryQuery {
  filter: DeliveryFilter;
  orderBy: DeliveryOrder[];
  after: string | null;
  before: string | null;
  pageSize: number;
}

export const PAGE_SIZES = [25, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_ORDER: DeliveryOrder[] = [{ field: 'CREATED_AT', direction: 'DESC' }];

/** The direction a first click sorts by: newest, most and failures first. */
const FIRST_DIRECTION: Record<DeliveryOrderField, 'ASC' | 'DESC'> = {
  CREATED_AT: 'DESC',
  LAST_ATTEMPT_AT: 'DESC',
  DELIVERED_AT: 'DESC',
  ATTEMPTS: 'DESC',
  INTEGRATOR: 'ASC',
  WEBHOOK: 'ASC',
  EVENT_TYPE: 'ASC',
  SUCCEEDED: 'ASC',
  HTTP_STATUS: 'DESC',
  DURATION: 'DESC',
};

// URL parameter ↔ filter field; dates are ISO instants, lists comma-separated.
const TEXT_PARAMS = {
  q: 'search',
  integrator: 'integratorId',
  webhook: 'webhookId',
  event_type: 'eventType',
  created_from: 'createdFrom',
  created_to: 'createdTo',
  delivered_from: 'deliveredFrom',
  delivered_to: 'deliveredTo',
} as const satisfies Record<string, keyof DeliveryFilter>;
const NUMBER_PARAMS = {
  attempts_min: 'attemptsMin',
  attempts_max: 'attemptsMax',
  http_min: 'httpStatusMin',
  http_max: 'httpStatusMax',
  duration_min: 'durationMinMs',
  duration_max: 'durationMaxMs',
} as const satisfies Record<string, keyof DeliveryFilter>;

function sortToken({ field, direction }: DeliveryOrder): string {
  return `${direction === 'DESC' ? '-' : ''}${field.toLowerCase()}`;
}

function parseSort(value: string | null): DeliveryOrder[] {
  if (!value) return DEFAULT_ORDER;
  const order: DeliveryOrder[] = [];
  for (const token of value.split(',')) {
    const field = token.replace(/^-/, '').toUpperCase() as DeliveryOrderField;
    if (!DeliveryOrderFieldValues.includes(field) || order.some((o) => o.field === field)) continue;
    order.push({ field, direction: token.startsWith('-') ? 'DESC' : 'ASC' });
  }
  return order.length ? order : DEFAULT_ORDER;
}

export function parseDeliveryQuery(params: Pick<URLSearchParams, 'get'>): DeliveryQuery {
  const filter: DeliveryFilter = {};
  for (const [param, key] of Object.entries(TEXT_PARAMS)) {
    const value = params.get(param)?.trim();
    if (value) filter[key] = value;
  }
  for (const [param, key] of Object.entries(NUMBER_PARAMS)) {
    const value = Number.parseInt(params.get(param) ?? '', 10);
    if (Number.isFinite(value) && value >= 0) filter[key] = value;
  }
  const succeeded = params.get('succeeded');
  if (succeeded === 'yes' || succeeded === 'no') filter.succeeded = succeeded === 'yes';
  const status = (params.get('status') ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase() as DeliveryStatus)
    .filter((s) => DeliveryStatusValues.includes(s));
  if (status.length) filter.status = [...new Set(status)];
  const size = Number(params.get('size'));
  return {
    filter,
    orderBy: parseSort(params.get('sort')),
    after: params.get('after') || null,
    before: params.get('before') || null,
    pageSize: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
  };
}

/** The inverse of parseDeliveryQuery; defaults are left out so links stay short. */
export function deliveryQueryToParams(query: DeliveryQuery): URLSearchParams {
  const params = new URLSearchParams();
  const { filter } = query;
  for (const [param, key] of Object.entries(TEXT_PARAMS)) if (filter[key]) params.set(param, filter[key]!);
  for (const [param, key] of Object.entries(NUMBER_PARAMS)) if (filter[key] != null) params.set(param, String(filter[key]));
  if (filter.succeeded != null) params.set('succeeded', filter.succeeded ? 'yes' : 'no');
  if (filter.status?.length) params.set('status', filter.status.join(','));
  if (!isDefaultOrder(query.orderBy)) params.set('sort', query.orderBy.map(sortToken).join(','));
  if (query.after) params.set('after', query.after);
  if (query.before) params.set('before', query.before);
  if (query.pageSize !== DEFAULT_PAGE_SIZE) params.set('size', String(query.pageSize));
  return params;
}

export function isDefaultOrder(order: DeliveryOrder[]): boolean {
  return order.length === 0 || (order.length === 1 && order[0].field === 'CREATED_AT' && order[0].direction === 'DESC');
}

/**
 * A header click: sort by that column alone (a second click flips it). With shift, the
 * column is added as the next sort key, or flipped when it is one already.
 */
export function nextOrder(order: DeliveryOrder[], field: DeliveryOrderField, additive: boolean): DeliveryOrder[] {
  const flip = (o: DeliveryOrder): DeliveryOrder => ({ field: o.field, direction: o.direction === 'ASC' ? 'DESC' : 'ASC' });
  const existing = order.find((o) => o.field === field);
  if (additive) {
    if (existing) return order.map((o) => (o.field === field ? flip(o) : o));
    return [...order, { field, direction: FIRST_DIRECTION[field] }];
  }
  if (existing && order.length === 1) return [flip(existing)];
  return [{ field, direction: FIRST_DIRECTION[field] }];
}

/** "Failed only" is the API's `succeeded: false`: everything not (yet) delivered. */
export function isFailedOnly(filter: DeliveryFilter): boolean {
  return filter.succeeded === false;
}

export interface FilterChip {
  /** The filter fields the chip stands for: removing it clears them. */
  keys: (keyof DeliveryFilter)[];
  label: string;
}

/**
 * The active filter as removable chips ("Status: Failed, Retrying", "Attempts 2–5"),
 * the quick search and "failed only" excluded (each has its own control). `nameOf` turns integrator and webhook
 * ids into names when they are known; `formatTime` writes dates.
 */
export function filterChips(filter: DeliveryFilter, nameOf: (kind: 'integrator' | 'webhook', id: string) => string | null, formatTime: (iso: string) => string): FilterChip[] {
  const chips: FilterChip[] = [];
  const range = (keys: [keyof DeliveryFilter, keyof DeliveryFilter], what: string, from: string | null, to: string | null) => {
    if (from == null && to == null) return;
    const label = from != null && to != null ? `${what} ${from} – ${to}` : from != null ? `${what} from ${from}` : `${what} up to ${to}`;
    chips.push({ keys: keys.filter((k) => filter[k] != null), label });
  };
  const time = (iso: string | null | undefined) => (iso ? formatTime(iso) : null);
  const num = (n: number | null | undefined) => (n == null ? null : String(n));
  range(['createdFrom', 'createdTo'], 'Created', time(filter.createdFrom), time(filter.createdTo));
  range(['deliveredFrom', 'deliveredTo'], 'Delivered', time(filter.deliveredFrom), time(filter.deliveredTo));
  range(['attemptsMin', 'attemptsMax'], 'Attempts', num(filter.attemptsMin), num(filter.attemptsMax));
  range(['httpStatusMin', 'httpStatusMax'], 'HTTP', num(filter.httpStatusMin), num(filter.httpStatusMax));
  const ms = (n: number | null | undefined) => (n == null ? null : `${n} ms`);
  range(['durationMinMs', 'durationMaxMs'], 'Duration', ms(filter.durationMinMs), ms(filter.durationMaxMs));
  if (filter.integratorId) chips.push({ keys: ['integratorId'], label: `Integrator: ${nameOf('integrator', filter.integratorId) ?? filter.integratorId}` });
  if (filter.webhookId) chips.push({ keys: ['webhookId'], label: `Webhook: ${nameOf('webhook', filter.webhookId) ?? filter.webhookId}` });
  if (filter.eventType) chips.push({ keys: ['eventType'], label: `Event type: ${filter.eventType}` });
  // Failed only has its own checkbox beside the search box; succeeded only does not.
  if (filter.succeeded === true) chips.push({ keys: ['succeeded'], label: 'Succeeded only' });
  if (filter.status?.length) chips.push({ keys: ['status'], label: `Status: ${filter.status.map((s) => s[0] + s.slice(1).toLowerCase()).join(', ')}` });
  if (filter.ids?.length) chips.push({ keys: ['ids'], label: `${filter.ids.length} selected ${filter.ids.length === 1 ? 'delivery' : 'deliveries'}` });
  return chips;
}

/** The filter without a chip's fields. */
export function withoutChip(filter: DeliveryFilter, chip: FilterChip): DeliveryFilter {
  const next = { ...filter };
  for (const key of chip.keys) delete next[key];
  return next;
}

/** How many filter fields are set, the quick search excluded (a badge on the filter button). */
export function activeFilterCount(filter: DeliveryFilter): number {
  return Object.entries(filter).filter(([key, value]) => key !== 'search' && value != null && !(Array.isArray(value) && !value.length)).length;
}

/** Query parameters of /export/deliveries.csv|pdf: the selected ids, else the whole filter; always the sort. */
export function exportParams(query: DeliveryQuery, selectedIds: string[]): URLSearchParams {
  const params = new URLSearchParams();
  if (selectedIds.length) params.set('ids', selectedIds.join(','));
  else {
    for (const [key, value] of Object.entries(query.filter)) {
      if (value == null || (Array.isArray(value) && !value.length)) continue;
      params.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
  }
  params.set('orderBy', query.orderBy.map((o) => `${o.field}:${o.direction}`).join(','));
  return params;
}

const ID_PREFIX = /^(dlv|evt|att|whk|int)_/;

/** As the server reads them (core/delivery-log/delivery-log-input.ts, searchTerms). */
const STATUS_WORDS: Record<string, DeliveryStatus> = {
  pending: 'PENDING',
  waiting: 'PENDING',
  held: 'PENDING',
  retrying: 'RETRYING',
  retry: 'RETRYING',
  succeeded: 'SUCCEEDED',
  success: 'SUCCEEDED',
  successful: 'SUCCEEDED',
  delivered: 'SUCCEEDED',
  failed: 'FAILED',
  failure: 'FAILED',
  fail: 'FAILED',
  cancelled: 'CANCELLED',
  canceled: 'CANCELLED',
};

export interface LiveRow {
  id: string;
  eventType: string;
  status: DeliveryStatus;
  succeeded: boolean;
  attemptCount: number;
  createdAt: string;
  deliveredAt: string | null;
  lastResponseStatus: number | null;
  lastDurationMs: number | null;
  webhook: { id: string; name: string; url: string };
  integrator: { id: string; name: string };
}

/** Whether a delivery pushed live belongs in a log with this filter (mirrors the server's filter). */
export function matchesFilter(filter: DeliveryFilter, row: LiveRow): boolean {
  const time = (iso: string | null) => (iso ? Date.parse(iso) : Number.NaN);
  if (filter.ids?.length && !filter.ids.includes(row.id)) return false;
  if (filter.createdFrom && !(time(row.createdAt) >= time(filter.createdFrom))) return false;
  if (filter.createdTo && !(time(row.createdAt) <= time(filter.createdTo))) return false;
  if (filter.deliveredFrom && !(time(row.deliveredAt) >= time(filter.deliveredFrom))) return false;
  if (filter.deliveredTo && !(time(row.deliveredAt) <= time(filter.deliveredTo))) return false;
  if (filter.attemptsMin != null && row.attemptCount < filter.attemptsMin) return false;
  if (filter.attemptsMax != null && row.attemptCount > filter.attemptsMax) return false;
  if (filter.httpStatusMin != null && !(row.lastResponseStatus != null && row.lastResponseStatus >= filter.httpStatusMin)) return false;
  if (filter.httpStatusMax != null && !(row.lastResponseStatus != null && row.lastResponseStatus <= filter.httpStatusMax)) return false;
  if (filter.durationMinMs != null && !(row.lastDurationMs != null && row.lastDurationMs >= filter.durationMinMs)) return false;
  if (filter.durationMaxMs != null && !(row.lastDurationMs != null && row.lastDurationMs <= filter.durationMaxMs)) return false;
  if (filter.integratorId && row.integrator.id !== filter.integratorId) return false;
  if (filter.webhookId && row.webhook.id !== filter.webhookId) return false;
  if (filter.eventType && row.eventType !== filter.eventType) return false;
  if (filter.succeeded != null && row.succeeded !== filter.succeeded) return false;
  if (filter.status?.length && !filter.status.includes(row.status)) return false;
  if (filter.search) {
    const needle = filter.search.trim().toLowerCase();
    // As the server: a prefixed id matches exactly, other text part of a name, type or URL.
    // A status word ("failed") or an HTTP status ("503") matches that status too.
    const matched = ID_PREFIX.test(needle)
      ? [row.id, row.webhook.id, row.integrator.id].includes(filter.search.trim())
      : [row.eventType, row.integrator.name, row.webhook.name, row.webhook.url].some((text) => text.toLowerCase().includes(needle)) ||
        STATUS_WORDS[needle] === row.status ||
        (/^[1-5]\d\d$/.test(needle) && row.lastResponseStatus === Number(needle));
    if (!matched) return false;
  }
  return true;
}

/** The columns the sort reads, beside those matchesFilter reads. */
export interface SortableRow extends LiveRow {
  lastAttemptAt: string | null;
}

const FINAL: Record<DeliveryStatus, number> = { PENDING: 0, RETRYING: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };

/**
 * Whether `update` is not older than `shown`: a delivery only moves forward (more
 * attempts; at equal attempts, toward a final status). An update that arrived before a
 * refetch must not undo what the refetch brought.
 */
export function isNotOlder(update: Pick<LiveRow, 'attemptCount' | 'status'>, shown: Pick<LiveRow, 'attemptCount' | 'status'>): boolean {
  if (update.attemptCount !== shown.attemptCount) return update.attemptCount > shown.attemptCount;
  return FINAL[update.status] >= FINAL[shown.status];
}

/**
 * The server's order for a sort (core/sql/delivery-log.ts): each key, then created at and
 * id in the last key's direction; a missing time sorts after every date; integrators and
 * webhooks by name.
 */
export function compareDeliveries(orderBy: DeliveryOrder[]): (a: SortableRow, b: SortableRow) => number {
  const time = (iso: string | null) => (iso ? Date.parse(iso) : Number.POSITIVE_INFINITY);
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const key: Record<DeliveryOrderField, (a: SortableRow, b: SortableRow) => number> = {
    CREATED_AT: (a, b) => time(a.createdAt) - time(b.createdAt),
    DELIVERED_AT: (a, b) => Math.sign(time(a.deliveredAt) - time(b.deliveredAt)) || 0,
    LAST_ATTEMPT_AT: (a, b) => Math.sign(time(a.lastAttemptAt) - time(b.lastAttemptAt)) || 0,
    ATTEMPTS: (a, b) => a.attemptCount - b.attemptCount,
    HTTP_STATUS: (a, b) => (a.lastResponseStatus ?? 0) - (b.lastResponseStatus ?? 0),
    DURATION: (a, b) => (a.lastDurationMs ?? -1) - (b.lastDurationMs ?? -1),
    SUCCEEDED: (a, b) => Number(a.succeeded) - Number(b.succeeded),
    EVENT_TYPE: (a, b) => text(a.eventType, b.eventType),
    INTEGRATOR: (a, b) => text(a.integrator.name.toLowerCase(), b.integrator.name.toLowerCase()) || text(a.integrator.name, b.integrator.name) || text(a.integrator.id, b.integrator.id),
    WEBHOOK: (a, b) => text(a.webhook.name.toLowerCase(), b.webhook.name.toLowerCase()) || text(a.webhook.name, b.webhook.name) || text(a.webhook.id, b.webhook.id),
  };
  const order = orderBy.length ? orderBy : DEFAULT_ORDER;
  const last = order.at(-1)!.direction;
  const terms = [...order];
  if (!terms.some((o) => o.field === 'CREATED_AT')) terms.push({ field: 'CREATED_AT', direction: last });
  return (a, b) => {
    for (const { field, direction } of terms) {
      const c = key[field](a, b);
      if (c) return direction === 'DESC' ? -c : c;
    }
    const c = text(a.id, b.id);
    return last === 'DESC' ? -c : c;
  };
}

/** Where the page shown sits in the whole log. */
export interface PagePosition {
  /** Nothing sorts before the first row shown (the first page). */
  first: boolean;
  /** Nothing sorts after the last row shown (the last page). */
  last: boolean;
  /** How many more rows this page may take before new ones are only counted. */
  room: number;
}

export interface PlaceResult<T> {
  rows: T[];
  /** New deliveries put in their sorted place. */
  added: number;
  /** Ids of deliveries that belong in this view but are not shown: before the first row of a later page, after the last of an earlier one, or past the room. */
  missed: string[];
}

/**
 * Applies one batch of live updates to the rows shown: a row shown takes its new state; a delivery not shown that matches the
 * filter goes in its sorted place when that place is on this page and there is room,
 * else its id is returned in `missed` (the "N new deliveries" bar). Nothing is dropped
 * without being counted. Rows stay in the sort's order.
 */
export function placeDeliveryUpdates<T extends SortableRow>(rows: T[], updates: T[], filter: DeliveryFilter, orderBy: DeliveryOrder[], position: PagePosition): PlaceResult<T> {
  const compare = compareDeliveries(orderBy);
  const index = new Map(rows.map((row, i) => [row.id, i]));
  const next = rows.slice();
  const fresh = new Map<string, T>();
  for (const update of updates) {
    const at = index.get(update.id);
    // Pushes come in commit order: each one is the row's latest state.
    if (at !== undefined) next[at] = update;
    else if (matchesFilter(filter, update)) fresh.set(update.id, update);
  }
  const head = rows[0];
  const tail = rows.at(-1);
  const added: T[] = [];
  const missed: string[] = [];
  for (const row of [...fresh.values()].sort(compare)) {
    const before = head ? compare(row, head) < 0 : false;
    const after = tail ? compare(row, tail) > 0 : false;
    const onPage = head ? (!before || position.first) && (!after || position.last) : position.first;
    if (onPage && added.length < position.room) added.push(row);
    else missed.push(row.id);
  }
  const placed = added.length ? [...next, ...added].sort(compare) : next.some((row, i) => row !== rows[i]) ? next.slice().sort(compare) : next;
  return { rows: placed, added: added.length, missed };
}
