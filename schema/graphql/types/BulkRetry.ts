// Bulk retries: retryDeliveries(filter) as a job with progress (core/delivery/bulk-retries.ts),
// listed, cancelled, and pushed live as they move on.
import { builder } from '../builder.ts';
import { requireAdmin } from '../context.ts';
import { paginate } from '../connection.ts';
import { BulkRetry, BULK_RETRY_STATES } from '../../entities/BulkRetry.ts';
import { cancelBulkRetry } from '../../../core/delivery/bulk-retries.ts';
import { NotFoundError } from '../../../core/errors.ts';
import { idType } from '../../../core/ids.ts';
import type { LiveEvent } from '../../../core/live-updates/subscriptions.ts';
import * as bulkRetrySql from '../../../core/sql/bulk-retries.ts';
import { ResyncRef, isResync } from './LiveUpdates.ts';

export const BulkRetryStateEnum = builder.enumType('BulkRetryState', {
  values: {
    QUEUED: { description: 'Waiting for a worker.' },
    RUNNING: { description: 'A worker is queueing its attempts, a batch of 1,000 at a time.' },
    DONE: { description: 'Every matching delivery was queued for a manual attempt (or counted in failed).' },
    CANCELLED: { description: 'Cancelled by an operator: the batches queued before stay queued.' },
    FAILED: { description: 'It could not go on (error says why); the batches queued before stay queued.' },
  } as const,
});
void BULK_RETRY_STATES;

export const BulkRetryRef = builder.node(BulkRetry, {
  name: 'BulkRetry',
  description:
    'retryDeliveries(filter) at work: a manual attempt queued for every delivery the filter matched when it was asked (deliveries created later are not included), in batches. A worker that stops or dies resumes after the last batch, never queueing a delivery twice.',
  id: { resolve: (b) => b.id },
  loadOne: (id, ctx) => ctx.em.findOne(BulkRetry, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    filter: t.field({ type: 'JSON', description: 'The delivery-log filter, as stored (createdTo bounded by the time it was asked).', resolve: (b) => b.filter }),
    state: t.field({ type: BulkRetryStateEnum, resolve: (b) => b.state }),
    total: t.int({ nullable: true, description: 'Deliveries the filter matched when it was asked.', resolve: (b) => b.total ?? null }),
    done: t.exposeInt('done', { description: 'Deliveries queued for a manual attempt so far.' }),
    failed: t.exposeInt('failed', { description: 'Matched deliveries that could not be sent again: their webhook was deleted, or they were cancelled.' }),
    error: t.string({ nullable: true, description: 'Why it FAILED.', resolve: (b) => b.error ?? null }),
    requestedBy: t.exposeString('requestedBy', { description: 'The API key that asked (name and id).' }),
    createdAt: t.field({ type: 'DateTime', resolve: (b) => b.createdAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (b) => b.startedAt ?? null }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (b) => b.finishedAt ?? null }),
  }),
});

builder.queryField('bulkRetries', (t) =>
  t.connection(
    {
      type: BulkRetryRef,
      description: "The tenant's bulk retries, newest first.",
      resolve: (_root, args, ctx) => paginate(ctx.em, BulkRetry, { tenantId: ctx.viewer.tenantId }, args) as never,
    },
    { name: 'BulkRetryConnection', fields: (c) => ({ totalCount: c.int({ resolve: (x) => (x as unknown as { totalCount: number }).totalCount }) }) },
  ),
);

const CancelBulkRetryInput = builder.inputType('CancelBulkRetryInput', { fields: (t) => ({ id: t.id({ required: true }) }) });

builder.mutationField('cancelBulkRetry', (t) =>
  t.field({
    type: builder.objectRef<{ bulkRetry: BulkRetry }>('CancelBulkRetryPayload').implement({
      fields: (f) => ({ bulkRetry: f.field({ type: BulkRetryRef, resolve: (p) => p.bulkRetry }) }),
    }),
    description: 'Stops a QUEUED or RUNNING bulk retry before its next batch; attempts already queued stay queued. A ConflictError when it has ended.',
    args: { input: t.arg({ type: CancelBulkRetryInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const id = String(input.id);
      if (idType(id) !== 'BulkRetry') throw new NotFoundError('bulk retry', id);
      await cancelBulkRetry(ctx.services.pool, ctx.viewer.tenantId, id);
      ctx.em.clear();
      return { bulkRetry: await ctx.em.findOneOrFail(BulkRetry, { id, tenantId: ctx.viewer.tenantId }) };
    },
  }),
);

/** The feed with one event before it; ending the stream ends the feed. */
async function* startingWith(first: LiveEvent, feed: AsyncIterableIterator<LiveEvent>): AsyncIterableIterator<LiveEvent> {
  try {
    yield first;
    yield* feed;
  } finally {
    await feed.return?.();
  }
}

const BulkRetryUpdateRef = builder.unionType('BulkRetryUpdate', {
  description: 'A bulk retry as it is now, or a Resync: refetch.',
  types: [BulkRetryRef, ResyncRef],
  resolveType: (value) => (isResync(value) ? 'Resync' : 'BulkRetry'),
});

builder.subscriptionField('bulkRetryUpdated', (t) =>
  t.field({
    type: BulkRetryUpdateRef,
    description:
      'A bulk retry of this tenant was asked for or moved on (after each batch, and when it ends). Narrowed to one (bulkRetryId), it first pushes that bulk retry as it is now, so a progress bar opened late starts right.',
    args: { bulkRetryId: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      let id: string | null = null;
      if (args.bulkRetryId != null) {
        id = String(args.bulkRetryId);
        // Any other id (another kind, another tenant's) names no bulk retry of this tenant.
        if (idType(id) !== 'BulkRetry' || !(await ctx.em.count(BulkRetry, { id, tenantId: ctx.viewer.tenantId }))) throw new NotFoundError('bulk retry', id);
      }
      const feed = ctx.live.subscribe({ tenantId: ctx.viewer.tenantId, apiKeyId: ctx.viewer.apiKeyId, kind: 'bulkRetry', matches: (u) => !id || u.id === id });
      if (!id) return feed;
      // Listening first, then read: a change in between comes after, never lost.
      const row = (await ctx.services.pool.query(bulkRetrySql.bulkRetryRow(ctx.viewer.tenantId, id))).rows[0];
      const current: LiveEvent = { type: 'row', update: { kind: 'bulkRetry', tenantId: ctx.viewer.tenantId, id, webhookId: '' }, row };
      return startingWith(current, feed);
    },
    resolve: (event: LiveEvent, _args, ctx) => {
      if (event.type === 'resync') return event;
      ctx.em.clear();
      return ctx.em.map(BulkRetry, { ...event.row } as never);
    },
  }),
);
