// Subscriptions of the delivery log: deliveries, attempts and webhooks as they change,
// from any worker or API process (PostgreSQL LISTEN/NOTIFY, see core/live-updates/).
import type { EntityName } from '@mikro-orm/postgresql';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { Delivery } from '../../entities/Delivery.ts';
import { Attempt } from '../../entities/Attempt.ts';
import { Webhook } from '../../entities/Webhook.ts';
import { Integrator } from '../../entities/Integrator.ts';
import { DeliveryRef, deliveryWithRelated } from './Delivery.ts';
import { withoutBodies, AttemptRef } from './Attempt.ts';
import { WebhookRef } from './Webhook.ts';
import type { LiveEvent, LiveSubscription, ResyncEvent } from '../../../core/live-updates/subscriptions.ts';
import { NotFoundError, ValidationError } from '../../../core/errors.ts';
import { idType, type IdType } from '../../../core/ids.ts';

const ENTITY: Record<'Webhook' | 'Integrator' | 'Delivery', EntityName<{ id: string; tenantId: string }>> = {
  Webhook: Webhook as never,
  Integrator: Integrator as never,
  Delivery: Delivery as never,
};

/** An optional id argument naming a row of the viewer's tenant; anything else is a typed error. */
async function ownRow(ctx: Context, field: string, raw: string | number | null | undefined, type: 'Webhook' | 'Integrator' | 'Delivery'): Promise<string | null> {
  if (raw == null) return null;
  const id = String(raw);
  if (idType(id) !== (type as IdType)) throw new ValidationError(field, `${field} must be a ${type.toLowerCase()} id`);
  const found = await ctx.em.count(ENTITY[type], { id, tenantId: ctx.viewer.tenantId });
  if (!found) throw new NotFoundError(type.toLowerCase(), id);
  return id;
}

function feed(ctx: Context, kind: LiveSubscription['kind'], matches: LiveSubscription['matches'], matchesRow?: LiveSubscription['matchesRow'], withBodies = false) {
  return ctx.live.subscribe({ tenantId: ctx.viewer.tenantId, apiKeyId: ctx.viewer.apiKeyId, kind, matches, matchesRow, withBodies });
}

const ResyncReasonEnum = builder.enumType('ResyncReason', {
  values: {
    BEHIND: { description: 'This subscriber fell too far behind: updates waiting for it were dropped (each row keeps only its latest state while it waits, up to 1,000 rows).' },
    CONNECTION_RESTORED: { description: "The API's connection to PostgreSQL was lost and is back: updates made meanwhile were not heard." },
    UPDATES_LOST: { description: 'The rows of some updates could not be loaded (PostgreSQL did not answer).' },
  } as const,
});

export const ResyncRef = builder.objectRef<ResyncEvent>('Resync').implement({
  description:
    'Sent in place of an update when this subscriber may have missed some: refetch what you show (the list, the counts), then keep reading. The subscription goes on; nothing else ends it but the client, a revoked key or the server stopping.',
  fields: (t) => ({
    reason: t.field({ type: ResyncReasonEnum, resolve: (e) => e.reason }),
    skipped: t.int({ description: 'Updates dropped for this subscriber since the last resync (BEHIND), else 0.', resolve: (e) => e.skipped }),
    message: t.string({
      resolve: (e) =>
        e.reason === 'BEHIND'
          ? `this subscription fell behind and skipped ${e.skipped} updates; refetch, then keep reading`
          : e.reason === 'CONNECTION_RESTORED'
            ? 'the server lost updates while its database connection was down; refetch, then keep reading'
            : 'the server could not load some updates; refetch, then keep reading',
    }),
  }),
});

type Pushed<T> = T | ResyncEvent;
export const isResync = (value: object): value is ResyncEvent => (value as Partial<ResyncEvent>).type === 'resync' && 'skipped' in value;

