import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';

/** QUEUED until a worker takes it; RUNNING; then DONE, CANCELLED (by an operator) or FAILED (with its error). */
export const BULK_RETRY_STATES = ['QUEUED', 'RUNNING', 'DONE', 'CANCELLED', 'FAILED'] as const;
export type BulkRetryState = (typeof BULK_RETRY_STATES)[number];

/**
 * `retryDeliveries(filter)` as a job (core/delivery/bulk-retries.ts): a manual attempt
 * for every delivery the filter matches, queued in batches by a worker. `cursor` is the
 * delivery log's keyset position after the last batch, written in the same transaction
 * as that batch's attempts: a worker that dies resumes after it, never queueing a
 * delivery twice.
 */
export const BulkRetrySchema = defineEntity({
  name: 'BulkRetry',
  tableName: 'bulk_retry',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    /** The delivery-log filter as asked (JSON), with createdTo bounded by the request's time. */
    filter: p.json<Record<string, unknown>>(),
    state: p.enum(BULK_RETRY_STATES).default('QUEUED'),
    /** Deliveries the filter matched when the job began; null until then. */
    total: p.integer().nullable(),
    /** Deliveries queued for a manual attempt so far. */
    done: p.integer().default(0),
    /** Matched deliveries that could not be sent again (their webhook was deleted). */
    failed: p.integer().default(0),
    cursor: p.text().nullable(),
    error: p.text().nullable(),
    /** The API key that asked (its name at the time, kept after the key is gone). */
    requestedBy: p.text().fieldName('requested_by'),
    createdAt: p.datetime().onCreate(() => new Date()),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['tenantId', 'createdAt', 'id'] }],
});

export class BulkRetry extends BulkRetrySchema.class {}
BulkRetrySchema.setClass(BulkRetry);
