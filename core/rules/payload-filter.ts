// Payload filters per webhook: which events a webhook receives beyond its event types and
// channels. A filter is a JSON object in the style of MongoDB queries, over the event's
// `data` (its payload: nested paths, array elements), `type`, `channel` and `source`:
//
//   { "data.amount": { "$gte": 100 }, "data.customer.country": { "$in": ["FR", "DE"] },
//     "$or": [{ "type": "invoice.paid" }, { "data.items.sku": { "$startsWith": "PRO-" } }] }
//
// Every key of an object must hold (and). A value that is not an object of operators is
// shorthand for $eq. Paths are dot-separated: a number steps into an array at that index
// (`data.items.0.sku`); any other name on an array looks into every element, and the
// condition holds when it holds for one of them (`data.items.sku`).
//
// Comparison is strict, as JSON types go: 10 and "10" are not equal, $gt compares two
// numbers or two strings (by code point) and is false for any other pair. A missing path
// fails every operator but $neq, $nin and { $exists: false }. null is a value: it exists
// and equals only null.
//
// checkFilter runs when a webhook is saved (a ValidationError naming the path and the
// operator); compileFilter turns a checked filter into a function, once per publish.
import { ValidationError } from '../errors.ts';

export const FILTER_FIELDS = ['data', 'type', 'channel', 'source'] as const;
export const FILTER_OPERATORS = ['$eq', '$neq', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$startsWith', '$contains'] as const;
export const FILTER_LOGIC = ['$and', '$or', '$not'] as const;
export const MAX_FILTER_BYTES = 16 * 1024;
export const MAX_FILTER_CONDITIONS = 100;
export const MAX_FILTER_DEPTH = 8;
export const MAX_FILTER_LIST = 500;

type Operator = (typeof FILTER_OPERATORS)[number];
export type FilterEvent = { type: string; channel: string | null; source: string; data: unknown };

/** Which condition decided a test, in words a person can act on. */
export interface FilterOutcome {
  matched: boolean;
  /** Where in the filter: `$or[1].data.amount.$gt`; empty for an empty filter. */
  condition: string;
  explanation: string;
}

type Compiled = (event: FilterEvent) => FilterOutcome;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const FIELD_PATH = /^(data(\.[^.]+)*|type|channel|source)$/;

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Checks a filter as given to the API (parsed JSON) and returns it. Throws a
 * ValidationError whose field is `field` + the path inside the filter, and whose message
 * names the operator and what to write instead.
 */
export function checkFilter(field: string, filter: unknown): Record<string, unknown> {
  if (!isObject(filter)) {
    throw new ValidationError(field, 'a filter is a JSON object such as {"data.amount": {"$gte": 100}}; use null for no filter');
  }
  const bytes = Buffer.byteLength(JSON.stringify(filter));
  if (bytes > MAX_FILTER_BYTES) throw new ValidationError(field, `the filter is ${bytes} bytes; the limit is ${MAX_FILTER_BYTES}`);
  let conditions = 0;
  const count = (at: string) => {
    if (++conditions > MAX_FILTER_CONDITIONS) throw new ValidationError(at, `a filter has at most ${MAX_FILTER_CONDITIONS} conditions`);
  };

  const checkObject = (node: Record<string, unknown>, at: string, depth: number): void => {
    if (depth > MAX_FILTER_DEPTH) throw new ValidationError(at, `a filter nests $and, $or and $not at most ${MAX_FILTER_DEPTH} deep`);
    for (const [key, value] of Object.entries(node)) {
      const here = `${at}.${key}`;
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) {
          throw new ValidationError(here, `${key} takes a non-empty list of filters, e.g. {"${key}": [{"type": "invoice.paid"}, {"data.amount": {"$gt": 0}}]}`);
        }
        value.forEach((item, i) => checkObject(item as Record<string, unknown>, `${here}[${i}]`, depth + 1));
      } else if (key === '$not') {
        if (!isObject(value)) throw new ValidationError(here, '$not takes one filter, e.g. {"$not": {"data.test": true}}');
        checkObject(value, here, depth + 1);
      } else if (key.startsWith('$')) {
        throw new ValidationError(here, `${key} is not allowed here: the keys of a filter are paths (data..., type, channel, source) or $and, $or, $not`);
      } else {
        if (!FIELD_PATH.test(key) || key.split('.').some((s) => s.length === 0)) {
          throw new ValidationError(here, `"${key}" is not a path of the event: start with data (data.customer.id, data.items.0.sku), or use type, channel or source`);
        }
        checkCondition(value, here);
      }
    }
  };

  const checkCondition = (value: unknown, at: string): void => {
    if (!isObject(value) || !Object.keys(value).some((k) => k.startsWith('$'))) {
      count(at);
      return; // shorthand for $eq: any JSON value
    }
    for (const [operator, operand] of Object.entries(value)) {
      const here = `${at}.${operator}`;
      if (!(FILTER_OPERATORS as readonly string[]).includes(operator)) {
        throw new ValidationError(here, `${operator.startsWith('$') ? operator : `"${operator}"`} is not an operator; use one of ${FILTER_OPERATORS.join(' ')} (mixing operators and plain keys is not allowed)`);
      }
      count(here);
      checkOperand(operator as Operator, operand, here);
    }
  };

  const checkOperand = (operator: Operator, operand: unknown, at: string): void => {
    switch (operator) {
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof operand !== 'number' && typeof operand !== 'string') {
          throw new ValidationError(at, `${operator} compares with a number or a string; got ${describe(operand)}`);
        }
        return;
      case '$in':
      case '$nin':
        if (!Array.isArray(operand) || operand.length === 0 || operand.length > MAX_FILTER_LIST) {
          throw new ValidationError(at, `${operator} takes a list of 1 to ${MAX_FILTER_LIST} values, e.g. {"${operator}": ["FR", "DE"]}`);
        }
        return;
      case '$exists':
        if (typeof operand !== 'boolean') throw new ValidationError(at, `$exists takes true or false; got ${describe(operand)}`);
        return;
      case '$startsWith':
        if (typeof operand !== 'string' || operand.length === 0) throw new ValidationError(at, `$startsWith takes a non-empty string; got ${describe(operand)}`);
        return;
      case '$contains':
        if (operand === undefined) throw new ValidationError(at, '$contains takes a string (within a string) or a value (within a list)');
        return;
      default:
        return;
    }
  };

  checkObject(filter, field, 0);
  return filter;
}

