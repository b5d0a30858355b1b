// Inbound hooks: URLs that third parties call (HTTP) or addresses they mail (MAIL), each
// with its own queue and settings.
import { randomBytes } from 'node:crypto';
import { builder } from '../builder.ts';
import { requireAdmin, type Context } from '../context.ts';
import { paginate } from '../connection.ts';
import { InboundHook, INBOUND_HOOK_KINDS, DATA_STRUCTURE_SOURCES, type AnswerMode, type InboundHookKind, type ProcessingMode } from '../../entities/InboundHook.ts';
import { EventType } from '../../entities/EventType.ts';
import { newId } from '../../../core/ids.ts';
import { QUEUES, inboundDrainJob } from '../../../core/jobs.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../../core/errors.ts';
import { eventTypeName, optionalText, requiredText } from '../../../core/rules/text.ts';
import { escapeLike } from '../../../core/sql/like.ts';
import * as sql from '../../../core/sql/inbound.ts';
import { fitQueueToLimit } from '../../../core/inbound/queue-slot.ts';
import { inboundHookUpdate, notifyLiveUpdates } from '../../../core/live-updates/notify.ts';
import type { LiveEvent } from '../../../core/live-updates/subscriptions.ts';
import { idType } from '../../../core/ids.ts';
import { ResyncRef, isResync } from './LiveUpdates.ts';
import { mailAddress, newMailToken } from '../../../core/inbound/mail-address.ts';
import {
  DEFAULT_FAILURE_RESPONSE_BODY,
  DEFAULT_INBOUND_RATE_LIMIT,
  DEFAULT_QUEUE_LIMIT,
  checkAnswerMode,
  checkCustomResponse,
  checkDataStructure,
  checkInboundRateLimit,
  checkIpAllowlist,
  checkQueueLimit,
  checkSchedule,
  sameDataStructure,
} from '../../../core/inbound/hook-settings.ts';

export const InboundHookKindEnum = builder.enumType('InboundHookKind', {
  values: {
    HTTP: { description: 'An inbound URL, <public URL>/in/<token>, called with any method.' },
    MAIL: { description: 'A mail address, <token>@<HOOKYARD_MAIL_DOMAIN>: each mail to it (up to the mail size limit) is a request.' },
  } satisfies Record<(typeof INBOUND_HOOK_KINDS)[number], unknown>,
});
export const ProcessingModeEnum = builder.enumType('ProcessingMode', {
  values: {
    IMMEDIATE: { description: 'Each request at once, several in parallel.' },
    SEQUENTIAL: { description: 'One at a time, in arrival order (across every worker process).' },
    SCHEDULED: { description: 'Every scheduleIntervalSeconds, up to scheduleBatchSize items per run.' },
  } as const,
});
export const InboundHookStatusEnum = builder.enumType('InboundHookStatus', {
  values: {
    ACTIVE: { description: 'Receiving and processing.' },
    STOPPED: { description: 'Receiving (queued), not processing: a scheduled hook after 3 failed runs in a row, or stopped by a person. Set ACTIVE to start it again.' },
    EXPIRED: { description: 'No active webhook listened to its event type for 120 h: answers 410 Gone.' },
    DELETED: { description: 'Deleted: answers 410 Gone; its log is kept until retention.' },
  } as const,
});
export const InboundAnswerModeEnum = builder.enumType('InboundAnswerMode', {
  values: {
    STATIC: { description: '200 Accepted, or the custom response, as soon as the item is queued.' },
    FROM_PROCESSING: {
      description: `IMMEDIATE hooks only: publish at once, then answer 200 with {"eventId": ...}; 500 "${DEFAULT_FAILURE_RESPONSE_BODY}" (or failureResponseBody) when publishing fails; 200 Accepted when processing takes longer than the answer wait (40 s; the item stays queued and is processed later).`,
    },
  } as const,
});
const DataStructureSourceEnum = builder.enumType('DataStructureSource', { values: DATA_STRUCTURE_SOURCES });

