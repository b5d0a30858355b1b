// The `attempts` query: HTTP attempts newest or oldest first, filtered like the delivery log, with keyset cursors.
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { Attempt } from '../../entities/Attempt.ts';
import { AttemptErrorKindEnum, AttemptRef, AttemptTriggerEnum } from './Attempt.ts';
import { pageRequest } from './DeliveryLog.ts';
import { attemptLogPage, countAttemptLog } from '../../../core/delivery-log/log-lists.ts';
import { checkAttemptFilter, type AttemptFilterInput as FilterInput } from '../../../core/delivery-log/attempt-log-input.ts';

export const AttemptOrderEnum = builder.enumType('AttemptOrder', {
  values: { NEWEST_FIRST: { description: 'Newest first (the default).' }, OLDEST_FIRST: { description: 'Oldest first.' } } as const,
});

export const AttemptFilterInput = builder.inputType('AttemptFilter', {
  description: 'Every condition given must hold. createdFrom is included, createdTo excluded.',
  fields: (t) => ({
    createdFrom: t.field({ type: 'DateTime' }),
    createdTo: t.field({ type: 'DateTime' }),
    deliveryId: t.id(),
    webhookId: t.id(),
    integratorId: t.id(),
    eventType: t.string({ description: 'An exact event type name, e.g. invoice.created.' }),
    trigger: t.field({ type: AttemptTriggerEnum }),
    succeeded: t.boolean(),
    httpStatus: t.string({ description: 'The response\'s HTTP status: exact ("503") or a class ("5xx"); attempts without a response never match.' }),
    errorKind: t.field({ type: AttemptErrorKindEnum, description: 'Why the attempt got no usable response (timeout, dns, refused, tls, blocked…).' }),
  }),
});

/** The GraphQL input and order as the checks want them (ids as strings). */
export function attemptFilterInput(filter: typeof AttemptFilterInput.$inferInput | null | undefined, order?: string | null): FilterInput {
  const f = filter ?? {};
  return {
    ...f,
    deliveryId: f.deliveryId == null ? null : String(f.deliveryId),
    webhookId: f.webhookId == null ? null : String(f.webhookId),
    integratorId: f.integratorId == null ? null : String(f.integratorId),
    oldestFirst: order === 'OLDEST_FIRST',
  };
}

interface ListConnection {
  totalCount: () => Promise<number>;
}

builder.queryField('attempts', (t) =>
  t.connection(
    {
      type: AttemptRef,
      description: 'HTTP attempts, newest first unless order says otherwise, with the request sent and the response received. Pages hold at most 100.',
      args: { filter: t.arg({ type: AttemptFilterInput }), order: t.arg({ type: AttemptOrderEnum, defaultValue: 'NEWEST_FIRST' }) },
      resolve: async (_root, args, ctx: Context) => {
        const page = pageRequest(args);
        const filter = checkAttemptFilter(attemptFilterInput(args.filter, args.order));
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
