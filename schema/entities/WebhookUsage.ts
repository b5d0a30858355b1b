import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';
import { Webhook } from './Webhook.ts';

/**
 * Per-webhook counters by hour that cannot be derived from the log: deliveries the
 * rate limit delayed (throttled). The worker adds to them with one upsert per batch.
 */
export const WebhookUsageSchema = defineEntity({
  name: 'WebhookUsage',
  tableName: 'webhook_usage',
  properties: {
    webhookId: () => p.manyToOne(Webhook).mapToPk().fieldName('webhook_id').primary().deleteRule('cascade'),
    bucket: p.datetime().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    throttled: p.integer().default(0),
  },
  primaryKeys: ['webhookId', 'bucket'],
  indexes: [{ properties: ['tenantId', 'webhookId', 'bucket'] }, { properties: ['bucket'] }],
});

export class WebhookUsage extends WebhookUsageSchema.class {}
WebhookUsageSchema.setClass(WebhookUsage);