/** The values a path reaches in an event: several when it looks into every element of an array. */
function resolve(event: FilterEvent, path: string[]): unknown[] {
  let values: unknown[] = [event[path[0] as keyof FilterEvent]];
  for (const segment of path.slice(1)) {
    const next: unknown[] = [];
    for (const value of values) {
      if (Array.isArray(value)) {
        if (/^(0|[1-9]\d*)$/.test(segment)) {
          if (Number(segment) < value.length) next.push(value[Number(segment)]);
        } else {
          for (const element of value) if (isObject(element) && Object.hasOwn(element, segment)) next.push(element[segment]);
        }
      } else if (isObject(value) && Object.hasOwn(value, segment)) {
        next.push(value[segment]);
      }
    }
    values = next;
  }
  return values.filter((v) => v !== undefined);
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function ordered(operator: '$gt' | '$gte' | '$lt' | '$lte', value: unknown, operand: number | string): boolean {
  if (typeof value !== typeof operand) return false;
  const a = value as number | string;
  // Strings compare by code point, the same on every machine (not by locale).
  const cmp = typeof a === 'number' ? a - (operand as number) : a < operand ? -1 : a > operand ? 1 : 0;
  if (operator === '$gt') return cmp > 0;
  if (operator === '$gte') return cmp >= 0;
  if (operator === '$lt') return cmp < 0;
  return cmp <= 0;
}

/** Whether one value satisfies a positive operator. */
function holds(operator: Operator, value: unknown, operand: unknown): boolean {
  switch (operator) {
    case '$eq':
      return jsonEqual(value, operand);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return ordered(operator, value, operand as number | string);
    case '$in':
      return (operand as unknown[]).some((o) => jsonEqual(value, o));
    case '$startsWith':
      return typeof value === 'string' && value.startsWith(operand as string);
    case '$contains':
      if (typeof value === 'string') return typeof operand === 'string' && value.includes(operand);
      if (Array.isArray(value)) return value.some((element) => jsonEqual(element, operand));
      return false;
    default:
      return false;
  }
}

const WORDS: Record<Operator, string> = {
  $eq: 'equal to',
  $neq: 'other than',
  $gt: 'greater than',
  $gte: 'at least',
  $lt: 'less than',
  $lte: 'at most',
  $in: 'one of',
  $nin: 'none of',
  $exists: 'present',
  $startsWith: 'starting with',
  $contains: 'containing',
};

function compileCondition(path: string, operator: Operator, operand: unknown, at: string): Compiled {
  const segments = path.split('.');
  return (event) => {
    const values = resolve(event, segments);
    let matched: boolean;
    if (operator === '$exists') matched = (values.length > 0) === operand;
    else if (operator === '$neq') matched = !values.some((v) => jsonEqual(v, operand));
    else if (operator === '$nin') matched = !values.some((v) => (operand as unknown[]).some((o) => jsonEqual(v, o)));
    else matched = values.some((v) => holds(operator, v, operand));
    const actual = values.length === 0 ? 'missing' : values.length === 1 ? describe(values[0]) : `[${values.map(describe).join(', ')}]`;
    const wanted = operator === '$exists' ? (operand ? 'present' : 'absent') : `${WORDS[operator]} ${describe(operand)}`;
    return { matched, condition: at, explanation: `${path} is ${actual}, ${matched ? 'which is' : 'not'} ${wanted}` };
  };
}

function compileObject(node: Record<string, unknown>, at: string): Compiled {
  const parts: Compiled[] = [];
  for (const [key, value] of Object.entries(node)) {
    const here = at ? `${at}.${key}` : key;
    if (key === '$and') parts.push(compileAll((value as Record<string, unknown>[]).map((f, i) => compileObject(f, `${here}[${i}]`)), here));
    else if (key === '$or') parts.push(compileAny((value as Record<string, unknown>[]).map((f, i) => compileObject(f, `${here}[${i}]`)), here));
    else if (key === '$not') {
      const inner = compileObject(value as Record<string, unknown>, here);
      parts.push((event) => {
        const outcome = inner(event);
        return { matched: !outcome.matched, condition: outcome.condition || here, explanation: `not (${outcome.explanation})` };
      });
    } else if (isObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
      for (const [operator, operand] of Object.entries(value)) parts.push(compileCondition(key, operator as Operator, operand, `${here}.${operator}`));
    } else {
      parts.push(compileCondition(key, '$eq', value, here));
    }
  }
  return compileAll(parts, at);
}

/** All must hold: the first that fails decides; when all hold, the last one checked. */
function compileAll(parts: Compiled[], at: string): Compiled {
  if (parts.length === 1) return parts[0];
  return (event) => {
    let last: FilterOutcome = { matched: true, condition: at, explanation: 'an empty filter matches every event' };
    for (const part of parts) {
      last = part(event);
      if (!last.matched) return last;
    }
    return last;
  };
}

/** One must hold: the first that holds decides; when none does, the last one checked. */
function compileAny(parts: Compiled[], at: string): Compiled {
  return (event) => {
    let last: FilterOutcome = { matched: false, condition: at, explanation: 'no branch of $or held' };
    for (const part of parts) {
      last = part(event);
      if (last.matched) return last;
    }
    return { ...last, explanation: `no branch of ${at} held; the last: ${last.explanation}` };
  };
}

/** A checked filter as a function of the event; run checkFilter first on anything from outside. */
export function compileFilter(filter: Record<string, unknown>): Compiled {
  return compileObject(filter, '');
}

/** checkFilter then compileFilter then evaluate: what testWebhookFilter answers. */
export function testFilter(field: string, filter: unknown, event: FilterEvent): FilterOutcome {
  return compileFilter(checkFilter(field, filter))(event);
}
