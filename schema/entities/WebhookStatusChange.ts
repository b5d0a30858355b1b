import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';
import { Webhook, WEBHOOK_STATUSES } from './Webhook.ts';

/** One line of a webhook's history: created, paused, resumed, disabled, deleted. */
export const WebhookStatusChangeSchema = defineEntity({
  name: 'WebhookStatusChange',
  tableName: 'webhook_status_change',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    webhookId: () => p.manyToOne(Webhook).mapToPk().fieldName('webhook_id').deleteRule('cascade'),
    fromStatus: p.enum(WEBHOOK_STATUSES).nullable(),
    toStatus: p.enum(WEBHOOK_STATUSES),
    reason: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ properties: ['tenantId', 'webhookId', 'createdAt'] }],
});

export class WebhookStatusChange extends WebhookStatusChangeSchema.class {}
WebhookStatusChangeSchema.setClass(WebhookStatusChange);
