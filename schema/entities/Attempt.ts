import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';
import { Delivery } from './Delivery.ts';

export const ATTEMPT_TRIGGERS = ['SCHEDULED', 'MANUAL'] as const;
export type AttemptTrigger = (typeof ATTEMPT_TRIGGERS)[number];

export const BODY_ENCODINGS = ['utf8', 'base64'] as const;
/**
 * Why an attempt failed without a usable response. Besides the network's own kinds:
 * `headers_overflow` (the response headers passed undici's limit), `secret` (the webhook's
 * secret cannot be decrypted with HOOKYARD_SECRET_KEY), `signing` (the request could not
 * be signed), `payload` (the event could not be encoded) and `unstorable` (the response
 * could not be stored as received; only its status was kept).
 */
export const ATTEMPT_ERROR_KINDS = ['timeout', 'dns', 'refused', 'tls', 'reset', 'blocked', 'headers_overflow', 'secret', 'signing', 'payload', 'unstorable', 'other'] as const;
export type AttemptErrorKind = (typeof ATTEMPT_ERROR_KINDS)[number];

/** One HTTP try of a delivery: the request as sent and the response or error as received. */
export const AttemptSchema = defineEntity({
  name: 'Attempt',
  tableName: 'attempt',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    deliveryId: () => p.manyToOne(Delivery).mapToPk().fieldName('delivery_id').deleteRule('cascade'),
    webhookId: p.text(),
    // Copied from the delivery when recorded, so the attempts log filters by them from an index.
    integratorId: p.text().nullable(),
    eventType: p.text().nullable(),
    attemptNumber: p.integer(),
    trigger: p.enum(ATTEMPT_TRIGGERS),
    succeeded: p.boolean(),
    requestUrl: p.text(),
    requestMethod: p.text().default('POST'),
    requestHeaders: p.json<Record<string, string>>(),
    // Null when the body sent was the event's envelope as stored (one copy per event, not per attempt).
    requestBody: p.text().nullable(),
    responseStatus: p.integer().nullable(),
    responseHeaders: p.json<Record<string, string>>().nullable(),
    responseBody: p.text().nullable(),
    // 'base64' when the body was not storable text (a NUL byte, invalid UTF-8, binary, compressed).
    responseBodyEncoding: p.enum(BODY_ENCODINGS).default('utf8'),
    responseTruncated: p.boolean().default(false),
    errorKind: p.enum(ATTEMPT_ERROR_KINDS).nullable(),
    errorMessage: p.text().nullable(),
    durationMs: p.integer(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [
    { properties: ['tenantId', 'deliveryId', 'createdAt'] },
    { properties: ['tenantId', 'webhookId', 'createdAt'] },
    { properties: ['tenantId', 'createdAt', 'id'] },
    // The attempts log's filters, each led by tenant_id and ended by its order (created_at, id).
    { properties: ['tenantId', 'integratorId', 'createdAt', 'id'] },
    { properties: ['tenantId', 'eventType', 'createdAt', 'id'] },
    { properties: ['tenantId', 'trigger', 'createdAt', 'id'] },
    { properties: ['tenantId', 'succeeded', 'createdAt', 'id'] },
    { properties: ['tenantId', 'errorKind', 'createdAt', 'id'] },
    {
      name: 'attempt_tenant_id_http_status_index',
      expression: `create index "attempt_tenant_id_http_status_index" on "attempt" ("tenant_id", (coalesce("response_status", 0)), "created_at", "id")`,
    },
  ],
});

export class Attempt extends AttemptSchema.class {}
AttemptSchema.setClass(Attempt);
