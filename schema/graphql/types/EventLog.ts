// The `events` query: published events, newest first, with keyset cursors.
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { Event } from '../../entities/Event.ts';
import { EventRef } from './Event.ts';
import { pageRequest } from './DeliveryLog.ts';
import { countEventLog, eventLogPage } from '../../../core/delivery-log/log-lists.ts';
import type { EventLogFilter } from '../../../core/sql/delivery-log.ts';
import { ValidationError } from '../../../core/errors.ts';
import { idType } from '../../../core/ids.ts';
import { MAX_SELECTED_IDS } from '../../../core/delivery-log/delivery-log-input.ts';

const EventFilterInput = builder.inputType('EventFilter', {
  description: 'Every condition given must hold. The range includes `createdFrom` and excludes `createdTo`.',
  fields: (t) => ({
    type: t.string({ description: 'An exact event type name.' }),
    createdFrom: t.field({ type: 'DateTime' }),
    createdTo: t.field({ type: 'DateTime' }),
    ids: t.idList({ description: `Exactly these events, at most ${MAX_SELECTED_IDS}.` }),
  }),
});

function checkEventFilter(input: typeof EventFilterInput.$inferInput | null | undefined): EventLogFilter {
  const f = input ?? {};
  if (f.createdFrom && f.createdTo && f.createdFrom >= f.createdTo) throw new ValidationError('filter.createdTo', 'createdTo must be after createdFrom');
  if (f.type != null && (f.type.length === 0 || f.type.length > 200)) throw new ValidationError('filter.type', 'type must be an event type name such as invoice.created');
  const ids = f.ids?.map(String);
  if (ids && ids.length > MAX_SELECTED_IDS) throw new ValidationError('filter.ids', `at most ${MAX_SELECTED_IDS} ids at once`);
  if (ids?.some((id) => idType(id) !== 'Event')) throw new ValidationError('filter.ids', 'every id must be an event id (evt_…)');
  return { types: f.type != null ? [f.type] : undefined, createdFrom: f.createdFrom ?? undefined, createdTo: f.createdTo ?? undefined, ids };
}

interface ListConnection {
  totalCount: () => Promise<number>;
}

builder.queryField('events', (t) =>
  t.connection(
    {
      type: EventRef,
      description: 'Published events, newest first.',
      args: { filter: t.arg({ type: EventFilterInput }) },
      resolve: async (_root, args, ctx: Context) => {
        const page = pageRequest(args);
        const filter = checkEventFilter(args.filter);
        const { pool } = ctx.services;
        const result = await eventLogPage(pool, ctx.viewer.tenantId, filter, page);
        return {
          edges: result.rows.map((row, i) => ({ cursor: result.cursors[i], node: ctx.em.map(Event, row) })),
          pageInfo: { hasNextPage: result.hasNextPage, hasPreviousPage: result.hasPreviousPage, startCursor: result.cursors[0] ?? null, endCursor: result.cursors.at(-1) ?? null },
          totalCount: () => countEventLog(pool, ctx.viewer.tenantId, filter),
        } as never;
      },
    },
    {
      name: 'EventConnection',
      fields: (c) => ({ totalCount: c.int({ description: 'Events matching the filter (all pages).', resolve: (x) => (x as unknown as ListConnection).totalCount() }) }),
    },
  ),
);
