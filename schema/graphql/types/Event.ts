import { builder } from '../builder.ts';
import { Event } from '../../entities/Event.ts';
import { requireAdmin, type Context } from '../context.ts';
import type { PublishRequest } from '../../../core/publishing/publish-events.ts';

export const EventRef = builder.node(Event, {
  name: 'Event',
  description: 'Something that happened in the producing system.',
  id: { resolve: (e) => e.id },
  loadOne: (id, ctx) => ctx.em.findOne(Event, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    type: t.exposeString('type'),
    source: t.exposeString('source'),
    channel: t.exposeString('channel', { nullable: true }),
    payload: t.field({ type: 'JSON', resolve: (e) => e.payload }),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true }),
    occurredAt: t.field({ type: 'DateTime', resolve: (e) => e.occurredAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
  }),
});

const PublishEventInput = builder.inputType('PublishEventInput', {
  fields: (t) => ({
    type: t.string({ required: true, description: 'A registered event type, e.g. invoice.created.' }),
    payload: t.field({ type: 'JSON', required: true, description: "The event's data; checked against the type's JSON Schema; at most 1 MiB." }),
    source: t.string({ description: 'Where it happened (CloudEvents source), e.g. /billing. Default: hookyard.' }),
    channel: t.string({ description: 'Only webhooks with no channels or this channel receive it.' }),
    idempotencyKey: t.string({ description: 'Publishing the same key again within 24 h returns the first event and creates nothing.' }),
    occurredAt: t.field({ type: 'DateTime', description: 'When it happened; default now.' }),
  }),
});

interface PublishedShape {
  event: Event;
  duplicate: boolean;
  deliveryCount: number;
}

const PublishedEventRef = builder.objectRef<PublishedShape>('PublishedEvent').implement({
  fields: (t) => ({
    event: t.field({ type: EventRef, resolve: (p) => p.event }),
    duplicate: t.exposeBoolean('duplicate', { description: 'True when the idempotency key was seen in the last 24 h: nothing new was created.' }),
    deliveryCount: t.exposeInt('deliveryCount', { description: 'Deliveries created, one per matching webhook.' }),
  }),
});

async function publish(ctx: Context, requests: PublishRequest[], fieldOf: (i: number) => string): Promise<PublishedShape[]> {
  requireAdmin(ctx);
  const published = await ctx.services.publisher.publish(ctx.viewer.tenantId, requests, fieldOf);
  // New events come back from the insert; only a duplicate's first event is loaded.
  const firstIds = [...new Set(published.filter((p) => !p.event).map((p) => p.eventId))];
  const firsts = firstIds.length ? await ctx.em.find(Event, { tenantId: ctx.viewer.tenantId, id: { $in: firstIds } }) : [];
  const byId = new Map<string, Event>(firsts.map((e) => [e.id, e]));
  return published.map((p) => ({
    event: p.event
      ? ctx.em.map(Event, {
          id: p.event.id,
          tenant_id: p.event.tenantId,
          type: p.event.type,
          source: p.event.source,
          channel: p.event.channel,
          payload: p.event.payload,
          idempotency_key: p.event.idempotencyKey,
          occurred_at: p.event.occurredAt,
          created_at: p.event.createdAt,
        })
      : byId.get(p.eventId)!,
    duplicate: p.duplicate,
    deliveryCount: p.deliveryCount,
  }));
}

builder.mutationField('publishEvent', (t) =>
  t.field({
    type: PublishedEventRef,
    description: 'Publishes one event: the event, its deliveries and their jobs commit together, or nothing does.',
    args: { input: t.arg({ type: PublishEventInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => (await publish(ctx, [input], () => 'input'))[0],
  }),
);

const PublishEventsInput = builder.inputType('PublishEventsInput', {
  fields: (t) => ({ events: t.field({ type: [PublishEventInput], required: true, description: 'Up to 1,000 events, published atomically.' }) }),
});

builder.mutationField('publishEvents', (t) =>
  t.field({
    type: builder.objectRef<{ results: PublishedShape[] }>('PublishEventsPayload').implement({
      fields: (f) => ({ results: f.field({ type: [PublishedEventRef], description: 'One per input event, in order.', resolve: (p) => p.results }) }),
    }),
    description: 'Publishes up to 1,000 events in one transaction: all of them or none.',
    args: { input: t.arg({ type: PublishEventsInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => ({ results: await publish(ctx, input.events, (i) => `input.events[${i}]`) }),
  }),
);
