// Rows by id for list fields, batched per request: the 50 rows of a log page asking for
// their webhook, integrator and event become one query per table instead of 150.
import type { EntityName } from '@mikro-orm/postgresql';
import type { Context } from './context.ts';
import { NotFoundError } from '../../core/errors.ts';

interface Batch {
  ids: Map<string, { resolve(row: unknown): void; reject(error: unknown): void }[]>;
}

const pending = new WeakMap<Context, Map<EntityName<object>, Batch>>();

async function flush(ctx: Context, entity: EntityName<object>, batch: Batch, what: string): Promise<void> {
  pending.get(ctx)?.delete(entity);
  const ids = [...batch.ids.keys()];
  try {
    const rows = (await ctx.em.find(entity as EntityName<{ id: string; tenantId: string }>, { id: { $in: ids }, tenantId: ctx.viewer.tenantId } as never)) as { id: string }[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const [id, waiters] of batch.ids) {
      const row = byId.get(id);
      for (const w of waiters) (row ? w.resolve(row) : w.reject(new NotFoundError(what, id)));
    }
  } catch (error) {
    for (const waiters of batch.ids.values()) for (const w of waiters) w.reject(error);
  }
}

/** The viewer's row of `entity` with this id; loads asked in the same tick share one query. */
export function loadById<T extends { id: string }>(ctx: Context, entity: EntityName<T>, id: string, what = 'row'): Promise<T> {
  let batches = pending.get(ctx);
  if (!batches) pending.set(ctx, (batches = new Map()));
  let batch = batches.get(entity as EntityName<object>);
  if (!batch) {
    const created: Batch = { ids: new Map() };
    batch = created;
    batches.set(entity as EntityName<object>, created);
    // After the current resolver pass: graphql-js calls a list's field resolvers synchronously.
    void Promise.resolve().then(() => process.nextTick(() => void flush(ctx, entity as EntityName<object>, created, what)));
  }
  return new Promise<T>((resolve, reject) => {
    const waiters = batch.ids.get(id) ?? [];
    waiters.push({ resolve: resolve as (row: unknown) => void, reject });
    batch.ids.set(id, waiters);
  });
}

const pendingValues = new WeakMap<Context, Map<string, Map<string, ((value: unknown) => void)[]>>>();

/**
 * A value per id from `load`, which answers many ids at once: asked for in the same tick
 * (a page's rows), they share one call. Ids `load` leaves out resolve to null.
 */
export function loadValue<T>(ctx: Context, kind: string, id: string, load: (ids: string[]) => Promise<Map<string, T>>): Promise<T | null> {
  let kinds = pendingValues.get(ctx);
  if (!kinds) pendingValues.set(ctx, (kinds = new Map()));
  let batch = kinds.get(kind);
  if (!batch) {
    const created = new Map<string, ((value: unknown) => void)[]>();
    batch = created;
    kinds.set(kind, created);
    void Promise.resolve().then(() =>
      process.nextTick(() => {
        kinds.delete(kind);
        load([...created.keys()]).then(
          (values) => {
            for (const [key, waiters] of created) for (const w of waiters) w(values.get(key) ?? null);
          },
          () => {
            for (const waiters of created.values()) for (const w of waiters) w(null);
          },
        );
      }),
    );
  }
  return new Promise<T | null>((resolve) => {
    const waiters = batch.get(id) ?? [];
    waiters.push(resolve as (value: unknown) => void);
    batch.set(id, waiters);
  });
}
