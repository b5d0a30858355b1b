// Opaque keyset cursors: base64url of JSON { s: the list and sort they belong to,
// k: the row's sort values }. Decoding checks every value against the sort's shape, so a
// garbled or foreign cursor is a ValidationError, never a database error.
import { ValidationError } from '../errors.ts';

export type ValueCheck = (value: unknown) => boolean;

const TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z|infinity)$/;
const ID_BODY = '[0-9A-HJKMNP-TV-Z]{26}';

export const isTime: ValueCheck = (v) => typeof v === 'string' && TIME.test(v);
export const isInt: ValueCheck = (v) => Number.isSafeInteger(v);
export const isBool: ValueCheck = (v) => typeof v === 'boolean';
export const isText: ValueCheck = (v) => typeof v === 'string' && v.length <= 500;
export function isId(prefix: string): ValueCheck {
  const pattern = new RegExp(`^${prefix}_${ID_BODY}$`);
  return (v) => typeof v === 'string' && pattern.test(v);
}

/** The cursor of a row whose sort values were selected as `_k0, _k1…`. */
export function encodeCursor(signature: string, row: Record<string, unknown>, count: number): string {
  const k = Array.from({ length: count }, (_, i) => row[`_k${i}`]);
  return Buffer.from(JSON.stringify({ s: signature, k })).toString('base64url');
}

export function decodeCursor(field: string, cursor: string, signature: string, shape: ValueCheck[]): unknown[] {
  const refuse = () => new ValidationError(field, 'the cursor is not one this list gave out for this sort; start again without it');
  if (cursor.length > 2000 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const { s, k } = (parsed ?? {}) as { s?: unknown; k?: unknown };
  if (s !== signature || !Array.isArray(k) || k.length !== shape.length || !k.every((v, i) => shape[i](v))) throw refuse();
  return k;
}

/**
 * Which cursor a Relay page uses: `after` with `first` (forward), `before` with `last`
 * (backward). Mixing them is refused rather than guessed.
 */
export function pageCursor(page: { backward: boolean; after?: string | null; before?: string | null }): { field: 'after' | 'before'; given: string | null } {
  if (page.after && page.before) throw new ValidationError('before', 'pass either after or before, not both');
  if (!page.backward && page.before) throw new ValidationError('before', 'before pages backward: pass it with last, not first');
  if (page.backward && page.after) throw new ValidationError('after', 'after pages forward: pass it with first, not last');
  return page.backward ? { field: 'before', given: page.before ?? null } : { field: 'after', given: page.after ?? null };
}
