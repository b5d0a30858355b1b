import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';

/** A company or system that receives webhooks. Deleting one is soft: its deliveries keep their history. */
export const IntegratorSchema = defineEntity({
  name: 'Integrator',
  tableName: 'integrator',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    name: p.text(),
    description: p.text().default(''),
    contactEmail: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    deletedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['tenantId', 'name'] }],
});

export class Integrator extends IntegratorSchema.class {}
IntegratorSchema.setClass(Integrator);
