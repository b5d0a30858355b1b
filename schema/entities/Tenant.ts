import { defineEntity, p } from '@mikro-orm/core';

export const TenantSchema = defineEntity({
  name: 'Tenant',
  tableName: 'tenant',
  properties: {
    id: p.text().primary(),
    name: p.text(),
    webhookLimit: p.integer().default(100),
    deliveriesEnabled: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export class Tenant extends TenantSchema.class {}
TenantSchema.setClass(Tenant);
