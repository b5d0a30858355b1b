// The inbound log and queue: every request a hook received, what it answered, what it
// parsed and the event it made; queue items can be deleted, selected or all.
import { builder } from '../builder.ts';
import { requireAdmin, type Context } from '../context.ts';
import { InboundRequest, INBOUND_REQUEST_STATES, INBOUND_REQUEST_STATUSES, INBOUND_REQUEST_KINDS } from '../../entities/InboundRequest.ts';
import { InboundHook } from '../../entities/InboundHook.ts';
import { Event } from '../../entities/Event.ts';
import { EventRef } from './Event.ts';
import { InboundHookRef, loadInboundHook, subscribedHookId } from './InboundHook.ts';
import { pageRequest } from './DeliveryLog.ts';
import * as sql from '../../../core/sql/inbound.ts';
import { decodeCursor, encodeCursor, isId, isTime, pageCursor } from '../../../core/delivery-log/cursor.ts';
import { NotFoundError, ValidationError } from '../../../core/errors.ts';
import { idType } from '../../../core/ids.ts';
import { notifyLiveUpdates } from '../../../core/live-updates/notify.ts';
import type { LiveEvent } from '../../../core/live-updates/subscriptions.ts';
import { ResyncRef, isResync } from './LiveUpdates.ts';

export const MAX_DELETE_IDS = 1000;

const StateEnum = builder.enumType('InboundRequestState', {
  values: {
    QUEUED: { description: 'Waiting in the queue.' },
    PROCESSED: { description: 'Published as an event.' },
    FAILED: { description: 'Processing could not publish it (message says why).' },
    REFUSED: { description: 'Answered 4xx and never queued.' },
  } as const,
});
const StatusEnum = builder.enumType('InboundRequestStatus', { values: INBOUND_REQUEST_STATUSES });
const KindEnum = builder.enumType('InboundRequestKind', { values: INBOUND_REQUEST_KINDS });
const BodyEncodingEnum = builder.enumType('InboundBodyEncoding', { values: ['UTF8', 'BASE64'] as const });
void INBOUND_REQUEST_STATES;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function bodyText(body: Buffer | null | undefined): { text: string; encoding: 'UTF8' | 'BASE64' } | null {
  if (!body) return null;
  try {
    const text = UTF8.decode(body);
    if (!text.includes('\u0000')) return { text, encoding: 'UTF8' };
  } catch {
    // not text
  }
  return { text: Buffer.from(body).toString('base64'), encoding: 'BASE64' };
}

async function loadBody(ctx: Context, r: InboundRequest): Promise<Buffer | null> {
  if (r.body) return r.body as Buffer;
  if (!r.bodySize) return null;
  const row = (await ctx.services.pool.query<{ body: Buffer | null }>(sql.requestBody(ctx.viewer.tenantId, r.id))).rows[0];
  return row?.body ?? null;
}

const InboundResponseRef = builder.objectRef<InboundRequest>('InboundResponse').implement({
  description: 'What Hookyard answered the sender.',
  fields: (t) => ({
    status: t.int({ resolve: (r) => r.responseStatus }),
    headers: t.field({ type: 'JSON', resolve: (r) => r.responseHeaders }),
    body: t.string({ resolve: (r) => r.responseBody }),
  }),
});

