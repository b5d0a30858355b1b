// Queue names and job payloads, shared by the API (which enqueues) and the worker
// (which handles). Payloads carry ids and a version only; handlers load the rows.
import type { JobInsert } from 'pg-boss';

export const QUEUES = {
  deliver: 'deliver',
  retention: 'retention',
} as const;

export interface DeliverJobV1 {
  v: 1;
  /** delivery id (also the `webhook-id` header) */
  d: string;
  /** tenant id */
  t: string;
  /** the delivery's attempt count when the job was made: a job whose count is stale is dropped */
  n: number;
  /** 1 when an operator asked for this attempt (trigger MANUAL) */
  m?: 1;
}

export function deliverJob(delivery: { id: string; tenantId: string; attemptCount: number }, options: { manual?: boolean; startAfter?: Date } = {}): JobInsert<DeliverJobV1> {
  return {
    data: { v: 1, d: delivery.id, t: delivery.tenantId, n: delivery.attemptCount, ...(options.manual ? { m: 1 as const } : {}) },
    ...(options.startAfter ? { startAfter: options.startAfter } : {}),
  };
}