function hookAddress(ctx: Context, hook: InboundHook): string | null {
  return hook.kind === 'MAIL' ? mailAddress(hook.token, ctx.services.config.mailDomain) : null;
}

function inboundUrl(ctx: Context, hook: InboundHook): string {
  if (hook.kind === 'MAIL') return `mailto:${hookAddress(ctx, hook)}`;
  return `${ctx.services.inboundBaseUrl ?? ctx.services.config.publicUrl ?? ''}/in/${hook.token}`;
}

interface Activity {
  last_request_at: Date | null;
  queued: number;
}

/** Last activity and queue length of a hook. */
async function activity(ctx: Context, hook: InboundHook): Promise<Activity> {
  const row = (await ctx.services.pool.query<Activity & { id: string }>(sql.hookActivity(ctx.viewer.tenantId, [hook.id]))).rows[0];
  return row ?? { last_request_at: null, queued: 0 };
}

export const InboundHookRef = builder.node(InboundHook, {
  name: 'InboundHook',
  description: 'An inbound URL or mail address with its own queue and settings; what it receives is published as events of eventType.',
  id: { resolve: (h) => h.id },
  loadOne: (id, ctx) => ctx.em.findOne(InboundHook, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    kind: t.field({ type: InboundHookKindEnum, resolve: (h) => h.kind }),
    name: t.exposeString('name'),
    url: t.string({
      description: 'The URL to give the sender: <public URL>/in/<token> (MAIL: mailto:<address>). Anyone with it can call the hook; regenerate it to revoke.',
      resolve: (h, _a, ctx) => inboundUrl(ctx, h),
    }),
    address: t.string({ nullable: true, description: 'MAIL: the address to send or forward mail to, <token>@<HOOKYARD_MAIL_DOMAIN>; null for HTTP hooks.', resolve: (h, _a, ctx) => hookAddress(ctx, h) }),
    eventType: t.exposeString('eventType', { description: 'The event type each processed request is published as.' }),
    processingMode: t.field({ type: ProcessingModeEnum, resolve: (h) => h.processingMode }),
    scheduleIntervalSeconds: t.exposeInt('scheduleIntervalSeconds', { nullable: true }),
    scheduleBatchSize: t.exposeInt('scheduleBatchSize', { nullable: true }),
    queueLimit: t.exposeInt('queueLimit', {
      description: 'Waiting items past which requests are refused (400 Queue is full). When queuedCount is at or above it (the limit was lowered below what waited), the waiting items are kept and new requests are refused until fewer than queueLimit wait.',
    }),
    dataStructure: t.field({ type: 'JSON', nullable: true, description: 'A JSON Schema of the parsed item, written by hand or determined from a sample.', resolve: (h) => h.dataStructure ?? null }),
    dataStructureSource: t.field({ type: DataStructureSourceEnum, nullable: true, resolve: (h) => h.dataStructureSource ?? null }),
    validateDataStructure: t.exposeBoolean('validateDataStructure', { description: 'Refuse (400) items that do not fit the data structure; off, they are accepted with a warning.' }),
    redeterminePending: t.exposeBoolean('redeterminePending', { description: 'The next accepted request becomes the data structure.' }),
    ipAllowlist: t.exposeStringList('ipAllowlist', { description: 'CIDRs that may call; empty: any address.' }),
    rateLimitPerSecond: t.exposeInt('rateLimitPerSecond', { nullable: true, description: 'Requests per second past which the hook answers 429; null: no limit.' }),
    includeHeaders: t.exposeBoolean('includeHeaders', { description: 'Put the request headers in the item (as __headers).' }),
    includeMethod: t.exposeBoolean('includeMethod', { description: 'Put the HTTP method in the item (as __method).' }),
    jsonPassthrough: t.exposeBoolean('jsonPassthrough', { description: 'Keep a JSON body as one string (item.body) instead of its fields.' }),
    includeAttachmentContents: t.exposeBoolean('includeAttachmentContents', { description: "MAIL: put each attachment's contents (base64) in the item, as far as the payload limit allows; off, name, type, size and SHA-256 only." }),
    responseStatus: t.exposeInt('responseStatus', { nullable: true, description: 'The custom response: status 200 to 499 (default 200).' }),
    responseBody: t.exposeString('responseBody', { nullable: true, description: 'The custom response body (default "Accepted").' }),
    responseHeaders: t.field({ type: 'JSON', description: 'The custom response headers, e.g. Content-Type or Location.', resolve: (h) => h.responseHeaders }),
    answerMode: t.field({ type: InboundAnswerModeEnum, resolve: (h) => h.answerMode }),
    failureResponseBody: t.exposeString('failureResponseBody', { nullable: true, description: `FROM_PROCESSING: the 500's body when publishing fails (null: "${DEFAULT_FAILURE_RESPONSE_BODY}").` }),
    confidential: t.exposeBoolean('confidential', { description: 'Data is confidential: once a request is processed, its body, query, headers and parsed item are deleted; the log keeps metadata only.' }),
    status: t.field({ type: InboundHookStatusEnum, resolve: (h) => h.status }),
    statusReason: t.exposeString('statusReason', { nullable: true }),
    failedRuns: t.exposeInt('failedRuns', { description: 'SCHEDULED: failed runs in a row (3 stop the hook).' }),
    lastRunAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.lastRunAt ?? null }),
    lastRequestAt: t.field({ type: 'DateTime', nullable: true, description: 'Last activity: when it last received a request.', resolve: async (h, _a, ctx) => (await activity(ctx, h)).last_request_at }),
    queuedCount: t.int({ description: 'Items waiting in its queue.', resolve: async (h, _a, ctx) => (await activity(ctx, h)).queued }),
    createdAt: t.field({ type: 'DateTime', resolve: (h) => h.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (h) => h.updatedAt }),
    expiredAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.expiredAt ?? null }),
    deletedAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.deletedAt ?? null }),
  }),
});

