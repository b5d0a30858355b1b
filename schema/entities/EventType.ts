import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';

/** A catalogued event name `resource.action`, optionally with a JSON Schema for its payload. */
export const EventTypeSchema = defineEntity({
  name: 'EventType',
  tableName: 'event_type',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    name: p.text(),
    description: p.text().default(''),
    payloadSchema: p.json<Record<string, unknown>>().nullable(),
    deprecated: p.boolean().default(false),
    // The default retry schedule of webhooks without their own; null: Hookyard's default.
    retryScheduleSeconds: p.array((i) => Number(i), (i) => String(i)).columnType('integer[]').nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['tenantId', 'name'] }],
});

export class EventType extends EventTypeSchema.class {}
EventTypeSchema.setClass(EventType);
