import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';

/**
 * The first event published with an idempotency key. Kept apart from `event` so a key
 * older than 24 h can be taken over by a new event with one atomic upsert.
 */
export const EventIdempotencyKeySchema = defineEntity({
  name: 'EventIdempotencyKey',
  tableName: 'event_idempotency_key',
  properties: {
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id').primary(),
    key: p.text().primary(),
    eventId: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  primaryKeys: ['tenantId', 'key'],
  indexes: [{ properties: ['createdAt'] }],
});

export class EventIdempotencyKey extends EventIdempotencyKeySchema.class {}
EventIdempotencyKeySchema.setClass(EventIdempotencyKey);