const DeliveryUpdateRef = builder.unionType('DeliveryUpdate', {
  description: 'A delivery as it is now, or a Resync: refetch.',
  types: [DeliveryRef, ResyncRef],
  resolveType: (value) => (isResync(value) ? 'Resync' : 'Delivery'),
});
const AttemptUpdateRef = builder.unionType('AttemptUpdate', {
  description: 'An attempt just recorded, or a Resync: refetch.',
  types: [AttemptRef, ResyncRef],
  resolveType: (value) => (isResync(value) ? 'Resync' : 'Attempt'),
});
const WebhookUpdateRef = builder.unionType('WebhookUpdate', {
  description: 'A webhook as it is now, or a Resync: refetch.',
  types: [WebhookRef, ResyncRef],
  resolveType: (value) => (isResync(value) ? 'Resync' : 'Webhook'),
});

/**
 * The row of one update as an entity, or the resync itself. The subscription's
 * EntityManager lives as long as the subscription, so it is cleared first: no stale
 * copy, and no identity map growing with every update.
 */
function entityOf<T extends object>(ctx: Context, entity: EntityName<T>, event: LiveEvent): Pushed<T> {
  if (event.type === 'resync') return event;
  ctx.em.clear();
  const mapped = ctx.em.map(entity, { ...event.row } as never) as T;
  if (!(mapped instanceof Delivery)) return mapped;
  // Its webhook and integrator came with the burst, loaded once for every subscriber.
  const { webhook, integrator } = event.related ?? {};
  deliveryWithRelated(mapped, {
    webhook: webhook ? ctx.em.map(Webhook, { ...webhook } as never) : undefined,
    integrator: integrator ? ctx.em.map(Integrator, { ...integrator } as never) : undefined,
  });
  return mapped;
}

builder.subscriptionField('deliveryUpdated', (t) =>
  t.field({
    type: DeliveryUpdateRef,
    description:
      'A delivery of this tenant was created or changed status or attempt count. Narrow it to one webhook or integrator. A slow subscriber is never cut off: it gets each delivery at its latest state, and a Resync when it must refetch.',
    args: { webhookId: t.arg.id(), integratorId: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const webhookId = await ownRow(ctx, 'webhookId', args.webhookId, 'Webhook');
      const integratorId = await ownRow(ctx, 'integratorId', args.integratorId, 'Integrator');
      return feed(
        ctx,
        'delivery',
        (c) => (!webhookId || c.webhookId === webhookId) && (!integratorId || !c.integratorId || c.integratorId === integratorId),
        (row) => !integratorId || row.integrator_id === integratorId,
      );
    },
    resolve: (event: LiveEvent, _args, ctx) => entityOf(ctx, Delivery, event),
  }),
);

builder.subscriptionField('attemptRecorded', (t) =>
  t.field({
    type: AttemptUpdateRef,
    description:
      'An attempt of this tenant was recorded. Narrow it to one webhook or one delivery. Request and response bodies are null unless withBodies is true (fetch them with node(id:) when shown). A Resync says to refetch.',
    args: { webhookId: t.arg.id(), deliveryId: t.arg.id(), withBodies: t.arg.boolean({ defaultValue: false, description: 'Push request and response bodies too (up to 1 MiB and 64 KiB each).' }) },
    subscribe: async (_root, args, ctx) => {
      const webhookId = await ownRow(ctx, 'webhookId', args.webhookId, 'Webhook');
      const deliveryId = await ownRow(ctx, 'deliveryId', args.deliveryId, 'Delivery');
      return feed(
        ctx,
        'attempt',
        (c) => (!webhookId || c.webhookId === webhookId) && (!deliveryId || !c.deliveryId || c.deliveryId === deliveryId),
        (row) => !deliveryId || row.delivery_id === deliveryId,
        args.withBodies === true,
      );
    },
    resolve: (event: LiveEvent, args, ctx) => {
      const pushed = entityOf(ctx, Attempt, event);
      return pushed instanceof Attempt && args.withBodies !== true ? withoutBodies(pushed) : pushed;
    },
  }),
);

builder.subscriptionField('webhookUpdated', (t) =>
  t.field({
    type: WebhookUpdateRef,
    description: 'A webhook of this tenant was created, edited, paused, resumed, disabled or deleted; or a Resync: refetch.',
    args: { webhookId: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const webhookId = await ownRow(ctx, 'webhookId', args.webhookId, 'Webhook');
      return feed(ctx, 'webhook', (c) => !webhookId || c.id === webhookId);
    },
    resolve: (event: LiveEvent, _args, ctx) => entityOf(ctx, Webhook, event),
  }),
);
