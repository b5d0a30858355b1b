// The attempts log's filter and order as URL query parameters, for /export/attempts.csv.
// Same names and meaning as the GraphQL AttemptFilter and order:
//
//   ?createdFrom=2026-01-01T00:00:00Z&createdTo=…&webhookId=whk_…&integratorId=int_…
//   &deliveryId=dlv_…&eventType=invoice.paid&trigger=MANUAL&succeeded=false
//   &httpStatus=5xx&errorKind=timeout&order=OLDEST_FIRST
//
// An unknown or repeated parameter is an error rather than ignored: a misspelt filter
// must not quietly export the whole log.
import { ValidationError } from '../../core/errors.ts';
import { textProblem } from '../../core/rules/text.ts';
import type { AttemptFilterInput } from '../../core/delivery-log/attempt-log-input.ts';
import { exportDate } from './export-params.ts';

export const ATTEMPT_EXPORT_PARAMETERS = ['createdFrom', 'createdTo', 'webhookId', 'integratorId', 'deliveryId', 'eventType', 'trigger', 'succeeded', 'httpStatus', 'errorKind', 'order'] as const;

/** Parses an attempts export URL's query into the filter the attempts log checks. */
export function parseAttemptExportQuery(query: URLSearchParams): AttemptFilterInput {
  const values = new Map<string, string>();
  for (const [name, value] of query) {
    if (!(ATTEMPT_EXPORT_PARAMETERS as readonly string[]).includes(name)) {
      throw new ValidationError(name.slice(0, 40), `unknown parameter ${name.slice(0, 40)}; use ${ATTEMPT_EXPORT_PARAMETERS.join(', ')}`);
    }
    const problem = textProblem(value);
    if (problem) throw new ValidationError(name, `${name} ${problem}`);
    if (values.has(name)) throw new ValidationError(name, `${name} may appear once`);
    values.set(name, value);
  }
  const filter: AttemptFilterInput = {};
  for (const name of ['createdFrom', 'createdTo'] as const) {
    const value = values.get(name);
    if (value !== undefined) filter[name] = exportDate(name, value);
  }
  for (const name of ['webhookId', 'integratorId', 'deliveryId', 'eventType', 'httpStatus', 'errorKind'] as const) {
    const value = values.get(name);
    if (value !== undefined) filter[name] = value;
  }
  const trigger = values.get('trigger');
  if (trigger !== undefined) filter.trigger = trigger.toUpperCase();
  const succeeded = values.get('succeeded');
  if (succeeded !== undefined) {
    if (succeeded !== 'true' && succeeded !== 'false') throw new ValidationError('succeeded', 'succeeded must be true or false');
    filter.succeeded = succeeded === 'true';
  }
  const order = values.get('order');
  if (order !== undefined) {
    if (order !== 'NEWEST_FIRST' && order !== 'OLDEST_FIRST') throw new ValidationError('order', 'order must be NEWEST_FIRST or OLDEST_FIRST');
    filter.oldestFirst = order === 'OLDEST_FIRST';
  }
  return filter;
}
