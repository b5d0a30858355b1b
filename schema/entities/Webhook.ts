import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';
import { Integrator } from './Integrator.ts';

export const WEBHOOK_STATUSES = ['ACTIVE', 'PAUSED', 'DISABLED', 'DELETED'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/**
 * An integrator's subscription. Secrets, and the values of secret custom headers, are
 * stored encrypted (AES-256-GCM); during a rotation the previous secret keeps signing
 * until `previousSecretExpiresAt`.
 */
export const WebhookSchema = defineEntity({
  name: 'Webhook',
  tableName: 'webhook',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    integratorId: () => p.manyToOne(Integrator).mapToPk().fieldName('integrator_id'),
    name: p.text(),
    description: p.text().default(''),
    url: p.text(),
    eventTypes: p.array().columnType('text[]'),
    channels: p.array().columnType('text[]').defaultRaw(`'{}'`),
    secretEncrypted: p.text(),
    previousSecretEncrypted: p.text().nullable(),
    previousSecretExpiresAt: p.datetime().nullable(),
    headers: p.json<Record<string, string>>().defaultRaw(`'{}'`),
    // Custom headers whose values are secret: name -> value encrypted like the signing secret.
    secretHeaders: p.json<Record<string, string>>().defaultRaw(`'{}'`),
    status: p.enum(WEBHOOK_STATUSES).default('ACTIVE'),
    statusReason: p.text().nullable(),
    // Its own retry schedule; null: its event type's default schedule, else Hookyard's.
    retryScheduleSeconds: p.array((i) => Number(i), (i) => String(i)).columnType('integer[]').nullable(),
    // A payload filter (core/rules/payload-filter.ts); null: every event of its types and channels.
    filter: p.json<Record<string, unknown>>().nullable(),
    timeoutMs: p.integer().default(15000),
    rateLimitPerSecond: p.integer().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    pausedAt: p.datetime().nullable(),
    disabledAt: p.datetime().nullable(),
    deletedAt: p.datetime().nullable(),
    // Endpoint health: the 5-day auto-disable counts from the first failure after the last success.
    lastSuccessAt: p.datetime().nullable(),
    failingSince: p.datetime().nullable(),
  },
  indexes: [
    { properties: ['tenantId', 'createdAt'] },
    { properties: ['tenantId', 'integratorId'] },
    { properties: ['tenantId', 'status'] },
  ],
});

export class Webhook extends WebhookSchema.class {}
WebhookSchema.setClass(Webhook);
