// The delivery engine of one worker process. One loop fetches delivery jobs from pg-boss
// while the process has room (HOOKYARD_WORKER_MAX_IN_FLIGHT); each delivery then goes on
// its own: its request, and its record (outcome-recorder.ts), never wait for another's.
// pg-boss's group concurrency keeps each webhook under its maxInFlight across every
// worker process, so a slow endpoint's backlog waits in PostgreSQL, not here; parking
// (job-parking.ts) keeps that backlog out of the fetch's way.
import type pg from 'pg';
import type { Job, JobAttempt, PgBoss } from 'pg-boss';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../infra/logger.ts';
import { DELIVER_GROUP_CONCURRENCY, QUEUES, deliverJob, readDeliverJob, type DeliverJob, type DeliverJobV1 } from '../../core/jobs.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { notifyAfterCommitSql } from '../../core/sql/live-updates.ts';
import { cloudEventBody, cloudEventData } from '../../core/delivery/cloud-event.ts';
import * as sql from '../../core/sql/deliveries.ts';
import { claimProbe } from '../../core/sql/circuit.ts';
import { deliveriesInFlight, recordDeliveryFinished } from '../../infra/metrics.ts';
import { sendAttempt } from './send-attempt.ts';
import { prepareRequest } from './delivery-request.ts';
import { createOutcomeRecorder } from './outcome-recorder.ts';
import { createJobParker, unparkFreedSlots } from './job-parking.ts';
import { inAttemptSpan, inRequestSpan } from './delivery-tracing.ts';
import type { WebhookRateLimiter } from './webhook-rate-limiter.ts';

export interface DeliveryEngineDeps {
  pool: pg.Pool;
  boss: PgBoss;
  log: Logger;
  secretKey: Buffer;
  dispatcher: Dispatcher;
  rateLimiter: WebhookRateLimiter;
  /** Delivery jobs one process holds at most (fetched and not yet recorded). */
  maxInFlight: number;
  /** Jobs fetched at once at most. */
  batchSize: number;
  /** How often an idle engine looks for due jobs (retries; new ones wake it at once). */
  pollMs: number;
  circuitCooldownSeconds: number;
}

const OPEN = new Set(['PENDING', 'RETRYING']);
/**
 * After a short fetch, how soon freed slots are refilled. A webhook's backlog waits parked
 * (job-parking.ts), so a fetch no longer walks it and may come often: with 20 ms and a
 * quarter of a batch, one webhook's 100 slots refilled in waves and the drain was 875-1,000
 * deliveries/s; with 2 ms and a twentieth, 1,140-1,420/s, at the same CPU per delivery
 * (test/bench/delivery.ts, alternating runs on a quiet machine, 2026-11-28).
 */
const REFILL_MS = 2;
/** A fetch waits for this share of a batch (or of the process's room) to be free. */
const MIN_FETCH_SHARE = 1 / 20;

/** What becomes of a fetched job before any request. */
type Plan =
  | { kind: 'send'; row: sql.DeliveryRow; manual: boolean }
  | { kind: 'spent' }
  | { kind: 'cancel'; row: sql.DeliveryRow }
  | { kind: 'hold'; row: sql.DeliveryRow; manual: boolean }
  | { kind: 'probe'; row: sql.DeliveryRow };

