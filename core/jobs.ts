// Queue names, their settings and the job payloads, shared by the API (which enqueues)
// and the worker (which handles). Payloads carry ids and a version only; handlers load
// the rows.
import type { JobInsert, Queue } from 'pg-boss';

export const QUEUES = {
  deliver: 'deliver',
  retention: 'retention',
  /** A webhook's circuit has cooled down: let one probe through (worker/delivery/circuit-breaker.ts). */
  circuitProbe: 'circuit-probe',
  /** Finds open deliveries with no way forward and repairs them (worker/sweeper/). */
  sweeper: 'delivery-sweeper',
  /** One retryDeliveries(filter) worked through in batches (core/delivery/bulk-retries.ts). */
  bulkRetry: 'bulk-retry',
  // Inbound processing (worker/inbound/): one job per request of an IMMEDIATE hook; one
  // drain per hook at a time for SEQUENTIAL and SCHEDULED hooks; the expiry sweep.
  inboundRequest: 'inbound-request',
  inboundDrain: 'inbound-drain',
  inboundExpiry: 'inbound-expiry',
  inboundRetention: 'inbound-retention',
} as const;

/** A webhook's `maxInFlight`: requests open at once to its endpoint. */
export const MAX_IN_FLIGHT_RANGE = { min: 1, max: 100, default: 10 } as const;

/**
 * pg-boss group concurrency for delivery jobs: each job's group is its webhook and its
 * tier the webhook's maxInFlight (as text), so a fetch never hands out more than that
 * many active jobs of one webhook, counted across every worker process.
 */
export const DELIVER_GROUP_CONCURRENCY = {
  default: MAX_IN_FLIGHT_RANGE.default,
  tiers: Object.fromEntries(Array.from({ length: MAX_IN_FLIGHT_RANGE.max }, (_, i) => [String(i + 1), i + 1])),
};

/**
 * The priority of a parked delivery job (worker/delivery/job-parking.ts): still queued,
 * but below what the delivery fetch asks for, so the fetch never walks it.
 */
export const PARKED_PRIORITY = -1;

/** Each queue's pg-boss settings; the lease is the workers' setting (HOOKYARD_DELIVERY_LEASE_SECONDS). */
export function queueSettings(leaseSeconds: number): Record<string, Omit<Queue, 'name'>> {
  return {
    [QUEUES.deliver]: {
      // Not pg-boss's own wake-up, which NOTIFYs inside the inserting transaction: Hookyard
      // wakes the workers after the commit (core/live-updates/channels.ts).
      notify: false,
      // A job still active after the lease belonged to a worker that died: run it again.
      expireInSeconds: leaseSeconds,
      // These retries are for crashes and database outages only; the webhook's own
      // schedule is applied by the handler, which never throws for an HTTP failure.
      retryLimit: 50,
      retryDelay: 1,
      retryBackoff: true,
      retryDelayMax: 60,
      deleteAfterSeconds: 3600,
    },
    [QUEUES.retention]: { expireInSeconds: 3600, retryLimit: 3, retryDelay: 60 },
    [QUEUES.circuitProbe]: { expireInSeconds: 60, retryLimit: 10, retryDelay: 5, retryBackoff: true, deleteAfterSeconds: 3600 },
    [QUEUES.sweeper]: { expireInSeconds: 300, retryLimit: 1, retryDelay: 30, deleteAfterSeconds: 3600 },
    // A bulk retry may run for an hour (millions of deliveries): the heartbeat, not the
    // lease, tells that its worker died, and another resumes it from its cursor.
    [QUEUES.bulkRetry]: { expireInSeconds: 6 * 3600, heartbeatSeconds: BULK_RETRY_HEARTBEAT_SECONDS, retryLimit: BULK_RETRY_RETRIES, retryDelay: 5, retryBackoff: true, deleteAfterSeconds: 3600 },
    ...inboundQueueSettings(leaseSeconds),
  };
}

