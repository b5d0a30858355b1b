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
