import type { EntityManager, FilterQuery, EntityName } from '@mikro-orm/postgresql';
import { ValidationError } from '../../core/errors.ts';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Checks Relay paging arguments: one direction at a time, 1 to 100 rows. */
export function pageSize(args: PageArgs): { first?: number; last?: number } {
  if (args.first != null && args.last != null) throw new ValidationError('first', 'pass either first or last, not both');
  const size = args.first ?? args.last ?? DEFAULT_PAGE_SIZE;
  const field = args.last != null ? 'last' : 'first';
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new ValidationError(field, `${field} must be from 1 to ${MAX_PAGE_SIZE}, got ${size}`);
  }
  return args.last != null ? { last: size } : { first: size };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const ROW_ID = /^[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * MikroORM's cursors are base64url of JSON [createdAt, id]; it trusts what it decodes
 * (`bnVsbA==`, "null", broke it). Anything else is refused here as a VALIDATION error.
 */
function checkCursor(field: 'after' | 'before', cursor: string): void {
  const refuse = () => new ValidationError(field, `${field} is not a cursor this list gave out; start again without it`);
  if (cursor.length > 500 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(value) || value.length !== 2) throw refuse();
  const [createdAt, id] = value;
  if (typeof createdAt !== 'string' || !ISO_TIME.test(createdAt) || Number.isNaN(Date.parse(createdAt))) throw refuse();
  if (typeof id !== 'string' || !ROW_ID.test(id)) throw refuse();
}

/**
 * A Relay connection over a management table, newest first, with MikroORM's keyset
 * cursors (created_at, id). Used for the small tables; the delivery log has its own SQL.
 */
export async function paginate<T extends { id: string; createdAt: Date }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: PageArgs,
) {
  const size = pageSize(args);
  if (args.after) checkCursor('after', args.after);
  if (args.before) checkCursor('before', args.before);
  let cursor;
  try {
    cursor = await em.findByCursor(entity, {
      where,
      ...size,
      after: args.after ?? undefined,
      before: args.before ?? undefined,
      orderBy: { createdAt: 'desc', id: 'desc' } as never,
      includeCount: true,
    } as never);
  } catch (error) {
    if (error instanceof Error && /cursor/i.test(error.message)) {
      throw new ValidationError(args.after ? 'after' : 'before', 'the cursor is not one this list gave out; start again without it');
    }
    throw error;
  }
  const items = cursor.items as T[];
  return {
    totalCount: cursor.totalCount as number,
    edges: items.map((node) => ({ node, cursor: cursor.from(node as never) })),
    pageInfo: {
      hasNextPage: cursor.hasNextPage,
      hasPreviousPage: cursor.hasPrevPage,
      startCursor: cursor.startCursor,
      endCursor: cursor.endCursor,
    },
  };
}
