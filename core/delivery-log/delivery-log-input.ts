// Checks of the delivery log's filter and sort, shared by GraphQL and the export URLs:
// the same input gets the same answer (or the same ValidationError) on both.
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../schema/entities/Delivery.ts';
import { ValidationError } from '../errors.ts';
import { idType, type IdType } from '../ids.ts';
import { DELIVERY_SORT_FIELDS, type DeliveryLogFilter, type DeliverySort, type DeliverySortField } from '../sql/delivery-log.ts';
import type { Direction } from '../sql/keyset.ts';

export const MAX_SEARCH_LENGTH = 200;
/** Selected rows travel in the export URL too; 1,000 ids is about 31 kB. */
export const MAX_SELECTED_IDS = 1000;

/** The filter as a client sends it (GraphQL input or export query parameters). */
export interface DeliveryFilterInput {
  createdFrom?: Date | null;
  createdTo?: Date | null;
  deliveredFrom?: Date | null;
  deliveredTo?: Date | null;
  attemptsMin?: number | null;
  attemptsMax?: number | null;
  httpStatusMin?: number | null;
  httpStatusMax?: number | null;
  durationMinMs?: number | null;
  durationMaxMs?: number | null;
  integratorId?: string | null;
  webhookId?: string | null;
  eventType?: string | null;
  succeeded?: boolean | null;
  status?: readonly string[] | null;
  ids?: readonly string[] | null;
  search?: string | null;
}

export interface DeliverySortInput {
  field: string;
  direction?: string | null;
}

/** What the quick search asks for: an exact id, or text to look up in names, URLs and event types. */
export type SearchRequest = { kind: 'id'; type: IdType; id: string } | { kind: 'text'; text: string };

export interface CheckedDeliveryFilter {
  /** Everything but the search, which needs the database to resolve. */
  filter: Omit<DeliveryLogFilter, 'search'>;
  search: SearchRequest | null;
}

function range<T extends Date | number>(prefix: string, fromName: string, toName: string, from: T | null | undefined, to: T | null | undefined, inclusiveTo: boolean): void {
  if (from == null || to == null) return;
  const bad = inclusiveTo ? from > to : from >= to;
  if (bad) throw new ValidationError(`${prefix}.${toName}`, `${toName} must be ${inclusiveTo ? 'at least' : 'after'} ${fromName}`);
}

function validDate(field: string, value: Date | null | undefined): Date | undefined {
  if (value == null) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new ValidationError(field, `${field} is not a date`);
  return value;
}

function attempts(field: string, value: number | null | undefined): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > 1000) throw new ValidationError(field, `${field} must be a whole number from 0 to 1000`);
  return value;
}

function httpStatus(field: string, value: number | null | undefined): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < 100 || value > 599) throw new ValidationError(field, `${field} must be an HTTP status from 100 to 599`);
  return value;
}

/** An attempt is cut off at its webhook's timeout; a day is far beyond any. */
export const MAX_DURATION_MS = 86_400_000;

function durationMs(field: string, value: number | null | undefined): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_DURATION_MS) throw new ValidationError(field, `${field} must be a whole number of milliseconds from 0 to ${MAX_DURATION_MS}`);
  return value;
}

function prefixedId(field: string, value: string, type: IdType): string {
  const id = value.trim();
  if (idType(id) !== type) throw new ValidationError(field, `"${id.slice(0, 40)}" is not a ${type.toLowerCase()} id`);
  return id;
}

/** The quick search: an id with a known prefix is matched exactly; anything else as text. */
export function classifySearch(field: string, value: string | null | undefined): SearchRequest | null {
  if (value == null) return null;
  if (value.length > MAX_SEARCH_LENGTH) {
    throw new ValidationError(field, `search is ${value.length} characters; the limit is ${MAX_SEARCH_LENGTH}`);
  }
  const text = value.trim();
  if (!text) return null;
  const type = idType(text);
  return type ? { kind: 'id', type, id: text } : { kind: 'text', text };
}