export const InboundRequestRef = builder.node(InboundRequest, {
  name: 'InboundRequest',
  description: 'One call an inbound hook received: its log entry and, while QUEUED, its queue item.',
  id: { resolve: (r) => r.id },
  loadOne: (id, ctx) => ctx.em.findOne(InboundRequest, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    hook: t.field({ type: InboundHookRef, resolve: (r, _a, ctx) => ctx.em.findOneOrFail(InboundHook, { id: r.hookId, tenantId: ctx.viewer.tenantId }) }),
    kind: t.field({ type: KindEnum, resolve: (r) => r.kind }),
    receivedAt: t.field({ type: 'DateTime', resolve: (r) => r.receivedAt }),
    method: t.exposeString('method'),
    url: t.exposeString('url', { description: 'The request target as received (path and query); MAIL: mailto:<the address it reached>.' }),
    remoteAddress: t.exposeString('remoteAddress', { nullable: true }),
    headers: t.field({ type: 'JSON', resolve: (r) => r.headers }),
    query: t.field({ type: 'JSON', resolve: (r) => r.query }),
    body: t.string({ nullable: true, description: 'The raw body: text, or base64 when bodyEncoding is BASE64; null when it was not read.', resolve: async (r, _a, ctx) => bodyText(await loadBody(ctx, r))?.text ?? null }),
    bodyEncoding: t.field({ type: BodyEncodingEnum, nullable: true, resolve: async (r, _a, ctx) => bodyText(await loadBody(ctx, r))?.encoding ?? null }),
    size: t.int({ description: 'Bytes of the body.', resolve: (r) => r.bodySize }),
    confidential: t.exposeBoolean('confidential', { description: "Its hook's data is confidential: once processed (or when refused), it keeps metadata only; body, query, headers and parsed item are gone." }),
    parsed: t.field({ type: 'JSON', nullable: true, description: 'The parsed item: query, form fields and JSON merged (the query wins on a duplicate key).', resolve: (r) => r.parsed ?? null }),
    state: t.field({ type: StateEnum, resolve: (r) => r.state }),
    status: t.field({ type: StatusEnum, resolve: (r) => r.status }),
    message: t.exposeString('message', { nullable: true, description: 'Why it was refused, failed or warned.' }),
    response: t.field({ type: InboundResponseRef, resolve: (r) => r }),
    event: t.field({ type: EventRef, nullable: true, description: 'The event processing published.', resolve: (r, _a, ctx) => (r.eventId ? ctx.em.findOne(Event, { id: r.eventId, tenantId: ctx.viewer.tenantId }) : null) }),
    processedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.processedAt ?? null }),
  }),
});

const InboundRequestFilter = builder.inputType('InboundRequestFilter', {
  description: 'Every condition given must hold. The range includes receivedFrom and excludes receivedTo.',
  fields: (t) => ({
    hookId: t.id(),
    status: t.field({ type: [StatusEnum] }),
    state: t.field({ type: [StateEnum], description: 'QUEUED for the queue; PROCESSED, FAILED, REFUSED for what is done.' }),
    receivedFrom: t.field({ type: 'DateTime' }),
    receivedTo: t.field({ type: 'DateTime' }),
  }),
});

async function checkFilter(ctx: Context, input: typeof InboundRequestFilter.$inferInput | null | undefined): Promise<sql.InboundLogFilter> {
  const f = input ?? {};
  if (f.receivedFrom && f.receivedTo && f.receivedFrom >= f.receivedTo) throw new ValidationError('filter.receivedTo', 'receivedTo must be after receivedFrom');
  let hookId: string | undefined;
  if (f.hookId != null) {
    hookId = String(f.hookId);
    if (idType(hookId) !== 'InboundHook') throw new ValidationError('filter.hookId', 'hookId must be an inbound hook id (inh_…)');
  }
  return { hookId, statuses: f.status ?? undefined, states: f.state ?? undefined, receivedFrom: f.receivedFrom ?? undefined, receivedTo: f.receivedTo ?? undefined };
}

builder.queryField('inboundRequests', (t) =>
  t.connection(
    {
      type: InboundRequestRef,
      description: 'The inbound log (and, with state QUEUED, the queue), newest first.',
      args: { filter: t.arg({ type: InboundRequestFilter }) },
      resolve: async (_root, args, ctx) => {
        const page = pageRequest(args);
        const filter = await checkFilter(ctx, args.filter);
        const { pool } = ctx.services;
        const tenantId = ctx.viewer.tenantId;
        const { field, given } = pageCursor(page);
        const cursor = given ? decodeCursor(field, given, 'inbound', [isTime, isId('inr')]) : null;
        const run = async (backward: boolean, limit: number, inclusive = false) => (await pool.query<Record<string, unknown>>(sql.requestPage({ tenantId, filter, backward, cursor, inclusive, limit }))).rows;
        const fetched = await run(page.backward, page.size + 1);
        const more = fetched.length > page.size;
        const rows = fetched.slice(0, page.size);
        if (page.backward) rows.reverse();
        const otherSide = cursor ? (await run(!page.backward, 1, true)).length > 0 : false;
        const cursors = rows.map((r) => encodeCursor('inbound', r, 2));
        return {
          edges: rows.map((row, i) => {
            const { _k0: _a, _k1: _b, ...columns } = row;
            return { cursor: cursors[i], node: ctx.em.map(InboundRequest, columns as never) };
          }),
          pageInfo: {
            hasNextPage: page.backward ? otherSide : more,
            hasPreviousPage: page.backward ? more : otherSide,
            startCursor: cursors[0] ?? null,
            endCursor: cursors.at(-1) ?? null,
          },
          totalCount: async () => Number((await pool.query<{ count: string }>(sql.countRequests(tenantId, filter))).rows[0].count),
        } as never;
      },
    },
    {
      name: 'InboundRequestConnection',
      fields: (c) => ({ totalCount: c.int({ description: 'Requests matching the filter (all pages).', resolve: (x) => (x as unknown as { totalCount: () => Promise<number> }).totalCount() }) }),
    },
  ),
);

