// The delivery log's filter and sort as URL query parameters, for the CSV and PDF
// exports. Same names and meaning as the GraphQL DeliveryFilter and orderBy:
//
//   ?status=FAILED&status=RETRYING            (repeat, or FAILED,RETRYING)
//   &createdFrom=2026-01-01T00:00:00Z&createdTo=…&deliveredFrom=…&deliveredTo=…
//   &attemptsMin=2&attemptsMax=5&httpStatusMin=500&httpStatusMax=599&durationMinMs=1000&durationMaxMs=…
//   &integratorId=int_…&webhookId=whk_…&eventType=invoice.paid
//   &succeeded=false&search=acme
//   &orderBy=ATTEMPTS:DESC,CREATED_AT:DESC    (direction optional, DESC by default)
//   or ?ids=dlv_…,dlv_…                       (selected rows)
//
// An unknown parameter is an error rather than ignored: a misspelt filter must not
// quietly export the whole log.
import { ValidationError } from '../../core/errors.ts';
import { textProblem } from '../../core/rules/text.ts';
import type { DeliveryFilterInput, DeliverySortInput } from '../../core/delivery-log/delivery-log-input.ts';

export const EXPORT_PARAMETERS = [
  'createdFrom',
  'createdTo',
  'deliveredFrom',
  'deliveredTo',
  'attemptsMin',
  'httpStatusMin',
  'httpStatusMax',
  'durationMinMs',
  'durationMaxMs',
  'attemptsMax',
  'integratorId',
  'webhookId',
  'eventType',
  'succeeded',
  'status',
  'ids',
  'search',
  'orderBy',
] as const;

const LISTS = new Set(['status', 'ids', 'orderBy']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO-8601 date (and time) query parameter; anything else is a ValidationError naming it. */
export function exportDate(name: string, value: string): Date {
  const parsed = new Date(value);
  if (!ISO_DATE.test(value) || Number.isNaN(parsed.getTime())) {
    throw new ValidationError(name, `${name} must be an ISO-8601 date and time such as 2026-01-31T12:00:00Z`);
  }
  return parsed;
}

function integer(name: string, value: string): number {
  if (!/^-?\d{1,9}$/.test(value)) throw new ValidationError(name, `${name} must be a whole number`);
  return Number(value);
}

/** Parses an export URL's query into the filter and sort the delivery log checks. */
export function parseExportQuery(query: URLSearchParams): { filter: DeliveryFilterInput; orderBy: DeliverySortInput[] } {
  const values = new Map<string, string[]>();
  for (const [name, value] of query) {
    if (!(EXPORT_PARAMETERS as readonly string[]).includes(name)) {
      throw new ValidationError(name.slice(0, 40), `unknown parameter ${name.slice(0, 40)}; use ${EXPORT_PARAMETERS.join(', ')}`);
    }
    // A NUL or invalid Unicode cannot be searched for or stored: the parameter is wrong, not the server.
    const problem = textProblem(value);
    if (problem) throw new ValidationError(name, `${name} ${problem}`);
    const list = values.get(name) ?? [];
    list.push(value);
    values.set(name, list);
  }
  const one = (name: string): string | undefined => {
    const list = values.get(name);
    if (!list) return undefined;
    if (list.length > 1 && !LISTS.has(name)) throw new ValidationError(name, `${name} may appear once`);
    return list[0];
  };
  const many = (name: string): string[] | undefined => {
    const list = values.get(name);
    return list?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  };
  const filter: DeliveryFilterInput = {};
  for (const name of ['createdFrom', 'createdTo', 'deliveredFrom', 'deliveredTo'] as const) {
    const value = one(name);
    if (value !== undefined) filter[name] = exportDate(name, value);
  }
  for (const name of ['attemptsMin', 'attemptsMax', 'httpStatusMin', 'httpStatusMax', 'durationMinMs', 'durationMaxMs'] as const) {
    const value = one(name);
    if (value !== undefined) filter[name] = integer(name, value);
  }
  for (const name of ['integratorId', 'webhookId', 'eventType', 'search'] as const) {
    const value = one(name);
    if (value !== undefined) filter[name] = value;
  }
  const succeeded = one('succeeded');
  if (succeeded !== undefined) {
    if (succeeded !== 'true' && succeeded !== 'false') throw new ValidationError('succeeded', 'succeeded must be true or false');
    filter.succeeded = succeeded === 'true';
  }
  const status = many('status');
  if (status) filter.status = status.map((s) => s.toUpperCase());
  // `ids=` with nothing selected exports nothing, as an empty GraphQL list does.
  if (values.has('ids')) filter.ids = many('ids') ?? [];
  const orderBy = (many('orderBy') ?? []).map((key) => {
    const [field, direction, extra] = key.split(':');
    if (extra !== undefined) throw new ValidationError('orderBy', `"${key.slice(0, 40)}" is not FIELD or FIELD:ASC|DESC`);
    return { field: field.toUpperCase(), direction: direction?.toUpperCase() ?? 'DESC' };
  });
  return { filter, orderBy };
}

/** One line saying what an export holds, for the PDF's heading. */
export function describeQuery(query: URLSearchParams): string {
  const parts: string[] = [];
  for (const name of EXPORT_PARAMETERS) {
    const list = query.getAll(name);
    if (!list.length) continue;
    const value = list.join(',');
    parts.push(name === 'ids' ? `${list.flatMap((v) => v.split(',')).filter(Boolean).length} selected deliveries` : `${name} ${value.length > 80 ? `${value.slice(0, 77)}…` : value}`);
  }
  return parts.length ? parts.join('; ') : 'all deliveries, newest first';
}