export function createDeliveryEngine(deps: DeliveryEngineDeps) {
  const recorder = createOutcomeRecorder(deps);
  const parker = createJobParker(deps);
  let inFlight = 0;
  let stopping = false;
  let woken = false;
  let wakeUp: (() => void) | null = null;
  let running: Promise<void> | null = null;
  const handling = new Set<Promise<void>>();
  /** Deliveries this process is sending a manual attempt of, until it is recorded. */
  const manualInFlight = new Set<string>();

  /** Wakes the loop: new jobs were queued, or room was made. */
  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  function pause(ms: number): Promise<void> {
    if (woken) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        woken = false;
        resolve();
      }
      wakeUp = done;
    });
  }

  /**
   * A fetch that came back short means nothing more was due, or the webhooks with a
   * backlog are at their maxInFlight: each fetch then skips their queued jobs (pg-boss's
   * group concurrency), which costs more the longer their backlog, so a freed slot must
   * not cost a fetch of its own. After a short fetch, the loop wakes REFILL_MS after
   * MIN_FETCH_SHARE of a batch was freed (or all); at full capacity, once that much room is free.
   */
  let waitingFor: 'room' | 'work' = 'work';
  let refill: ReturnType<typeof setTimeout> | null = null;
  // Each fetch costs the same queries whatever it returns: wait for this much room first.
  const minFetch = Math.max(1, Math.floor(Math.min(deps.batchSize, deps.maxInFlight) * MIN_FETCH_SHARE));
  let freedSinceFetch = 0;
  function release(count: number): void {
    inFlight -= count;
    freedSinceFetch += count;
    deliveriesInFlight.set(inFlight);
    if (waitingFor === 'room') {
      if (deps.maxInFlight - inFlight >= minFetch || inFlight === 0) wake();
    } else if (freedSinceFetch >= minFetch || inFlight === 0) {
      refill ??= setTimeout(() => {
        refill = null;
        wake();
      }, REFILL_MS);
    }
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      const room = deps.maxInFlight - inFlight;
      if (room <= 0 || (room < minFetch && inFlight > 0)) {
        waitingFor = 'room';
        await pause(deps.pollMs);
        continue;
      }
      const asked = Math.min(room, deps.batchSize);
      let jobs: Job<DeliverJob | DeliverJobV1>[];
      freedSinceFetch = 0;
      try {
        // minPriority 0: parked jobs (below it) are never walked.
        jobs = await deps.boss.fetch<DeliverJob | DeliverJobV1>(QUEUES.deliver, { batchSize: asked, groupConcurrency: DELIVER_GROUP_CONCURRENCY, minPriority: 0 });
        failures = 0;
      } catch (error) {
        failures++;
        deps.log.warn({ err: error }, 'cannot fetch delivery jobs; trying again');
        await pause(Math.min(500 * 2 ** failures, 10_000));
        continue;
      }
      if (jobs.length < asked) parker.afterShortFetch();
      if (jobs.length === 0) {
        waitingFor = 'work';
        await pause(deps.pollMs);
        continue;
      }
      inFlight += jobs.length;
      deliveriesInFlight.set(inFlight);
      const handled = handleJobs(jobs).catch((error) => deps.log.error({ err: error }, 'delivery jobs failed; pg-boss runs them again (after its retry delay, or the lease)'));
      handling.add(handled);
      void handled.finally(() => handling.delete(handled));
      // Fewer than asked: nothing more is due now (or its webhooks are full); wait for new
      // jobs, the next refill, or the next poll.
      if (jobs.length < asked) {
        waitingFor = 'work';
        await pause(deps.pollMs);
      } else waitingFor = 'room';
    }
  }

  /** One fetch's jobs: loaded together, then each sent and recorded on its own. */
  async function handleJobs(jobs: Job<DeliverJob | DeliverJobV1>[]): Promise<void> {
    let released = 0;
    const releaseOne = (n = 1) => {
      released += n;
      release(n);
    };
    try {
      // One attempt per delivery per fetch; a manual request wins over a scheduled one.
      const wanted = new Map<string, { job: Job<DeliverJob | DeliverJobV1>; data: DeliverJob }>();
      const spentJobs: JobAttempt[] = [];
      for (const job of jobs) {
        const data = readDeliverJob(job.data);
        // A resend asked for while this process sends one of the same delivery is that one
        // (asked twice, sent once): the fence below only sees manual attempts once recorded.
        if (data.manual && manualInFlight.has(data.deliveryId)) {
          spentJobs.push(job);
          continue;
        }
        const previous = wanted.get(data.deliveryId);
        if (!previous || (data.manual && !previous.data.manual)) {
          if (previous) spentJobs.push(previous.job);
          wanted.set(data.deliveryId, { job, data });
        } else spentJobs.push(job);
      }
      let rows: sql.DeliveryRow[];
      let manualDone: Map<string, number>;
      try {
        rows = (await deps.pool.query<sql.DeliveryRow>(sql.loadBatch([...wanted.keys()]))).rows;
        manualDone = await lastManualAttempts(rows.filter((r) => wanted.get(r.id)!.data.manual));
      } catch (error) {
        await failJobs(jobs);
        throw error;
      }
      const rowOf = new Map(rows.map((r) => [r.id, r]));

      const plans = new Map<string, Plan>();
      for (const [id, { data }] of wanted) plans.set(id, plan(rowOf.get(id), data, manualDone));
      let sends: Awaited<ReturnType<typeof settle>>;
      try {
        sends = await settle(wanted, plans, spentJobs);
      } catch (error) {
        await failJobs(jobs);
        throw error;
      }
      releaseOne(jobs.length - sends.length);

      const eventIds = [...new Set(sends.map((s) => s.row.event_id))];
      let events: Map<string, sql.EventRow>;
      try {
        events = new Map(eventIds.length ? (await deps.pool.query<sql.EventRow>(sql.loadEvents(eventIds))).rows.map((e) => [e.id, e]) : []);
      } catch (error) {
        await failJobs(sends.map((s) => s.job));
        throw error;
      }
      const bodies = new Map<string, string>();
      const bodyOf = (event: sql.EventRow, format: sql.DeliveryRow['body_format']) => {
        const key = `${format} ${event.id}`;
        let body = bodies.get(key);
        if (body === undefined) {
          body =
            format === 'CLOUDEVENTS_BINARY'
              ? cloudEventData(event.payload)
              : cloudEventBody({ id: event.id, source: event.source, type: event.type, occurredAt: event.occurred_at, payload: event.payload });
          bodies.set(key, body);
        }
        return body;
      };
      await Promise.all(
        sends.map(({ row, manual, job }) => inAttemptSpan(row, manual, async () => {
          if (manual) manualInFlight.add(row.id);
          try {
            const startedAt = new Date();
            const prepared = prepareRequest(row, bodyOf, events.get(row.event_id), deps.secretKey, startedAt);
            if (!prepared.ok) {
              await recorder.record({ job, row, manual, startedAt, loggedHeaders: prepared.loggedHeaders, requestBody: prepared.body, outcome: prepared.outcome });
              return;
            }
            const { request } = prepared;
            const outcome = await inRequestSpan(row, request, () => sendAttempt({ url: row.url, headers: request.headers, body: request.body, timeoutMs: row.timeout_ms, dispatcher: deps.dispatcher }));
            // The body is the event's own (its envelope, or its data in binary mode): stored once with it, not with every attempt.
            await recorder.record({ job, row, manual, startedAt, loggedHeaders: request.loggedHeaders, requestBody: null, outcome });
          } finally {
            if (manual) manualInFlight.delete(row.id);
            releaseOne();
          }
        })),
      );
    } finally {
      // Whatever failed above leaves its jobs active: the lease runs them again.
      if (released < jobs.length) release(jobs.length - released);
    }
  }

  /**
   * Hands jobs back to pg-boss after a database error, so they run again after its retry
   * delay (a second or so) instead of waiting out the lease; if that fails too, the lease.
   */
  async function failJobs(jobs: JobAttempt[]): Promise<void> {
    if (jobs.length) await deps.boss.fail(QUEUES.deliver, jobs, { message: 'the database failed before the attempt; it runs again' }).catch(() => undefined);
  }

  /** What to do with one job, from its delivery as loaded. */
  function plan(row: sql.DeliveryRow | undefined, job: DeliverJob, manualDone: Map<string, number>): Plan {
    // The delivery is gone (retention): nothing to do.
    if (!row) return { kind: 'spent' };
    // Another attempt happened since a scheduled job was made: it is spent. A manual
    // request stands until a manual attempt after it was recorded (one scheduled may
    // have been in flight when it was asked for; a job run again must not resend).
    if (job.manual ? (manualDone.get(row.id) ?? 0) > job.attemptCount : job.attemptCount !== row.attempt_count) return { kind: 'spent' };
    if (row.status === 'CANCELLED') return { kind: 'spent' };
    if (row.webhook_status === 'DELETED') return OPEN.has(row.status) ? { kind: 'cancel', row } : { kind: 'spent' };
    if (!job.manual && !OPEN.has(row.status)) return { kind: 'spent' };
    // The tenant's switch holds everything, resends included; they go out when it is on.
    if (!row.deliveries_enabled) return { kind: 'hold', row, manual: Boolean(job.manual) };
    // An operator's resend goes out whatever the webhook's state or circuit.
    if (job.manual) return { kind: 'send', row, manual: true };
    if (row.webhook_status !== 'ACTIVE') return { kind: 'hold', row, manual: false };
    if (row.circuit_state === 'OPEN') return { kind: 'hold', row, manual: false };
    if (row.circuit_state === 'HALF_OPEN') {
      if (row.circuit_probe_delivery_id === row.id) return { kind: 'send', row, manual: false };
      return row.circuit_probe_delivery_id ? { kind: 'hold', row, manual: false } : { kind: 'probe', row };
    }
    return { kind: 'send', row, manual: false };
  }

  /**
   * Settles, in one transaction, every job that sends nothing now: spent ones, deliveries
   * of deleted webhooks (cancelled), held ones and throttled ones (delayed, with a new
   * job); completes their jobs. Returns what to send.
   */
  async function settle(
    wanted: Map<string, { job: Job<DeliverJob | DeliverJobV1>; data: DeliverJob }>,
    plans: Map<string, Plan>,
    spentJobs: JobAttempt[],
  ): Promise<{ row: sql.DeliveryRow; manual: boolean; job: JobAttempt }[]> {
    const sends: { row: sql.DeliveryRow; manual: boolean; job: JobAttempt }[] = [];
    const holds: { row: sql.DeliveryRow; manual: boolean }[] = [];
    const probes: sql.DeliveryRow[] = [];
    const cancels: sql.DeliveryRow[] = [];
    const done: JobAttempt[] = [...spentJobs];
    for (const [id, p] of plans) {
      const { job } = wanted.get(id)!;
      if (p.kind === 'send') sends.push({ row: p.row, manual: p.manual, job });
      else {
        if (p.kind === 'hold') holds.push(p);
        else if (p.kind === 'probe') probes.push(p.row);
        else if (p.kind === 'cancel') cancels.push(p.row);
        done.push(job);
      }
    }
    // Scheduled deliveries of FIFO webhooks are checked against their line in the transaction below.
    const inLine = sends.filter((s) => !s.manual && s.row.ordering === 'FIFO').map((s) => s.row);
    const inLineIds = new Set(inLine.map((r) => r.id));
    const scheduled = sends.filter((s) => !s.manual && !inLineIds.has(s.row.id));
    const delayed = await throttle(scheduled.map((s) => s.row));
    const delayedIds = new Set(delayed.map((d) => d.row.id));
    const toSend = sends.filter((s) => (s.manual || !delayedIds.has(s.row.id)) && !inLineIds.has(s.row.id));
    if (done.length === 0 && delayed.length === 0 && inLine.length === 0) return toSend;
    for (const d of delayed) done.push(wanted.get(d.row.id)!.job);
    for (const row of inLine) done.push(wanted.get(row.id)!.job);
    const deliveryOf = new Map<JobAttempt, string>([...wanted].map(([id, w]) => [w.job, id]));
    const groupOf = new Map<JobAttempt, string | null | undefined>([...[...wanted.values()].map((w) => w.job), ...spentJobs].map((j) => [j, (j as Job).groupId]));

    const changes: LiveUpdate[] = [];
    const freed = await withTransaction(deps.pool, async (client) => {
      const freed: { row: sql.DeliveryRow; manual: boolean }[] = [];
      // A FIFO webhook's delivery with an older one still open waits its turn (held); the
      // line's lock makes the older one's release, when it ends, see this hold.
      const waitingInLine: { row: sql.DeliveryRow; manual: boolean }[] = [];
      if (inLine.length) {
        await client.query(sql.lockLines([...new Set(inLine.map((r) => r.webhook_id))]));
        const behind = new Set((await client.query(sql.behindInLine(inLine.map((r) => r.id)))).rows.map((r) => r.id as string));
        for (const row of inLine) {
          if (behind.has(row.id)) waitingInLine.push({ row, manual: false });
          else freed.push({ row, manual: false });
        }
      }
      // Webhooks first (FOR SHARE), so a resume, circuit close or switch-on either commits
      // before (and is seen here) or waits for this hold (and then releases it).
      const holding = holds.length
        ? new Set((await client.query(sql.lockHoldingWebhooks([...new Set(holds.map((h) => h.row.webhook_id))].sort()))).rows.map((r) => r.id as string))
        : new Set<string>();
      const held = [...waitingInLine, ...holds.filter((h) => holding.has(h.row.webhook_id))];
      freed.push(...holds.filter((h) => !holding.has(h.row.webhook_id)));
      for (const row of probes) {
        if ((await client.query(claimProbe(row.webhook_id, row.id))).rows.length) freed.push({ row, manual: false });
        else held.push({ row, manual: false });
      }
      const heldScheduled = held.filter((h) => !h.manual).map((h) => h.row.id);
      const heldManual = held.filter((h) => h.manual).map((h) => h.row.id);
      if (heldScheduled.length) await client.query(sql.holdDeliveries(heldScheduled));
      if (heldManual.length) await client.query(sql.holdManualRequests(heldManual));
      if (cancels.length) {
        for (const c of (await client.query(sql.cancelDeliveries(cancels.map((r) => r.id)))).rows) {
          changes.push({ kind: 'delivery', tenantId: c.tenant_id, id: c.id, webhookId: c.webhook_id, integratorId: c.integrator_id });
          recordDeliveryFinished('CANCELLED');
        }
      }
      if (delayed.length) {
        const rescheduled = (await client.query<{ id: string; counted: boolean }>(sql.rescheduleDeliveries(delayed.map((d) => d.row.id), delayed.map((d) => d.at)))).rows;
        const counted = new Set(rescheduled.filter((r) => r.counted).map((r) => r.id));
        await deps.boss.insert(
          QUEUES.deliver,
          delayed.map(({ row, at }) => deliverJob({ id: row.id, tenantId: row.tenant_id, attemptCount: row.attempt_count, webhookId: row.webhook_id, maxInFlight: row.max_in_flight }, { startAfter: at })),
          { db: bossDb(client) },
        );
        const firstDelays = delayed.filter((d) => counted.has(d.row.id)).map((d) => d.row);
        if (firstDelays.length) await client.query(sql.countThrottled(throttledCounts(firstDelays)));
      }
      // Jobs whose delivery is sent after all (what held it let go) stay active with it.
      const freedIds = new Set(freed.map((f) => f.row.id));
      const settled = done.filter((j) => !freedIds.has(deliveryOf.get(j) ?? ''));
      if (settled.length) {
        await deps.boss.complete(QUEUES.deliver, settled, null, { db: bossDb(client) });
        await unparkFreedSlots(client, settled.map((j) => groupOf.get(j)));
      }
      return freed;
    }, { genericPlans: true });
    if (changes.length) await deps.pool.query(notifyAfterCommitSql(changes)).catch((error) => deps.log.warn({ err: error }, 'change notification failed'));
    for (const { row, manual } of freed) toSend.push({ row, manual, job: wanted.get(row.id)!.job });
    return toSend;
  }

  /** Per-webhook rate limits: deliveries over the limit wait (never dropped) and count as throttled. */
  async function throttle(rows: sql.DeliveryRow[]): Promise<{ row: sql.DeliveryRow; at: Date }[]> {
    const delayed: { row: sql.DeliveryRow; at: Date }[] = [];
    const perWebhook = new Map<string, number>();
    for (const row of rows) {
      if (!row.rate_limit_per_second) continue;
      const waitMs = await deps.rateLimiter.waitMs(row.webhook_id, row.rate_limit_per_second);
      if (waitMs > 0) {
        // Spread the backlog over the following seconds instead of retrying it all at once.
        const queued = perWebhook.get(row.webhook_id) ?? 0;
        perWebhook.set(row.webhook_id, queued + 1);
        delayed.push({ row, at: new Date(Date.now() + waitMs + Math.floor(queued / row.rate_limit_per_second) * 1000) });
      }
    }
    return delayed;
  }

  async function lastManualAttempts(rows: sql.DeliveryRow[]): Promise<Map<string, number>> {
    if (rows.length === 0) return new Map();
    const found = await deps.pool.query<{ delivery_id: string; attempt_number: number }>(sql.lastManualAttempts(rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }))));
    return new Map(found.rows.map((r) => [r.delivery_id, r.attempt_number]));
  }

  return {
    start(): void {
      running ??= loop();
    },
    wake,
    /** Stops fetching, and resolves once every job in hand is recorded. */
    async stop(): Promise<void> {
      stopping = true;
      if (refill) clearTimeout(refill);
      wake();
      await running;
      while (handling.size) await Promise.allSettled([...handling]);
      await recorder.drain();
      await parker.drain();
    },
    inFlight: () => inFlight,
  };
}

function throttledCounts(rows: sql.DeliveryRow[]): { tenantId: string; webhookId: string; count: number }[] {
  const counts = new Map<string, { tenantId: string; webhookId: string; count: number }>();
  for (const row of rows) {
    const entry = counts.get(row.webhook_id) ?? { tenantId: row.tenant_id, webhookId: row.webhook_id, count: 0 };
    entry.count++;
    counts.set(row.webhook_id, entry);
  }
  return [...counts.values()];
}