const DeletedCountRef = builder.objectRef<{ deletedCount: number }>('InboundRequestsDeleted').implement({
  fields: (t) => ({ deletedCount: t.exposeInt('deletedCount') }),
});

const DeleteInboundRequestsInput = builder.inputType('DeleteInboundRequestsInput', {
  fields: (t) => ({ ids: t.idList({ required: true, description: `At most ${MAX_DELETE_IDS} request ids (queue items or log entries).` }) }),
});

builder.mutationField('deleteInboundRequests', (t) =>
  t.field({
    type: DeletedCountRef,
    description: 'Deletes these requests: a queued one is never processed; a logged one leaves the log.',
    args: { input: t.arg({ type: DeleteInboundRequestsInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const ids = input.ids.map(String);
      if (ids.length === 0 || ids.length > MAX_DELETE_IDS) throw new ValidationError('input.ids', `give 1 to ${MAX_DELETE_IDS} ids`);
      const bad = ids.find((id) => idType(id) !== 'InboundRequest');
      if (bad) throw new ValidationError('input.ids', `${bad.slice(0, 60)} is not an inbound request id (inr_…)`);
      const { rows } = await ctx.services.pool.query<{ id: string; hook_id: string }>(sql.deleteRequests(ctx.viewer.tenantId, ids));
      await notifyLiveUpdates(ctx.services.pool, rows.map((r) => ({ kind: 'inboundRequest' as const, tenantId: ctx.viewer.tenantId, id: r.id, webhookId: r.hook_id })));
      return { deletedCount: rows.length };
    },
  }),
);

const ClearInboundQueueInput = builder.inputType('ClearInboundQueueInput', { fields: (t) => ({ hookId: t.id({ required: true }) }) });

builder.mutationField('clearInboundQueue', (t) =>
  t.field({
    type: DeletedCountRef,
    description: "Deletes every item waiting in the hook's queue.",
    args: { input: t.arg({ type: ClearInboundQueueInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const hook = await loadInboundHook(ctx, String(input.hookId));
      const { rows } = await ctx.services.pool.query<{ id: string }>(sql.clearQueue(ctx.viewer.tenantId, hook.id));
      await notifyLiveUpdates(ctx.services.pool, rows.map((r) => ({ kind: 'inboundRequest' as const, tenantId: ctx.viewer.tenantId, id: r.id, webhookId: hook.id })));
      return { deletedCount: rows.length };
    },
  }),
);

const InboundRequestUpdateRef = builder.unionType('InboundRequestUpdate', {
  description: 'An inbound request as it is now, or a Resync: refetch.',
  types: [InboundRequestRef, ResyncRef],
  resolveType: (value) => (isResync(value) ? 'Resync' : 'InboundRequest'),
});

builder.subscriptionField('inboundRequestReceived', (t) =>
  t.field({
    type: InboundRequestUpdateRef,
    description: 'A request of this tenant was received (accepted or refused) or processed, or a Resync: refetch. Narrow it to one hook.',
    args: { hookId: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const hookId = await subscribedHookId(ctx, args.hookId);
      return ctx.live.subscribe({ tenantId: ctx.viewer.tenantId, apiKeyId: ctx.viewer.apiKeyId, kind: 'inboundRequest', matches: (u) => !hookId || u.webhookId === hookId });
    },
    resolve: (event: LiveEvent, _args, ctx) => {
      if (event.type === 'resync') return event;
      ctx.em.clear();
      return ctx.em.map(InboundRequest, { ...event.row } as never);
    },
  }),
);
