import { ValidationError } from '../errors.ts';

/** A trimmed, non-empty string of at most `max` characters, or a ValidationError naming the field. */
export function requiredText(field: string, value: string, max = 200): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new ValidationError(field, `${field} must not be empty`);
  if (trimmed.length > max) throw new ValidationError(field, `${field} is ${trimmed.length} characters; the limit is ${max}`);
  return trimmed;
}

export function optionalText(field: string, value: string | null | undefined, max = 2000): string {
  const trimmed = (value ?? '').trim();
  if (trimmed.length > max) throw new ValidationError(field, `${field} is ${trimmed.length} characters; the limit is ${max}`);
  return trimmed;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function optionalEmail(field: string, value: string | null | undefined): string | null {
  const trimmed = (value ?? '').trim();
  if (trimmed === '') return null;
  if (trimmed.length > 254 || !EMAIL.test(trimmed)) throw new ValidationError(field, `${field} "${trimmed}" is not an e-mail address like ops@example.com`);
  return trimmed;
}

/** Event type names are `resource.action`, lower case: `invoice.created`, `invoice.line_item.updated`. */
export const EVENT_TYPE_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export function eventTypeName(field: string, value: string): string {
  const name = value.trim();
  if (name.length > 100 || !EVENT_TYPE_NAME.test(name)) {
    throw new ValidationError(field, `"${name}" is not an event type name; use resource.action in lower case, e.g. invoice.created`);
  }
  return name;
}

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
/** A UTF-16 surrogate without its partner: text that has no UTF-8 form (PostgreSQL refuses it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What makes a string unstorable as PostgreSQL text or jsonb, in words, or null when
 * nothing does: a NUL character or an unpaired surrogate (invalid Unicode).
 */
export function textProblem(value: string): string | null {
  if (NUL.test(value)) return 'contains a NUL character (\\u0000); remove it';
  if (LONE_SURROGATE.test(value)) return 'contains invalid Unicode (an unpaired surrogate such as \\ud800); send valid UTF-8 text';
  return null;
}

const UNSTORABLE = new RegExp(`${NUL.source}|${LONE_SURROGATE.source}`, 'g');

/**
 * Text we compose that quotes a sender's input (a parser's error message, say), made
 * storable: each NUL or unpaired surrogate is written as its visible escape (\u0000).
 */
export function escapeUnstorable(value: string): string {
  return value.replace(UNSTORABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The one rule for every string that enters: a ValidationError naming `field` when it cannot be stored. */
export function storableText(field: string, value: string): string {
  const problem = textProblem(value);
  if (problem) throw new ValidationError(field, `${field} ${problem}`);
  return value;
}