/** The tenant's inbound hook with that id, unless deleted. */
/** The hook a subscription is narrowed to (an inbound hook id of this tenant), or null for all of them. */
export async function subscribedHookId(ctx: Context, hookId: string | number | null | undefined): Promise<string | null> {
  if (hookId == null) return null;
  const id = String(hookId);
  if (idType(id) !== 'InboundHook') throw new ValidationError('hookId', 'hookId must be an inbound hook id (inh_…)');
  if (!(await ctx.em.count(InboundHook, { id, tenantId: ctx.viewer.tenantId }))) throw new NotFoundError('inbound hook', id);
  return id;
}

export async function loadInboundHook(ctx: Context, id: string): Promise<InboundHook> {
  const hook = await ctx.em.findOne(InboundHook, { id, tenantId: ctx.viewer.tenantId, status: { $ne: 'DELETED' } });
  if (!hook) throw new NotFoundError('inbound hook', id);
  return hook;
}

builder.queryField('inboundHooks', (t) =>
  t.connection(
    {
      type: InboundHookRef,
      description: 'Inbound hooks, newest first (deleted ones left out unless asked).',
      args: {
        search: t.arg.string({ description: 'Part of the name or event type, any case.' }),
        includeDeleted: t.arg.boolean(),
      },
      resolve: (_root, args, ctx) => {
        const search = optionalText('search', args.search, 200);
        const like = `%${escapeLike(search)}%`;
        return paginate(
          ctx.em,
          InboundHook,
          {
            tenantId: ctx.viewer.tenantId,
            ...(args.includeDeleted ? {} : { status: { $ne: 'DELETED' } }),
            ...(search ? { $or: [{ name: { $ilike: like } }, { eventType: { $ilike: like } }] } : {}),
          },
          args,
        ) as never;
      },
    },
    { name: 'InboundHookConnection', fields: (c) => ({ totalCount: c.int({ resolve: (x) => (x as unknown as { totalCount: number }).totalCount }) }) },
  ),
);

