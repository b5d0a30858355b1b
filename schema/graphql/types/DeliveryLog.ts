// The delivery log query: `deliveries(filter, orderBy)` with keyset cursors both ways, and
// `retryDeliveries(filter)`, which sends again what a filter of the log matches (a bulk
// retry job, see BulkRetry.ts).
import { builder } from '../builder.ts';
import { Tenant } from '../../entities/Tenant.ts';
import { countRetryableDeliveries } from '../../../core/delivery/manual-attempts.ts';
import { requestBulkRetry } from '../../../core/delivery/bulk-retries.ts';
import { BulkRetry } from '../../entities/BulkRetry.ts';
import { ApiKey } from '../../entities/ApiKey.ts';
import { BulkRetryRef } from './BulkRetry.ts';
import { requireAdmin, type Context } from '../context.ts';
import { pageSize, type PageArgs } from '../connection.ts';
import { Delivery } from '../../entities/Delivery.ts';
import { DeliveryRef, DeliveryStatusEnum } from './Delivery.ts';
import { deliveryColumns, deliveryLogPage, openDeliveryLog, totalOfDeliveryLog, EXACT_TOTAL_LIMIT, type LogTotal } from '../../../core/delivery-log/delivery-log-query.ts';
import { MAX_DURATION_MS, MAX_SEARCH_LENGTH, MAX_SELECTED_IDS, type DeliveryFilterInput as FilterInput } from '../../../core/delivery-log/delivery-log-input.ts';

export const SortDirectionEnum = builder.enumType('SortDirection', { values: ['ASC', 'DESC'] as const });

export const DeliveryOrderFieldEnum = builder.enumType('DeliveryOrderField', {
  description: 'A column of the delivery log to sort by. Ties are broken by creation time, then id, in the direction of the last key.',
  values: {
    CREATED_AT: { description: 'When the delivery was created (the event was published).' },
    INTEGRATOR: { description: "The integrator's name, any case (then its id)." },
    WEBHOOK: { description: "The webhook's name, any case (then its id)." },
    EVENT_TYPE: { description: 'The event type name.' },
    ATTEMPTS: { description: 'The number of attempts made.' },
    LAST_ATTEMPT_AT: { description: 'When the last attempt was made; never-attempted deliveries sort after every date.' },
    SUCCEEDED: { description: 'Whether the delivery succeeded (false before true when ascending).' },
    DELIVERED_AT: { description: 'When the delivery succeeded; undelivered ones sort after every date.' },
    HTTP_STATUS: { description: "The last response's HTTP status; deliveries without a response sort before every status." },
    DURATION: { description: 'How long the last attempt took; never-attempted deliveries sort before every duration.' },
  } as const,
});

export const DeliveryOrderInput = builder.inputType('DeliveryOrder', {
  fields: (t) => ({
    field: t.field({ type: DeliveryOrderFieldEnum, required: true }),
    direction: t.field({ type: SortDirectionEnum, required: true, defaultValue: 'DESC' }),
  }),
});

export const DeliveryFilterInput = builder.inputType('DeliveryFilter', {
  description: 'Every condition given must hold. Ranges include `from` and exclude `to`.',
  fields: (t) => ({
    createdFrom: t.field({ type: 'DateTime' }),
    createdTo: t.field({ type: 'DateTime' }),
    deliveredFrom: t.field({ type: 'DateTime', description: 'Only delivered ones, delivered at or after this time.' }),
    deliveredTo: t.field({ type: 'DateTime', description: 'Only delivered ones, delivered before this time.' }),
    attemptsMin: t.int(),
    attemptsMax: t.int(),
    httpStatusMin: t.int({ description: "The last response's HTTP status is at least this (100 to 599); deliveries without a response are left out." }),
    httpStatusMax: t.int({ description: "The last response's HTTP status is at most this (100 to 599), e.g. 500 and 599 for server errors." }),
    durationMinMs: t.int({ description: `The last attempt took at least this many milliseconds (0 to ${MAX_DURATION_MS}); never-attempted deliveries are left out.` }),
    durationMaxMs: t.int({ description: `The last attempt took at most this many milliseconds (0 to ${MAX_DURATION_MS}); never-attempted deliveries are left out.` }),
    integratorId: t.id(),
    webhookId: t.id(),
    eventType: t.string({ description: 'An exact event type name, e.g. invoice.created.' }),
    succeeded: t.boolean({ description: 'true: only succeeded; false: everything else (the failed-only toggle).' }),
    status: t.field({ type: [DeliveryStatusEnum], description: 'Any of these statuses; an empty list means any status.' }),
    ids: t.idList({ description: `Exactly these deliveries (selected rows), at most ${MAX_SELECTED_IDS}; an empty list matches nothing.` }),
    search: t.string({
      description: `Quick search, at most ${MAX_SEARCH_LENGTH} characters: an id (dlv_, evt_, att_, whk_, int_) matches exactly; other text matches part of the event type, the integrator's name, or the webhook's name or URL; a status word (failed, succeeded, pending, retrying, cancelled, and success, failure, delivered…) matches that status, and an HTTP status (503) the last response's.`,
    }),
  }),
});

/** Relay paging arguments to the service's page request (size checked: 1 to 100). */
export function pageRequest(args: PageArgs) {
  const size = pageSize(args);
  return { size: (size.first ?? size.last)!, backward: size.last != null, after: args.after, before: args.before };
}

