// The `attempts` query: HTTP attempts, newest first, with keyset cursors.
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { Attempt } from '../../entities/Attempt.ts';
import { AttemptRef } from './Attempt.ts';
import { pageRequest } from './DeliveryLog.ts';
import { attemptLogPage, countAttemptLog } from '../../../core/delivery-log/log-lists.ts';
import type { AttemptLogFilter } from '../../../core/sql/delivery-log.ts';
import { ValidationError } from '../../../core/errors.ts';
import { idType } from '../../../core/ids.ts';

const AttemptFilterInput = builder.inputType('AttemptFilter', {
  description: 'Every condition given must hold.',
  fields: (t) => ({
    deliveryId: t.id(),
    webhookId: t.id(),
    succeeded: t.boolean(),
  }),
});

function checkAttemptFilter(input: typeof AttemptFilterInput.$inferInput | null | undefined): AttemptLogFilter {
  const f = input ?? {};
  const deliveryId = f.deliveryId == null ? undefined : String(f.deliveryId);
  const webhookId = f.webhookId == null ? undefined : String(f.webhookId);
  if (deliveryId && idType(deliveryId) !== 'Delivery') throw new ValidationError('filter.deliveryId', 'deliveryId must be a delivery id (dlv_…)');
  if (webhookId && idType(webhookId) !== 'Webhook') throw new ValidationError('filter.webhookId', 'webhookId must be a webhook id (whk_…)');
  return { deliveryId, webhookId, succeeded: f.succeeded ?? undefined };
}

interface ListConnection {
  totalCount: () => Promise<number>;
}

builder.queryField('attempts', (t) =>
  t.connection(
    {
      type: AttemptRef,
      description: 'HTTP attempts, newest first, with the request sent and the response received.',
      args: { filter: t.arg({ type: AttemptFilterInput }) },
      resolve: async (_root, args, ctx: Context) => {
        const page = pageRequest(args);
        const filter = checkAttemptFilter(args.filter);
        const { pool } = ctx.services;
        const result = await attemptLogPage(pool, ctx.viewer.tenantId, filter, page);
        return {
          edges: result.rows.map((row, i) => ({ cursor: result.cursors[i], node: ctx.em.map(Attempt, row) })),
          pageInfo: { hasNextPage: result.hasNextPage, hasPreviousPage: result.hasPreviousPage, startCursor: result.cursors[0] ?? null, endCursor: result.cursors.at(-1) ?? null },
          totalCount: () => countAttemptLog(pool, ctx.viewer.tenantId, filter),
        } as never;
      },
    },
    {
      name: 'AttemptConnection',
      fields: (c) => ({ totalCount: c.int({ description: 'Attempts matching the filter (all pages).', resolve: (x) => (x as unknown as ListConnection).totalCount() }) }),
    },
  ),
);