const InboundHookPayload = builder.objectRef<{ inboundHook: InboundHook }>('InboundHookPayload').implement({
  fields: (f) => ({ inboundHook: f.field({ type: InboundHookRef, resolve: (p) => p.inboundHook }) }),
});

/** HTTP: 32 random bytes, base64url. MAIL: lower-case hex, which survives mail systems that change a local part's case. */
function newToken(kind: InboundHookKind): string {
  return kind === 'MAIL' ? newMailToken() : randomBytes(32).toString('base64url');
}

async function registeredEventType(ctx: Context, field: string, raw: string): Promise<string> {
  const name = eventTypeName(field, raw);
  const found = await ctx.em.count(EventType, { tenantId: ctx.viewer.tenantId, name });
  if (!found) throw new ValidationError(field, `event type ${name} is not registered; register it with registerEventType first`);
  return name;
}

const CreateInboundHookInput = builder.inputType('CreateInboundHookInput', {
  fields: (t) => ({
    kind: t.field({ type: InboundHookKindEnum, description: 'Default HTTP. Cannot be changed later.' }),
    name: t.string({ required: true }),
    eventType: t.string({ required: true, description: 'A registered event type: each processed request is published as one.' }),
    processingMode: t.field({ type: ProcessingModeEnum, description: 'Default IMMEDIATE.' }),
    scheduleIntervalSeconds: t.int({ description: 'SCHEDULED: seconds between runs.' }),
    scheduleBatchSize: t.int({ description: 'SCHEDULED: items one run takes at most.' }),
    queueLimit: t.int({ description: `Default ${DEFAULT_QUEUE_LIMIT}.` }),
    dataStructure: t.field({ type: 'JSON', description: 'A JSON Schema of the parsed item.' }),
    validateDataStructure: t.boolean({ description: 'Default: true when a dataStructure is given.' }),
    ipAllowlist: t.stringList({ description: 'IPv4/IPv6 addresses or CIDRs; empty: any address.' }),
    rateLimitPerSecond: t.int({ description: `Default ${DEFAULT_INBOUND_RATE_LIMIT}; null with noRateLimit.` }),
    noRateLimit: t.boolean({ description: 'True: no rate limit at all.' }),
    includeHeaders: t.boolean(),
    includeMethod: t.boolean(),
    jsonPassthrough: t.boolean(),
    includeAttachmentContents: t.boolean({ description: 'MAIL: attachment contents in the item (default false).' }),
    responseStatus: t.int(),
    responseBody: t.string(),
    responseHeaders: t.field({ type: 'JSON' }),
    answerMode: t.field({ type: InboundAnswerModeEnum, description: 'Default STATIC; FROM_PROCESSING needs processingMode IMMEDIATE and no custom response.' }),
    failureResponseBody: t.string({ description: `FROM_PROCESSING: the 500's body when publishing fails (default "${DEFAULT_FAILURE_RESPONSE_BODY}").` }),
    confidential: t.boolean({ description: 'Default false; true: once processed, a request keeps its metadata only.' }),
  }),
});

