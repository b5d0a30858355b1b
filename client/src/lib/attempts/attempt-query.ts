// The Attempts screen's view (filter, order, page) as URL parameters and back, so a
// filtered view can be reloaded, bookmarked and shared. Unknown values are dropped.
import { AttemptErrorKindValues, AttemptTriggerValues, type AttemptErrorKind, type AttemptFilter, type AttemptOrder, type AttemptTrigger } from '../graphql/generated.ts';
import { DEFAULT_PAGE_SIZE, PAGE_SIZES } from '../deliveries/delivery-query.ts';

export interface AttemptQuery {
  filter: AttemptFilter;
  order: AttemptOrder;
  after: string | null;
  before: string | null;
  pageSize: number;
}

/** An HTTP status the API takes: exact (503) or a class (5xx). */
export const HTTP_STATUS_PATTERN = '[1-5]([0-9]{2}|[xX]{2})';
const HTTP_STATUS = new RegExp(`^${HTTP_STATUS_PATTERN}$`);

const TEXT = { webhook: 'webhookId', eventType: 'eventType', delivery: 'deliveryId' } as const;
const DATES = { from: 'createdFrom', to: 'createdTo' } as const;

export function parseAttemptQuery(params: Pick<URLSearchParams, 'get'>): AttemptQuery {
  const filter: AttemptFilter = {};
  for (const [param, key] of Object.entries(TEXT)) {
    const value = params.get(param)?.trim();
    if (value) filter[key] = value;
  }
  for (const [param, key] of Object.entries(DATES)) {
    const value = params.get(param);
    if (value && !Number.isNaN(Date.parse(value))) filter[key] = new Date(value).toISOString();
  }
  const trigger = params.get('trigger');
  if ((AttemptTriggerValues as readonly string[]).includes(trigger ?? '')) filter.trigger = trigger as AttemptTrigger;
  const succeeded = params.get('succeeded');
  if (succeeded === 'true' || succeeded === 'false') filter.succeeded = succeeded === 'true';
  const status = params.get('status')?.trim().toLowerCase();
  if (status && HTTP_STATUS.test(status)) filter.httpStatus = status;
  const errorKind = params.get('error');
  if ((AttemptErrorKindValues as readonly string[]).includes(errorKind ?? '')) filter.errorKind = errorKind as AttemptErrorKind;
  const size = Number(params.get('size'));
  return {
    filter,
    order: params.get('order') === 'oldest' ? 'OLDEST_FIRST' : 'NEWEST_FIRST',
    after: params.get('after'),
    before: params.get('before'),
    pageSize: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
  };
}

export function attemptQueryToParams(query: AttemptQuery): URLSearchParams {
  const params = new URLSearchParams();
  const { filter } = query;
  for (const [param, key] of Object.entries(TEXT)) if (filter[key]) params.set(param, String(filter[key]));
  for (const [param, key] of Object.entries(DATES)) if (filter[key]) params.set(param, String(filter[key]));
  if (filter.trigger) params.set('trigger', filter.trigger);
  if (filter.succeeded != null) params.set('succeeded', String(filter.succeeded));
  if (filter.httpStatus) params.set('status', filter.httpStatus);
  if (filter.errorKind) params.set('error', filter.errorKind);
  if (query.order === 'OLDEST_FIRST') params.set('order', 'oldest');
  if (query.after) params.set('after', query.after);
  if (query.before) params.set('before', query.before);
  if (query.pageSize !== DEFAULT_PAGE_SIZE) params.set('size', String(query.pageSize));
  return params;
}

/** Whether new attempts land on this page: the first page, newest first. */
export function showsNewest(query: AttemptQuery): boolean {
  return query.order === 'NEWEST_FIRST' && !query.after && !query.before;
}
