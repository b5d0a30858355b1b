// Subscriptions of the delivery log: deliveries, attempts and webhooks as they change,
// from any worker or API process (PostgreSQL LISTEN/NOTIFY, see core/live-updates/).
import type { EntityName } from '@mikro-orm/postgresql';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { Delivery } from '../../entities/Delivery.ts';
import { Attempt } from '../../entities/Attempt.ts';
import { Webhook } from '../../entities/Webhook.ts';
import { Integrator } from '../../entities/Integrator.ts';
import { DeliveryRef } from './Delivery.ts';
import { AttemptRef } from './Attempt.ts';
import { WebhookRef } from './Webhook.ts';
import type { LiveEvent, LiveSubscription } from '../../../core/live-updates/subscriptions.ts';
import { LimitExceededError, NotFoundError, ValidationError } from '../../../core/errors.ts';
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

function feed(ctx: Context, kind: LiveSubscription['kind'], matches: LiveSubscription['matches'], matchesRow?: LiveSubscription['matchesRow']) {
  return ctx.live.subscribe({ tenantId: ctx.viewer.tenantId, apiKeyId: ctx.viewer.apiKeyId, kind, matches, matchesRow });
}

/**
 * The row of one update as an entity. The subscription's EntityManager lives as long as
 * the subscription, so it is cleared first: no stale copy, and no identity map growing
 * with every update.
 */
function entityOf<T extends object>(ctx: Context, entity: EntityName<T>, event: LiveEvent): T {
  if (event.type === 'overflow') {
    throw new LimitExceededError(`this subscription fell ${event.pending} updates behind and was ended; subscribe again and refetch the list`, event.pending);
  }
  ctx.em.clear();
  return ctx.em.map(entity, { ...event.row } as never) as T;
}

builder.subscriptionField('deliveryUpdated', (t) =>
  t.field({
    type: DeliveryRef,
    description: 'A delivery of this tenant was created or changed status or attempt count. Narrow it to one webhook or integrator.',
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
    type: AttemptRef,
    description: 'An attempt of this tenant was recorded. Narrow it to one webhook or one delivery.',
    args: { webhookId: t.arg.id(), deliveryId: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const webhookId = await ownRow(ctx, 'webhookId', args.webhookId, 'Webhook');
      const deliveryId = await ownRow(ctx, 'deliveryId', args.deliveryId, 'Delivery');
      return feed(
        ctx,
        'attempt',
        (c) => (!webhookId || c.webhookId === webhookId) && (!deliveryId || !c.deliveryId || c.deliveryId === deliveryId),
        (row) => !deliveryId || row.delivery_id === deliveryId,
      );
    },
    resolve: (event: LiveEvent, _args, ctx) => entityOf(ctx, Attempt, event),
  }),
);

builder.subscriptionField('webhookUpdated', (t) =>
  t.field({
    type: WebhookRef,
    description: 'A webhook of this tenant was created, edited, paused, resumed, disabled or deleted.',
    args: { webhookId: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const webhookId = await ownRow(ctx, 'webhookId', args.webhookId, 'Webhook');
      return feed(ctx, 'webhook', (c) => !webhookId || c.id === webhookId);
    },
    resolve: (event: LiveEvent, _args, ctx) => entityOf(ctx, Webhook, event),
  }),
);