builder.mutationField('createInboundHook', (t) =>
  t.field({
    type: InboundHookPayload,
    args: { input: t.arg({ type: CreateInboundHookInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const mode: ProcessingMode = input.processingMode ?? 'IMMEDIATE';
      const kind: InboundHookKind = input.kind ?? 'HTTP';
      const response = checkCustomResponse('input', input.responseStatus ?? null, input.responseBody ?? null, (input.responseHeaders ?? {}) as Record<string, unknown>);
      const dataStructure = input.dataStructure == null ? null : checkDataStructure('input.dataStructure', input.dataStructure);
      const answer = checkAnswerMode('input', { kind, processingMode: mode, ...response }, { answerMode: input.answerMode ?? 'STATIC', failureResponseBody: input.failureResponseBody ?? null });
      const inboundHook = ctx.em.create(InboundHook, {
        id: newId('InboundHook'),
        tenantId: ctx.viewer.tenantId,
        kind,
        name: requiredText('input.name', input.name),
        token: newToken(kind),
        eventType: await registeredEventType(ctx, 'input.eventType', input.eventType),
        processingMode: mode,
        ...checkSchedule('input', mode, input.scheduleIntervalSeconds, input.scheduleBatchSize),
        queueLimit: checkQueueLimit('input.queueLimit', input.queueLimit ?? DEFAULT_QUEUE_LIMIT),
        dataStructure,
        dataStructureSource: dataStructure ? 'MANUAL' : null,
        validateDataStructure: dataStructure ? (input.validateDataStructure ?? true) : false,
        ipAllowlist: checkIpAllowlist('input.ipAllowlist', input.ipAllowlist ?? []),
        rateLimitPerSecond: input.noRateLimit ? null : checkInboundRateLimit('input.rateLimitPerSecond', input.rateLimitPerSecond ?? DEFAULT_INBOUND_RATE_LIMIT),
        includeHeaders: input.includeHeaders ?? false,
        includeMethod: input.includeMethod ?? false,
        jsonPassthrough: input.jsonPassthrough ?? false,
        includeAttachmentContents: input.includeAttachmentContents ?? false,
        ...response,
        ...answer,
        confidential: input.confidential ?? false,
      });
      await ctx.em.flush();
      await notifyLiveUpdates(ctx.services.pool, [inboundHookUpdate(inboundHook)]);
      return { inboundHook };
    },
  }),
);

const UpdateInboundHookInput = builder.inputType('UpdateInboundHookInput', {
  description: 'Fields left out are kept as they are.',
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    eventType: t.string(),
    processingMode: t.field({ type: ProcessingModeEnum }),
    scheduleIntervalSeconds: t.int(),
    scheduleBatchSize: t.int(),
    queueLimit: t.int({
      description: 'Lowered below the items already waiting (queuedCount in the answer), it keeps them all, nothing is deleted, and refuses new requests (400 Queue is full) until fewer than the limit wait.',
    }),
    dataStructure: t.field({ type: 'JSON', description: 'A JSON Schema, then written by hand (MANUAL); null removes it. The structure the hook already has changes nothing: a determined one stays DETERMINED, a pending re-determination stays pending.' }),
    validateDataStructure: t.boolean(),
    ipAllowlist: t.stringList(),
    rateLimitPerSecond: t.int(),
    noRateLimit: t.boolean(),
    includeHeaders: t.boolean(),
    includeMethod: t.boolean(),
    jsonPassthrough: t.boolean(),
    includeAttachmentContents: t.boolean(),
    responseStatus: t.int({ description: 'null removes the custom status (200).' }),
    responseBody: t.string({ description: 'null removes the custom body.' }),
    responseHeaders: t.field({ type: 'JSON' }),
    answerMode: t.field({ type: InboundAnswerModeEnum, description: 'Setting STATIC removes failureResponseBody.' }),
    failureResponseBody: t.string({ description: 'null removes it (the default text).' }),
    confidential: t.boolean({ description: 'On, it also covers the items waiting in the queue; turned off, requests received while it was on still lose their data when processed.' }),
    status: t.field({ type: InboundHookStatusEnum, description: 'ACTIVE starts a STOPPED hook again; STOPPED stops processing (requests still queue).' }),
  }),
});

