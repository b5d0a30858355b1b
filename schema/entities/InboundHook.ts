import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';

/** HTTP: an inbound URL `/in/<token>`. MAIL: an address `<token>@<HOOKYARD_MAIL_DOMAIN>` that the SMTP listener receives for. */
export const INBOUND_HOOK_KINDS = ['HTTP', 'MAIL'] as const;
export type InboundHookKind = (typeof INBOUND_HOOK_KINDS)[number];

export const PROCESSING_MODES = ['IMMEDIATE', 'SEQUENTIAL', 'SCHEDULED'] as const;
export type ProcessingMode = (typeof PROCESSING_MODES)[number];

/** ACTIVE accepts and processes; STOPPED accepts (queues) but a scheduled hook no longer runs; EXPIRED and DELETED answer 410. */
export const INBOUND_HOOK_STATUSES = ['ACTIVE', 'STOPPED', 'EXPIRED', 'DELETED'] as const;
export type InboundHookStatus = (typeof INBOUND_HOOK_STATUSES)[number];

/** STATIC: 200 `Accepted` or the custom response. FROM_PROCESSING (IMMEDIATE hooks only): publish at once and answer with the result. */
export const ANSWER_MODES = ['STATIC', 'FROM_PROCESSING'] as const;
export type AnswerMode = (typeof ANSWER_MODES)[number];

export const DATA_STRUCTURE_SOURCES = ['MANUAL', 'DETERMINED'] as const;
export type DataStructureSource = (typeof DATA_STRUCTURE_SOURCES)[number];

/**
 * An inbound URL (or mail address) with its own queue and settings. What it receives
 * becomes events of `eventType`, published like any other.
 */
export const InboundHookSchema = defineEntity({
  name: 'InboundHook',
  tableName: 'inbound_hook',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    kind: p.enum(INBOUND_HOOK_KINDS).default('HTTP'),
    name: p.text(),
    // 32 random bytes, base64url: the secret part of the URL. Unique across tenants.
    token: p.text().unique(),
    eventType: p.text(),
    processingMode: p.enum(PROCESSING_MODES).default('IMMEDIATE'),
    scheduleIntervalSeconds: p.integer().nullable(),
    scheduleBatchSize: p.integer().nullable(),
    queueLimit: p.integer().default(10000),
    dataStructure: p.json<Record<string, unknown>>().nullable(),
    dataStructureSource: p.enum(DATA_STRUCTURE_SOURCES).nullable(),
    // The next accepted request's item becomes the data structure.
    redeterminePending: p.boolean().default(false),
    // Refuse (400) items that do not fit the data structure; off, they are accepted with a warning.
    validateDataStructure: p.boolean().default(false),
    ipAllowlist: p.array().columnType('text[]').defaultRaw(`'{}'`),
    rateLimitPerSecond: p.integer().nullable().default(30),
    includeHeaders: p.boolean().default(false),
    includeMethod: p.boolean().default(false),
    jsonPassthrough: p.boolean().default(false),
    // MAIL: put each attachment's contents (base64) in the item, as far as the payload limit allows.
    includeAttachmentContents: p.boolean().default(false),
    responseStatus: p.integer().nullable(),
    responseBody: p.text().nullable(),
    responseHeaders: p.json<Record<string, string>>().defaultRaw(`'{}'`),
    answerMode: p.enum(ANSWER_MODES).default('STATIC'),
    // FROM_PROCESSING: the 500's body when publishing fails; null: "The scenario did not complete."
    failureResponseBody: p.text().nullable(),
    // Once an item is processed, its request's body, query, headers and parsed item are deleted; the log keeps metadata.
    confidential: p.boolean().default(false),
    status: p.enum(INBOUND_HOOK_STATUSES).default('ACTIVE'),
    statusReason: p.text().nullable(),
    // SCHEDULED: failed runs in a row (3 stop the hook), and when the last run ended.
    failedRuns: p.integer().default(0),
    lastRunAt: p.datetime().nullable(),
    lastRequestAt: p.datetime().nullable(),
    // Since when no active webhook listens to eventType (the expiry sweep keeps it); 120 h of it expire the hook.
    unheardSince: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    expiredAt: p.datetime().nullable(),
    deletedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['tenantId', 'createdAt'] }, { properties: ['tenantId', 'status'] }],
});

export class InboundHook extends InboundHookSchema.class {}
InboundHookSchema.setClass(InboundHook);
