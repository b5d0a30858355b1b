// Checks of the attempts log's filter, shared by GraphQL and the attempts export: the same
// input gets the same answer (or the same ValidationError) on both.
import { ATTEMPT_ERROR_KINDS, ATTEMPT_TRIGGERS, type AttemptTrigger } from '../../schema/entities/Attempt.ts';
import { ValidationError } from '../errors.ts';
import { idType, type IdType } from '../ids.ts';
import type { AttemptLogFilter } from '../sql/delivery-log.ts';

/** The filter as a client sends it (GraphQL input or export query parameters). */
export interface AttemptFilterInput {
  createdFrom?: Date | null;
  createdTo?: Date | null;
  deliveryId?: string | null;
  webhookId?: string | null;
  integratorId?: string | null;
  eventType?: string | null;
  trigger?: string | null;
  succeeded?: boolean | null;
  httpStatus?: string | null;
  errorKind?: string | null;
  oldestFirst?: boolean | null;
}

function id(field: string, value: string | null | undefined, type: IdType): string | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (idType(trimmed) !== type) throw new ValidationError(field, `"${trimmed.slice(0, 40)}" is not a ${type.toLowerCase()} id`);
  return trimmed;
}

function date(field: string, value: Date | null | undefined): Date | undefined {
  if (value == null) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new ValidationError(field, `${field} is not a date`);
  return value;
}

/** "503" is that status; "5xx" (any case) the class, 500 to 599. */
export function httpStatusRange(field: string, value: string): { min: number; max: number } {
  const text = value.trim().toLowerCase();
  if (/^[1-5]\d\d$/.test(text)) return { min: Number(text), max: Number(text) };
  if (/^[1-5]xx$/.test(text)) return { min: Number(text[0]) * 100, max: Number(text[0]) * 100 + 99 };
  throw new ValidationError(field, `"${value.slice(0, 20)}" is not an HTTP status (100 to 599) or class (1xx to 5xx)`);
}

/** Checks a filter; `prefix` names it in errors (`filter`, or the export's query). */
export function checkAttemptFilter(input: AttemptFilterInput | null | undefined, prefix = 'filter'): AttemptLogFilter {
  const f = input ?? {};
  const filter: AttemptLogFilter = {
    createdFrom: date(`${prefix}.createdFrom`, f.createdFrom),
    createdTo: date(`${prefix}.createdTo`, f.createdTo),
    deliveryId: id(`${prefix}.deliveryId`, f.deliveryId, 'Delivery'),
    webhookId: id(`${prefix}.webhookId`, f.webhookId, 'Webhook'),
    integratorId: id(`${prefix}.integratorId`, f.integratorId, 'Integrator'),
  };
  if (filter.createdFrom && filter.createdTo && filter.createdFrom >= filter.createdTo) throw new ValidationError(`${prefix}.createdTo`, 'createdTo must be after createdFrom');
  if (f.eventType != null) {
    const type = f.eventType.trim();
    if (!type || type.length > 200) throw new ValidationError(`${prefix}.eventType`, 'eventType must be an event type name such as invoice.created');
    filter.eventType = type;
  }
  if (f.trigger != null) {
    if (!ATTEMPT_TRIGGERS.includes(f.trigger as AttemptTrigger)) throw new ValidationError(`${prefix}.trigger`, `trigger must be ${ATTEMPT_TRIGGERS.join(' or ')}`);
    filter.trigger = f.trigger as AttemptTrigger;
  }
  if (f.succeeded != null) filter.succeeded = f.succeeded;
  if (f.httpStatus != null) {
    const { min, max } = httpStatusRange(`${prefix}.httpStatus`, f.httpStatus);
    filter.httpStatusMin = min;
    filter.httpStatusMax = max;
  }
  if (f.errorKind != null) {
    const kind = f.errorKind.toLowerCase();
    if (!(ATTEMPT_ERROR_KINDS as readonly string[]).includes(kind)) throw new ValidationError(`${prefix}.errorKind`, `errorKind must be one of ${ATTEMPT_ERROR_KINDS.join(', ')}`);
    filter.errorKind = kind;
  }
  if (f.oldestFirst) filter.oldestFirst = true;
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as AttemptLogFilter;
}
