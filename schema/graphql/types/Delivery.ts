import { builder } from '../builder.ts';
import { requireAdmin, type Context } from '../context.ts';
import { retryDelivery, sendTestEvent, TEST_EVENT_TYPE } from '../../../core/delivery/manual-attempts.ts';
import { Delivery, DELIVERY_STATUSES } from '../../entities/Delivery.ts';
import { Attempt } from '../../entities/Attempt.ts';
import { Event } from '../../entities/Event.ts';
import { Webhook } from '../../entities/Webhook.ts';
import { Tenant } from '../../entities/Tenant.ts';
import { Integrator } from '../../entities/Integrator.ts';
import { EventRef } from './Event.ts';
import { AttemptRef } from './Attempt.ts';
import { WebhookRef } from './Webhook.ts';
import { IntegratorRef } from './Integrator.ts';
import { loadById } from '../batch-load.ts';

export const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  values: {
    PENDING: { description: 'Waiting for its first attempt, or held by a paused webhook.' },
    RETRYING: { description: 'At least one failed attempt; the next one is scheduled.' },
    SUCCEEDED: { description: 'A 2xx answer came back.' },
    FAILED: { description: 'Every attempt of the schedule failed.' },
    CANCELLED: { description: 'The webhook was deleted before this delivery succeeded.' },
  } as const,
});

const DeliveryHoldEnum = builder.enumType('DeliveryHold', {
  description: 'What holds an open delivery that has no next attempt.',
  values: {
    WEBHOOK_PAUSED: { description: 'Its webhook is paused: it goes out on resumeWebhook.' },
    WEBHOOK_DISABLED: { description: 'Its webhook was disabled (410 Gone, or failing for 5 days): it goes out on resumeWebhook.' },
    CIRCUIT_OPEN: { description: "Its webhook's circuit is open: it goes out once a probe succeeds." },
    DELIVERIES_OFF: { description: "The tenant's deliveries are switched off: it goes out when they are switched on." },
    EARLIER_IN_LINE: { description: 'Its webhook is FIFO and an earlier delivery is still open: it goes out after that one.' },
  } as const,
});

type Hold = 'WEBHOOK_PAUSED' | 'WEBHOOK_DISABLED' | 'CIRCUIT_OPEN' | 'DELIVERIES_OFF' | 'EARLIER_IN_LINE';

/** What holds a delivery (open, with no next attempt), from its webhook and tenant as they are now. */
async function heldBy(d: Delivery, ctx: Context): Promise<Hold | null> {
  if ((d.status !== 'PENDING' && d.status !== 'RETRYING') || d.nextAttemptAt) return null;
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.viewer.tenantId });
  if (!tenant.deliveriesEnabled) return 'DELIVERIES_OFF';
  const webhook = await loadById(ctx, Webhook, d.webhookId, 'webhook');
  if (webhook.status === 'PAUSED') return 'WEBHOOK_PAUSED';
  if (webhook.status === 'DISABLED') return 'WEBHOOK_DISABLED';
  if (webhook.circuitState !== 'CLOSED' && webhook.circuitProbeDeliveryId !== d.id) return 'CIRCUIT_OPEN';
  if (webhook.ordering === 'FIFO') return 'EARLIER_IN_LINE';
  return null;
}

/** A pushed delivery's webhook and integrator, loaded once per burst for every subscriber. */
const carried = new WeakMap<Delivery, { webhook?: Webhook; integrator?: Integrator }>();

export function deliveryWithRelated(delivery: Delivery, related: { webhook?: Webhook; integrator?: Integrator }): Delivery {
  carried.set(delivery, related);
  return delivery;
}

export const DeliveryRef = builder.node(Delivery, {
  name: 'Delivery',
  description: 'One event for one webhook: a row of the delivery log.',
  id: { resolve: (d) => d.id },
  loadOne: (id, ctx) => ctx.em.findOne(Delivery, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    // Batched per request (batch-load.ts): a page of 50 deliveries costs one query per table.
    event: t.field({ type: EventRef, resolve: (d, _a, ctx) => loadById(ctx, Event, d.eventId, 'event') }),
    webhook: t.field({ type: WebhookRef, resolve: (d, _a, ctx) => carried.get(d)?.webhook ?? loadById(ctx, Webhook, d.webhookId, 'webhook') }),
    integrator: t.field({ type: IntegratorRef, resolve: (d, _a, ctx) => carried.get(d)?.integrator ?? loadById(ctx, Integrator, d.integratorId, 'integrator') }),
    eventType: t.exposeString('eventType'),
    status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status }),
    succeeded: t.boolean({ resolve: (d) => d.status === 'SUCCEEDED' }),
    attemptCount: t.exposeInt('attemptCount'),
    lastAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.lastAttemptAt ?? null }),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.nextAttemptAt ?? null }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.deliveredAt ?? null }),
    lastResponseStatus: t.exposeInt('lastResponseStatus', { nullable: true, description: "The HTTP status of the last attempt's response; null before any, or when it got none (see lastError)." }),
    lastDurationMs: t.exposeInt('lastDurationMs', { nullable: true, description: 'How long the last attempt took, in milliseconds; null before any attempt.' }),
    lastError: t.exposeString('lastError', { nullable: true }),
    heldBy: t.field({
      type: DeliveryHoldEnum,
      nullable: true,
      description: 'Why an open delivery with no next attempt waits; null when it is scheduled, in flight or final.',
      resolve: (d, _a, ctx) => heldBy(d, ctx),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.createdAt }),
    attempts: t.field({
      type: [AttemptRef],
      description: 'Every attempt, oldest first.',
      resolve: (d, _a, ctx) => ctx.em.find(Attempt, { tenantId: ctx.viewer.tenantId, deliveryId: d.id }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
    }),
  }),
});

const DeliveryPayload = builder.objectRef<{ delivery: Delivery; held: boolean }>('DeliveryPayload').implement({
  fields: (f) => ({
    delivery: f.field({ type: DeliveryRef, resolve: (p) => p.delivery }),
    held: f.exposeBoolean('held', {
      description: "True while the tenant's deliveries are switched off: the attempt is kept and goes out when they are switched on (setDeliveriesEnabled).",
    }),
  }),
});

const RetryDeliveryInput = builder.inputType('RetryDeliveryInput', { fields: (t) => ({ id: t.id({ required: true }) }) });

builder.mutationField('retryDelivery', (t) =>
  t.field({
    type: DeliveryPayload,
    description: 'Sends a delivery again now (trigger MANUAL), whatever its status; earlier attempts are kept.',
    args: { input: t.arg({ type: RetryDeliveryInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const id = String(input.id);
      const { held } = await retryDelivery(ctx.services, ctx.viewer.tenantId, id);
      return { delivery: await ctx.em.findOneOrFail(Delivery, { id, tenantId: ctx.viewer.tenantId }), held };
    },
  }),
);

const SendTestEventInput = builder.inputType('SendTestEventInput', { fields: (t) => ({ webhookId: t.id({ required: true }) }) });

builder.mutationField('sendTestEvent', (t) =>
  t.field({
    type: DeliveryPayload,
    description: `Sends a ${TEST_EVENT_TYPE} event to one webhook now, signed like any other.`,
    args: { input: t.arg({ type: SendTestEventInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const { deliveryId: id, held } = await sendTestEvent(ctx.services, ctx.viewer.tenantId, String(input.webhookId));
      return { delivery: await ctx.em.findOneOrFail(Delivery, { id, tenantId: ctx.viewer.tenantId }), held };
    },
  }),
);
