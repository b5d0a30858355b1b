import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';
import { Integrator } from './Integrator.ts';

export const WEBHOOK_STATUSES = ['ACTIVE', 'PAUSED', 'DISABLED', 'DELETED'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];
export const CIRCUIT_STATES = ['CLOSED', 'OPEN', 'HALF_OPEN'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];
export const BODY_FORMATS = ['CLOUDEVENTS_STRUCTURED', 'CLOUDEVENTS_BINARY'] as const;
export type BodyFormat = (typeof BODY_FORMATS)[number];
export const SIGNATURE_SCHEMES = ['STANDARD_WEBHOOKS', 'HMAC_HEADER'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** One HMAC header, as GitHub- or Qlik-style receivers check it (signature scheme HMAC_HEADER). */
export interface HmacHeader {
  /** lower case, e.g. x-hub-signature-256 */
  header: string;
  algorithm: 'sha256' | 'sha512';
  encoding: 'hex' | 'base64';
  /** written before the value, e.g. sha256= */
  prefix: string;
  /** BODY: the body alone; TIMESTAMP_BODY: `<unix seconds>.<body>`, the seconds sent in `timestampHeader` */
  signed: 'BODY' | 'TIMESTAMP_BODY';
  timestampHeader: string | null;
}
export const WEBHOOK_ORDERINGS = ['UNORDERED', 'FIFO'] as const;
export type WebhookOrdering = (typeof WEBHOOK_ORDERINGS)[number];

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
    // At most this many requests to the endpoint are open at once (pg-boss group concurrency).
    maxInFlight: p.integer().default(10),
    // FIFO: one delivery at a time in publish order, a failing one holding the line (maxInFlight is 1).
    ordering: p.enum(WEBHOOK_ORDERINGS).default('UNORDERED'),
    // How requests are built and signed (worker/delivery/delivery-request.ts).
    bodyFormat: p.enum(BODY_FORMATS).default('CLOUDEVENTS_STRUCTURED'),
    signatureScheme: p.enum(SIGNATURE_SCHEMES).default('STANDARD_WEBHOOKS'),
    signatureHmac: p.json<HmacHeader>().nullable(),
    // Whether attempts carry a W3C traceparent header while tracing is on (infra/trace.ts).
    sendTraceContext: p.boolean().default(true),
    // Circuit breaker (worker/delivery/circuit-breaker.ts): opens after `circuitThreshold`
    // failed attempts in a row; no attempts until `circuitNextProbeAt`, then one probe.
    circuitThreshold: p.integer().default(10),
    circuitState: p.enum(CIRCUIT_STATES).default('CLOSED'),
    circuitFailures: p.integer().default(0),
    circuitOpenCount: p.integer().default(0),
    circuitOpenedAt: p.datetime().nullable(),
    circuitNextProbeAt: p.datetime().nullable(),
    circuitProbeDeliveryId: p.text().nullable(),
  },
  indexes: [
    { properties: ['tenantId', 'createdAt'] },
    { properties: ['tenantId', 'integratorId'] },
    { properties: ['tenantId', 'status'] },
  ],
});

export class Webhook extends WebhookSchema.class {}
WebhookSchema.setClass(Webhook);
