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
