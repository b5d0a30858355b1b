import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';

/** Something that happened in the producing system; fanned out as one delivery per matching webhook. */
export const EventSchema = defineEntity({
  name: 'Event',
  tableName: 'event',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    type: p.text(),
    source: p.text(),
    channel: p.text().nullable(),
    payload: p.json<unknown>(),
    idempotencyKey: p.text().nullable(),
    occurredAt: p.datetime(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [
    { properties: ['tenantId', 'createdAt', 'id'] },
    { properties: ['tenantId', 'type', 'createdAt'] },
    // Retention's walk, oldest first across tenants.
    { properties: ['createdAt', 'id'] },
  ],
});

export class Event extends EventSchema.class {}
EventSchema.setClass(Event);