/** A GraphQL filter input as the rules want it (ids as strings). */
export function filterInput(filter: typeof DeliveryFilterInput.$inferInput | null | undefined): FilterInput | null {
  if (!filter) return null;
  return {
    ...filter,
    integratorId: filter.integratorId == null ? null : String(filter.integratorId),
    webhookId: filter.webhookId == null ? null : String(filter.webhookId),
    ids: filter.ids?.map(String) ?? null,
  };
}

interface LogConnection {
  edges: { cursor: string; node: Delivery }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  total: () => Promise<LogTotal>;
}

builder.queryField('deliveries', (t) =>
  t.connection(
    {
      type: DeliveryRef,
      description: 'The delivery log, newest first unless orderBy says otherwise.',
      args: {
        filter: t.arg({ type: DeliveryFilterInput }),
        orderBy: t.arg({ type: [DeliveryOrderInput], description: 'Sort keys, most significant first (multi-column sort).' }),
      },
      resolve: async (_root, args, ctx: Context) => {
        const page = pageRequest(args);
        const { pool } = ctx.services;
        const log = await openDeliveryLog(pool, ctx.viewer.tenantId, { filter: filterInput(args.filter), orderBy: args.orderBy });
        const result = await deliveryLogPage(pool, log, page);
        let total: Promise<LogTotal> | undefined;
        const connection: LogConnection = {
          edges: result.rows.map((row, i) => {
            return { cursor: result.cursors[i], node: ctx.em.map(Delivery, deliveryColumns(row)) };
          }),
          pageInfo: {
            hasNextPage: result.hasNextPage,
            hasPreviousPage: result.hasPreviousPage,
            startCursor: result.cursors[0] ?? null,
            endCursor: result.cursors.at(-1) ?? null,
          },
          // Counted only when asked for, once for both fields.
          total: () => (total ??= totalOfDeliveryLog(pool, log)),
        };
        return connection as never;
      },
    },
    {
      name: 'DeliveryConnection',
      fields: (c) => ({
        totalCount: c.int({
          description: `Deliveries matching the filter (all pages): exact up to ${EXACT_TOTAL_LIMIT.toLocaleString('en')}; past that PostgreSQL's estimate (totalCountIsEstimate is true), which costs nothing to read whatever the log's size.`,
          resolve: async (x) => (await (x as unknown as LogConnection).total()).count,
        }),
        totalCountIsEstimate: c.boolean({
          description: `Whether totalCount is an estimate (more than ${EXACT_TOTAL_LIMIT.toLocaleString('en')} deliveries match): show it as "about".`,
          resolve: async (x) => (await (x as unknown as LogConnection).total()).estimated,
        }),
      }),
    },
  ),
);

const RetryDeliveriesInput = builder.inputType('RetryDeliveriesInput', {
  fields: (t) => ({
    filter: t.field({ type: DeliveryFilterInput, description: 'The delivery-log filter; absent means every delivery.' }),
    dryRun: t.boolean({ defaultValue: false, description: 'Only count what would be retried.' }),
  }),
});

builder.mutationField('retryDeliveries', (t) =>
  t.field({
    type: builder.objectRef<{ count: number; dryRun: boolean; held: boolean; bulkRetry: BulkRetry | null }>('RetryDeliveriesPayload').implement({
      fields: (f) => ({
        count: f.exposeInt('count', { description: 'Deliveries the filter matches, to be queued by bulkRetry (in a dry run: those that would be sent again, deleted webhooks\' left out).' }),
        dryRun: f.exposeBoolean('dryRun'),
        held: f.exposeBoolean('held', { description: "True while the tenant's deliveries are switched off: the attempts are kept and go out when they are switched on." }),
        bulkRetry: f.field({ type: BulkRetryRef, nullable: true, description: 'The job queueing them, with its progress (null in a dry run, or when nothing matches). Follow it with bulkRetryUpdated(bulkRetryId).', resolve: (p) => p.bulkRetry }),
      }),
    }),
    description: 'Sends every delivery matching the filter again (trigger MANUAL); deliveries of deleted webhooks are skipped. Answers at once: a worker queues the attempts in batches (BulkRetry). One runs per tenant at a time: while one is QUEUED or RUNNING, another is refused with a ConflictError naming it (a dry run is not).',
    args: { input: t.arg({ type: RetryDeliveriesInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const dryRun = input.dryRun ?? false;
      const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.viewer.tenantId }, { fields: ['deliveriesEnabled'] });
      if (dryRun) {
        const log = await openDeliveryLog(ctx.services.pool, ctx.viewer.tenantId, { filter: filterInput(input.filter) }, { filter: 'input.filter' });
        return { count: await countRetryableDeliveries(ctx.services.pool, log), dryRun, held: !tenant.deliveriesEnabled, bulkRetry: null };
      }
      const key = await ctx.em.findOne(ApiKey, { id: ctx.viewer.apiKeyId, tenantId: ctx.viewer.tenantId }, { fields: ['name'] });
      const row = await requestBulkRetry(ctx.services, {
        tenantId: ctx.viewer.tenantId,
        requestedBy: `${key?.name ?? 'an API key'} (${ctx.viewer.apiKeyId})`,
        filter: filterInput(input.filter),
        filterField: 'input.filter',
      });
      if (!row) return { count: 0, dryRun, held: !tenant.deliveriesEnabled, bulkRetry: null };
      const bulkRetry = await ctx.em.findOneOrFail(BulkRetry, { id: row.id, tenantId: ctx.viewer.tenantId });
      return { count: row.total ?? 0, dryRun, held: !tenant.deliveriesEnabled, bulkRetry };
    },
  }),
);
