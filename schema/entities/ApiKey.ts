import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';

export const API_KEY_ROLES = ['ADMIN', 'VIEWER'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** A bearer token of a tenant. Only its SHA-256 is stored; the token is shown once. */
export const ApiKeySchema = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id').index(),
    name: p.text(),
    role: p.enum(API_KEY_ROLES),
    prefix: p.text(),
    tokenHash: p.text().unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});

export class ApiKey extends ApiKeySchema.class {}
ApiKeySchema.setClass(ApiKey);