/** A delivery attempt to make. */
export interface DeliverJob {
  v: 2;
  /** also the `webhook-id` header */
  deliveryId: string;
  tenantId: string;
  /** The delivery's attempt count when the job was made: a scheduled job whose count is stale is dropped. */
  attemptCount: number;
  /** An operator asked for this attempt (trigger MANUAL). */
  manual?: true;
}

/** The first payload version, with one-letter fields; jobs queued before version 2 still run. */
export interface DeliverJobV1 {
  v: 1;
  d: string;
  t: string;
  n: number;
  m?: 1;
}

/** The delivery a job is for, and its webhook's concurrency bound (the job's pg-boss group). */
export interface DeliverJobTarget {
  id: string;
  tenantId: string;
  attemptCount: number;
  webhookId: string;
  maxInFlight: number;
}

export function deliverJob(delivery: DeliverJobTarget, options: { manual?: boolean; startAfter?: Date } = {}): JobInsert<DeliverJob> {
  return {
    data: { v: 2, deliveryId: delivery.id, tenantId: delivery.tenantId, attemptCount: delivery.attemptCount, ...(options.manual ? { manual: true as const } : {}) },
    group: { id: delivery.webhookId, tier: String(delivery.maxInFlight) },
    ...(options.startAfter ? { startAfter: options.startAfter } : {}),
  };
}

/** A bulk retry's worker proves it is alive this often (pg-boss's minimum); one silent for that long is taken over. */
export const BULK_RETRY_HEARTBEAT_SECONDS = 10;
/** Failures of a bulk retry's job before the bulk retry is FAILED. */
export const BULK_RETRY_RETRIES = 5;

/** Work through one bulk retry. */
export interface BulkRetryJob {
  v: 1;
  bulkRetryId: string;
  tenantId: string;
}

/** A circuit-probe job: `openCount` names the opening it is for, so a stale one does nothing. */
export interface CircuitProbeJob {
  webhookId: string;
  tenantId: string;
  openCount: number;
}

/** Any queued deliver payload, read as the current version. */
export function readDeliverJob(data: DeliverJob | DeliverJobV1): DeliverJob {
  if (data.v === 1) return { v: 2, deliveryId: data.d, tenantId: data.t, attemptCount: data.n, ...(data.m ? { manual: true as const } : {}) };
  return data;
}

/** The inbound queues: a job of a worker that died runs again after the lease; publishing is idempotent per request. */
function inboundQueueSettings(leaseSeconds: number): Record<string, Omit<Queue, 'name'>> {
  const retries = { retryLimit: 50, retryDelay: 1, retryBackoff: true, retryDelayMax: 60, deleteAfterSeconds: 3600 };
  return {
    [QUEUES.inboundRequest]: { notify: false, expireInSeconds: leaseSeconds, ...retries },
    // stately with the hook id as singletonKey: at most one drain of a hook runs (across
    // every worker process) and one waits, so SEQUENTIAL items go one at a time in order.
    [QUEUES.inboundDrain]: { policy: 'stately', notify: false, expireInSeconds: leaseSeconds, ...retries },
    [QUEUES.inboundExpiry]: { expireInSeconds: 600, retryLimit: 3, retryDelay: 60 },
    [QUEUES.inboundRetention]: { expireInSeconds: 3600, retryLimit: 3, retryDelay: 60 },
  };
}

/** Process one request of an IMMEDIATE hook. */
export interface InboundRequestJob {
  v: 1;
  requestId: string;
  tenantId: string;
}

/** Process a SEQUENTIAL hook's queue in order, or one run of a SCHEDULED hook. */
export interface InboundDrainJob {
  v: 1;
  hookId: string;
  tenantId: string;
}

export function inboundRequestJob(request: { id: string; tenantId: string }): JobInsert<InboundRequestJob> {
  return { data: { v: 1, requestId: request.id, tenantId: request.tenantId } };
}

export function inboundDrainJob(hook: { id: string; tenantId: string }, startAfter?: Date): JobInsert<InboundDrainJob> {
  return { data: { v: 1, hookId: hook.id, tenantId: hook.tenantId }, singletonKey: hook.id, ...(startAfter ? { startAfter } : {}) };
}
