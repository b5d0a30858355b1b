import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { builder } from '../builder.ts';
import { requireAdmin } from '../context.ts';
import { paginate } from '../connection.ts';
import { EventType } from '../../entities/EventType.ts';
import { newId } from '../../../core/ids.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../../core/errors.ts';
import { OPERATIONAL_EVENT_TYPES, isReservedEventType } from '../../../core/publishing/operational-events.ts';
import { eventTypeName, optionalText } from '../../../core/rules/text.ts';
import { compilePayloadSchema } from '../../../core/rules/payload-schema.ts';
import { checkRetrySchedule } from '../../../core/rules/webhook-fields.ts';
import { escapeLike } from '../../../core/sql/like.ts';

export const EventTypeRef = builder.node(EventType, {
  name: 'EventType',
  description: 'A catalogued event name, `resource.action`, with an optional JSON Schema for its payload.',
  id: { resolve: (e) => e.id },
  loadOne: (id, ctx) => ctx.em.findOne(EventType, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    schema: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.payloadSchema ?? null }),
    deprecated: t.exposeBoolean('deprecated'),
    retrySchedule: t.field({
      type: ['Int'],
      nullable: true,
      description:
        "The default retry schedule (seconds before each retry) of this type's deliveries to webhooks without their own schedule; " +
        "a webhook's own schedule wins. Null: Hookyard's default (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).",
      resolve: (e) => e.retryScheduleSeconds ?? null,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (e) => e.updatedAt }),
  }),
});

builder.queryField('eventTypes', (t) =>
  t.connection(
    {
      type: EventTypeRef,
      args: {
        search: t.arg.string({ description: 'Part of the name, any case.' }),
        includeDeprecated: t.arg.boolean({ defaultValue: true }),
      },
      resolve: (_root, args, ctx) => {
        const search = optionalText('search', args.search, 200);
        return paginate(
          ctx.em,
          EventType,
          {
            tenantId: ctx.viewer.tenantId,
            ...(search ? { name: { $ilike: `%${escapeLike(search)}%` } } : {}),
            ...(args.includeDeprecated ? {} : { deprecated: false }),
          },
          args,
        ) as never;
      },
    },
    { name: 'EventTypeConnection', fields: (c) => ({ totalCount: c.int({ resolve: (x) => (x as unknown as { totalCount: number }).totalCount }) }) },
  ),
);

const EventTypePayload = builder.objectRef<{ eventType: EventType }>('EventTypePayload').implement({
  fields: (f) => ({ eventType: f.field({ type: EventTypeRef, resolve: (p) => p.eventType }) }),
});

function alreadyRegistered(name: string): ConflictError {
  return new ConflictError(`event type ${name} is already registered; use updateEventType to change it`);
}

const OperationalEventTypeRef = builder.objectRef<{ name: string; description: string }>('OperationalEventType').implement({
  description: "One of Hookyard's own event types: a webhook subscribes to it by its name or by hookyard.* (not by *).",
  fields: (t) => ({ name: t.exposeString('name'), description: t.exposeString('description') }),
});

builder.queryField('operationalEventTypes', (t) =>
  t.field({
    type: [OperationalEventTypeRef],
    description: "Hookyard's built-in event types, published when something happens to the tenant's webhooks and deliveries.",
    resolve: () => Object.entries(OPERATIONAL_EVENT_TYPES).map(([name, description]) => ({ name, description })),
  }),
);

const RegisterEventTypeInput = builder.inputType('RegisterEventTypeInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'resource.action in lower case, e.g. invoice.created' }),
    description: t.string(),
    schema: t.field({ type: 'JSON', description: 'A JSON Schema that every published payload must satisfy.' }),
    retrySchedule: t.intList({ description: 'Default retry schedule (seconds) for webhooks without their own; absent: Hookyard\'s default.' }),
  }),
});

builder.mutationField('registerEventType', (t) =>
  t.field({
    type: EventTypePayload,
    args: { input: t.arg({ type: RegisterEventTypeInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const name = eventTypeName('input.name', input.name);
      if (isReservedEventType(name)) {
        throw new ValidationError('input.name', `names under hookyard. are Hookyard's own event types (see operationalEventTypes); choose another, e.g. billing.${name.split('.').slice(1).join('.')}`);
      }
      if (input.schema != null) compilePayloadSchema('input.schema', input.schema);
      if (await ctx.em.count(EventType, { tenantId: ctx.viewer.tenantId, name })) throw alreadyRegistered(name);
      const eventType = ctx.em.create(EventType, {
        id: newId('EventType'),
        tenantId: ctx.viewer.tenantId,
        name,
        description: optionalText('input.description', input.description),
        payloadSchema: (input.schema as Record<string, unknown> | null | undefined) ?? null,
        retryScheduleSeconds: input.retrySchedule != null ? checkRetrySchedule('input.retrySchedule', input.retrySchedule) : null,
      });
      try {
        await ctx.em.flush();
      } catch (error) {
        // Two registrations of one name at once both pass the count above; the unique index decides.
        if (error instanceof UniqueConstraintViolationException) throw alreadyRegistered(name);
        throw error;
      }
      return { eventType };
    },
  }),
);

const UpdateEventTypeInput = builder.inputType('UpdateEventTypeInput', {
  description: 'Fields left out are kept as they are.',
  fields: (t) => ({
    id: t.id({ required: true }),
    description: t.string(),
    schema: t.field({ type: 'JSON', description: 'A new JSON Schema; null removes it.' }),
    deprecated: t.boolean(),
    retrySchedule: t.intList({ description: "A new default retry schedule (seconds) for webhooks without their own; null removes it (Hookyard's default applies)." }),
  }),
});

builder.mutationField('updateEventType', (t) =>
  t.field({
    type: EventTypePayload,
    args: { input: t.arg({ type: UpdateEventTypeInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const eventType = await ctx.em.findOne(EventType, { id: String(input.id), tenantId: ctx.viewer.tenantId });
      if (!eventType) throw new NotFoundError('event type', String(input.id));
      if (input.description != null) eventType.description = optionalText('input.description', input.description);
      if (input.schema !== undefined) {
        if (input.schema !== null) compilePayloadSchema('input.schema', input.schema);
        eventType.payloadSchema = (input.schema as Record<string, unknown> | null) ?? null;
      }
      if (input.deprecated != null) eventType.deprecated = input.deprecated;
      if (input.retrySchedule !== undefined) {
        eventType.retryScheduleSeconds = input.retrySchedule === null ? null : checkRetrySchedule('input.retrySchedule', input.retrySchedule);
      }
      await ctx.em.flush();
      return { eventType };
    },
  }),
);
