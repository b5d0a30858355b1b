import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';
import { Event } from './Event.ts';
import { Webhook } from './Webhook.ts';
import { Integrator } from './Integrator.ts';

export const DELIVERY_STATUSES = ['PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event for one webhook: a row of the delivery log. `eventType` and `integratorId`
 * are copied from the event and webhook so every log filter and sort is a single-table
 * index scan.
 */
export const DeliverySchema = defineEntity({
  name: 'Delivery',
  tableName: 'delivery',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    eventId: () => p.manyToOne(Event).mapToPk().fieldName('event_id').deleteRule('cascade'),
    webhookId: () => p.manyToOne(Webhook).mapToPk().fieldName('webhook_id'),
    integratorId: () => p.manyToOne(Integrator).mapToPk().fieldName('integrator_id'),
    eventType: p.text(),
    status: p.enum(DELIVERY_STATUSES).default('PENDING'),
    succeeded: p.boolean().generated(`(status = 'SUCCEEDED') stored`),
    attemptCount: p.integer().default(0),
    lastAttemptAt: p.datetime().nullable(),
    nextAttemptAt: p.datetime().nullable(),
    deliveredAt: p.datetime().nullable(),
    lastResponseStatus: p.integer().nullable(),
    // How long the last attempt took (its attempt row has it too): kept here so the log sorts and filters by it.
    lastDurationMs: p.integer().nullable(),
    lastError: p.text().nullable(),
    // An operator's resend asked for while the tenant's deliveries were off: sent when switched on.
    manualRequestedAt: p.datetime().nullable(),
    // When its webhook's rate limit last delayed it: usage counts each delayed delivery once per hour.
    throttledAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    // The W3C traceparent of the operation that published it, while tracing is on: every
    // attempt, retries hours later included, joins that trace (infra/trace.ts).
    traceParent: p.text().nullable(),
  },
  // One index per delivery-log filter and sort, each led by tenant_id and ended by
  // (created_at, id), the log's tie-breakers, so keyset pages resolve inside the index.
  // The nullable times are indexed as coalesce(…, 'infinity'): the log sorts and pages
  // on that expression, so a NULL is an ordinary value (after every date) in cursors.
  indexes: [
    { properties: ['tenantId', 'createdAt', 'id'] },
    {
      name: 'delivery_tenant_id_delivered_sort_index',
      expression: `create index "delivery_tenant_id_delivered_sort_index" on "delivery" ("tenant_id", (coalesce("delivered_at", 'infinity'::timestamptz)), "created_at", "id")`,
    },
    {
      name: 'delivery_tenant_id_last_attempt_sort_index',
      expression: `create index "delivery_tenant_id_last_attempt_sort_index" on "delivery" ("tenant_id", (coalesce("last_attempt_at", 'infinity'::timestamptz)), "created_at", "id")`,
    },
    {
      name: 'delivery_tenant_id_http_status_sort_index',
      expression: `create index "delivery_tenant_id_http_status_sort_index" on "delivery" ("tenant_id", (coalesce("last_response_status", 0)), "created_at", "id")`,
    },
    {
      name: 'delivery_tenant_id_duration_sort_index',
      expression: `create index "delivery_tenant_id_duration_sort_index" on "delivery" ("tenant_id", (coalesce("last_duration_ms", -1)), "created_at", "id")`,
    },
    { properties: ['tenantId', 'attemptCount', 'createdAt', 'id'] },
    { properties: ['tenantId', 'succeeded', 'createdAt', 'id'] },
    { properties: ['tenantId', 'status', 'createdAt', 'id'] },
    // A status filter (failed ones) sorted by webhook or integrator name: each name's rows
    // in that status straight from its index, one probe for a name that has none.
    { properties: ['tenantId', 'status', 'webhookId', 'createdAt', 'id'] },
    { properties: ['tenantId', 'status', 'integratorId', 'createdAt', 'id'] },
    // The same for an event type filter sorted by webhook or integrator name.
    { properties: ['tenantId', 'eventType', 'webhookId', 'createdAt', 'id'] },
    { properties: ['tenantId', 'eventType', 'integratorId', 'createdAt', 'id'] },
    { properties: ['tenantId', 'webhookId', 'createdAt', 'id'] },
    { properties: ['tenantId', 'integratorId', 'createdAt', 'id'] },
    { properties: ['tenantId', 'eventType', 'createdAt', 'id'] },
    { properties: ['eventId'] },
    // The sweeper's way to open deliveries (core/sql/sweeper.ts).
    {
      name: 'delivery_open_next_attempt_index',
      expression: `create index "delivery_open_next_attempt_index" on "delivery" ("next_attempt_at") where status in ('PENDING', 'RETRYING')`,
    },
    // A FIFO webhook's line: its open deliveries in publish order.
    {
      name: 'delivery_open_line_index',
      expression: `create index "delivery_open_line_index" on "delivery" ("webhook_id", "created_at", "id") where status in ('PENDING', 'RETRYING')`,
    },
    {
      name: 'delivery_manual_requested_index',
      expression: `create index "delivery_manual_requested_index" on "delivery" ("tenant_id") where manual_requested_at is not null`,
    },
  ],
});

export class Delivery extends DeliverySchema.class {}
DeliverySchema.setClass(Delivery);