/** Checks a filter; `prefix` names it in errors (`filter`, or the export's query). */
export function checkDeliveryFilter(input: DeliveryFilterInput | null | undefined, prefix = 'filter'): CheckedDeliveryFilter {
  const f = input ?? {};
  const filter: CheckedDeliveryFilter['filter'] = {};
  filter.createdFrom = validDate(`${prefix}.createdFrom`, f.createdFrom);
  filter.createdTo = validDate(`${prefix}.createdTo`, f.createdTo);
  filter.deliveredFrom = validDate(`${prefix}.deliveredFrom`, f.deliveredFrom);
  filter.deliveredTo = validDate(`${prefix}.deliveredTo`, f.deliveredTo);
  range(prefix, 'createdFrom', 'createdTo', filter.createdFrom, filter.createdTo, false);
  range(prefix, 'deliveredFrom', 'deliveredTo', filter.deliveredFrom, filter.deliveredTo, false);
  filter.attemptsMin = attempts(`${prefix}.attemptsMin`, f.attemptsMin);
  filter.attemptsMax = attempts(`${prefix}.attemptsMax`, f.attemptsMax);
  range(prefix, 'attemptsMin', 'attemptsMax', filter.attemptsMin, filter.attemptsMax, true);
  filter.httpStatusMin = httpStatus(`${prefix}.httpStatusMin`, f.httpStatusMin);
  filter.httpStatusMax = httpStatus(`${prefix}.httpStatusMax`, f.httpStatusMax);
  range(prefix, 'httpStatusMin', 'httpStatusMax', filter.httpStatusMin, filter.httpStatusMax, true);
  filter.durationMinMs = durationMs(`${prefix}.durationMinMs`, f.durationMinMs);
  filter.durationMaxMs = durationMs(`${prefix}.durationMaxMs`, f.durationMaxMs);
  range(prefix, 'durationMinMs', 'durationMaxMs', filter.durationMinMs, filter.durationMaxMs, true);
  if (f.integratorId != null) filter.integratorIds = [prefixedId(`${prefix}.integratorId`, f.integratorId, 'Integrator')];
  if (f.webhookId != null) filter.webhookIds = [prefixedId(`${prefix}.webhookId`, f.webhookId, 'Webhook')];
  if (f.eventType != null) {
    const type = f.eventType.trim();
    if (!type || type.length > 200) throw new ValidationError(`${prefix}.eventType`, 'eventType must be an event type name such as invoice.created');
    filter.eventTypes = [type];
  }
  if (f.succeeded != null) filter.succeeded = f.succeeded;
  if (f.status != null) {
    const unknown = f.status.filter((s) => !DELIVERY_STATUSES.includes(s as DeliveryStatus));
    if (unknown.length) throw new ValidationError(`${prefix}.status`, `unknown status ${unknown[0].slice(0, 40)}; use ${DELIVERY_STATUSES.join(', ')}`);
    filter.statuses = [...new Set(f.status)] as DeliveryStatus[];
  }
  if (f.ids != null) {
    if (f.ids.length > MAX_SELECTED_IDS) throw new ValidationError(`${prefix}.ids`, `at most ${MAX_SELECTED_IDS} ids at once; use a filter for more`);
    filter.ids = [...new Set(f.ids.map((id) => prefixedId(`${prefix}.ids`, id, 'Delivery')))];
  }
  return { filter, search: classifySearch(`${prefix}.search`, f.search) };
}

const DIRECTIONS: Direction[] = ['ASC', 'DESC'];

/** Checks a multi-column sort: known fields, each at most once; empty means newest first. */
export function checkDeliverySort(input: readonly DeliverySortInput[] | null | undefined, field = 'orderBy'): DeliverySort[] {
  if (!input || input.length === 0) return [{ field: 'CREATED_AT', direction: 'DESC' }];
  if (input.length > DELIVERY_SORT_FIELDS.length) throw new ValidationError(field, `at most ${DELIVERY_SORT_FIELDS.length} sort keys`);
  const seen = new Set<string>();
  return input.map(({ field: name, direction }) => {
    if (!DELIVERY_SORT_FIELDS.includes(name as DeliverySortField)) {
      throw new ValidationError(field, `unknown sort field ${String(name).slice(0, 40)}; use ${DELIVERY_SORT_FIELDS.join(', ')}`);
    }
    const dir = (direction ?? 'DESC').toUpperCase();
    if (!DIRECTIONS.includes(dir as Direction)) throw new ValidationError(field, `unknown direction ${String(direction).slice(0, 20)}; use ASC or DESC`);
    if (seen.has(name)) throw new ValidationError(field, `${name} appears twice in the sort`);
    seen.add(name);
    return { field: name as DeliverySortField, direction: dir as Direction };
  });
}

/** Words the quick search reads as a delivery status, as a person says them. */
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

/**
 * What a quick search text means beside names: a status word ("failed", any case) or an
 * HTTP status ("503") matches deliveries in that status or whose last response had it.
 */
export function searchTerms(text: string): { statuses: DeliveryStatus[]; httpStatuses: number[] } {
  const word = text.trim().toLowerCase();
  const status = STATUS_WORDS[word];
  const http = /^[1-5]\d\d$/.test(word) ? [Number(word)] : [];
  return { statuses: status ? [status] : [], httpStatuses: http };
}