builder.mutationField('updateInboundHook', (t) =>
  t.field({
    type: InboundHookPayload,
    args: { input: t.arg({ type: UpdateInboundHookInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const hook = await loadInboundHook(ctx, String(input.id));
      const has = (key: string) => Object.hasOwn(input, key);
      if (input.name != null) hook.name = requiredText('input.name', input.name);
      if (input.eventType != null) hook.eventType = await registeredEventType(ctx, 'input.eventType', input.eventType);
      if (input.processingMode != null) hook.processingMode = input.processingMode;
      const schedule = checkSchedule('input', hook.processingMode, input.scheduleIntervalSeconds ?? hook.scheduleIntervalSeconds, input.scheduleBatchSize ?? hook.scheduleBatchSize);
      Object.assign(hook, schedule);
      const lowered = input.queueLimit != null && input.queueLimit < hook.queueLimit;
      if (input.queueLimit != null) hook.queueLimit = checkQueueLimit('input.queueLimit', input.queueLimit);
      // The structure the hook already has is no change: a form saved as a whole keeps a determined
      // structure DETERMINED and a pending re-determination pending.
      if (has('dataStructure') && !sameDataStructure(input.dataStructure, hook.dataStructure)) {
        hook.dataStructure = input.dataStructure == null ? null : checkDataStructure('input.dataStructure', input.dataStructure);
        hook.dataStructureSource = hook.dataStructure ? 'MANUAL' : null;
        hook.redeterminePending = false;
        if (!hook.dataStructure) hook.validateDataStructure = false;
      }
      if (input.validateDataStructure != null) {
        if (input.validateDataStructure && !hook.dataStructure) throw new ValidationError('input.validateDataStructure', 'there is no data structure to validate against; write one or determine it from a sample first');
        hook.validateDataStructure = input.validateDataStructure;
      }
      if (input.ipAllowlist != null) hook.ipAllowlist = checkIpAllowlist('input.ipAllowlist', input.ipAllowlist);
      if (input.noRateLimit) hook.rateLimitPerSecond = null;
      else if (input.rateLimitPerSecond != null) hook.rateLimitPerSecond = checkInboundRateLimit('input.rateLimitPerSecond', input.rateLimitPerSecond);
      if (input.includeHeaders != null) hook.includeHeaders = input.includeHeaders;
      if (input.includeMethod != null) hook.includeMethod = input.includeMethod;
      if (input.jsonPassthrough != null) hook.jsonPassthrough = input.jsonPassthrough;
      if (input.includeAttachmentContents != null) hook.includeAttachmentContents = input.includeAttachmentContents;
      if (has('responseStatus') || has('responseBody') || has('responseHeaders')) {
        const response = checkCustomResponse(
          'input',
          has('responseStatus') ? (input.responseStatus ?? null) : (hook.responseStatus ?? null),
          has('responseBody') ? (input.responseBody ?? null) : (hook.responseBody ?? null),
          has('responseHeaders') ? ((input.responseHeaders ?? {}) as Record<string, unknown>) : hook.responseHeaders,
        );
        Object.assign(hook, response);
      }
      if (has('answerMode') || has('failureResponseBody') || input.processingMode != null || has('responseStatus') || has('responseBody') || has('responseHeaders')) {
        const answerMode: AnswerMode = input.answerMode ?? hook.answerMode;
        // The failure text belongs to FROM_PROCESSING: choosing STATIC removes it, unless given (which is then an error).
        const failureResponseBody = has('failureResponseBody') ? (input.failureResponseBody ?? null) : answerMode === 'STATIC' ? null : (hook.failureResponseBody ?? null);
        Object.assign(hook, checkAnswerMode('input', { ...hook, responseStatus: hook.responseStatus ?? null, responseBody: hook.responseBody ?? null }, { answerMode, failureResponseBody }));
      }
      if (input.confidential != null) hook.confidential = input.confidential;
      if (input.status != null) {
        if (input.status !== 'ACTIVE' && input.status !== 'STOPPED') throw new ValidationError('input.status', 'status can be set to ACTIVE or STOPPED; use deleteInboundHook to delete');
        if (hook.status === 'EXPIRED') throw new ConflictError(`inbound hook ${hook.id} expired (${hook.statusReason ?? 'no listener'}); create a new one`);
        if (input.status === 'ACTIVE' && hook.status !== 'ACTIVE') {
          hook.failedRuns = 0;
          hook.statusReason = null;
        }
        if (input.status === 'STOPPED' && hook.status !== 'STOPPED') hook.statusReason = 'stopped by a person';
        hook.status = input.status;
      }
      await ctx.em.flush();
      if (lowered) await fitQueueToLimit(ctx.services.pool, { tenant_id: hook.tenantId, id: hook.id, queue_limit: hook.queueLimit });
      await notifyLiveUpdates(ctx.services.pool, [inboundHookUpdate(hook)]);
      await kickProcessing(ctx, hook);
      return { inboundHook: hook };
    },
  }),
);

/** After a change that may let waiting items go (started again, mode changed), queue a drain or the items' jobs. */
async function kickProcessing(ctx: Context, hook: InboundHook): Promise<void> {
  if (hook.status !== 'ACTIVE') return;
  const job = inboundDrainJob({ id: hook.id, tenantId: hook.tenantId });
  await ctx.services.boss.send(QUEUES.inboundDrain, job.data!, { singletonKey: hook.id });
}

const InboundHookIdInput = builder.inputType('InboundHookIdInput', { fields: (t) => ({ id: t.id({ required: true }) }) });

builder.mutationField('deleteInboundHook', (t) =>
  t.field({
    type: InboundHookPayload,
    description: 'Deletes an inbound hook: its URL answers 410 Gone from now on; its log is kept until retention.',
    args: { input: t.arg({ type: InboundHookIdInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const hook = await loadInboundHook(ctx, String(input.id));
      hook.status = 'DELETED';
      hook.deletedAt = new Date();
      hook.statusReason = 'deleted';
      await ctx.em.flush();
      await notifyLiveUpdates(ctx.services.pool, [inboundHookUpdate(hook)]);
      return { inboundHook: hook };
    },
  }),
);

builder.mutationField('regenerateInboundHookToken', (t) =>
  t.field({
    type: InboundHookPayload,
    description: 'Gives the hook a new URL (MAIL: a new address); the old one answers 404 (550) from now on.',
    args: { input: t.arg({ type: InboundHookIdInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const hook = await loadInboundHook(ctx, String(input.id));
      hook.token = newToken(hook.kind);
      await ctx.em.flush();
      await notifyLiveUpdates(ctx.services.pool, [inboundHookUpdate(hook)]);
      return { inboundHook: hook };
    },
  }),
);

builder.mutationField('redetermineDataStructure', (t) =>
  t.field({
    type: InboundHookPayload,
    description: 'The next request the hook accepts becomes its data structure (a JSON Schema of its item). Validation is off until you turn it on.',
    args: { input: t.arg({ type: InboundHookIdInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const hook = await loadInboundHook(ctx, String(input.id));
      hook.redeterminePending = true;
      hook.validateDataStructure = false;
      await ctx.em.flush();
      await notifyLiveUpdates(ctx.services.pool, [inboundHookUpdate(hook)]);
      return { inboundHook: hook };
    },
  }),
);

const InboundHookUpdateRef = builder.unionType('InboundHookUpdate', {
  description: 'An inbound hook as it is now, or a Resync: refetch.',
  types: [InboundHookRef, ResyncRef],
  resolveType: (value) => (isResync(value) ? 'Resync' : 'InboundHook'),
});

builder.subscriptionField('inboundHookUpdated', (t) =>
  t.field({
    type: InboundHookUpdateRef,
    description:
      'An inbound hook of this tenant was created, edited, started, stopped (by a person, or after 3 failed scheduled runs; each failed run counts up failedRuns), expired, deleted, given a new URL, or had its data structure determined; or a Resync: refetch. Narrow it to one hook. New requests are inboundRequestReceived.',
    args: { hookId: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const hookId = await subscribedHookId(ctx, args.hookId);
      return ctx.live.subscribe({ tenantId: ctx.viewer.tenantId, apiKeyId: ctx.viewer.apiKeyId, kind: 'inboundHook', matches: (u) => !hookId || u.id === hookId });
    },
    resolve: (event: LiveEvent, _args, ctx) => {
      if (event.type === 'resync') return event;
      ctx.em.clear();
      return ctx.em.map(InboundHook, { ...event.row } as never);
    },
  }),
);
