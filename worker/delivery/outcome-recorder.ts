// Records finished attempts: each as soon as it finishes, with whatever else finished
// meanwhile (a group commit). One transaction per group logs the attempts, moves the
// deliveries on, schedules their retries, updates endpoint health and circuits, and
// completes their pg-boss jobs; subscribers are told after the commit. A group never
// waits for a request still open, and one attempt's bad data never fails another's.
import type pg from 'pg';
import type { JobAttempt, PgBoss } from 'pg-boss';
import type { Logger } from '../../infra/logger.ts';
import { QUEUES, deliverJob } from '../../core/jobs.ts';
import { newId } from '../../core/ids.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import { isDatabaseUnavailable } from '../../infra/database.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { notifyAfterCommitSql } from '../../core/sql/live-updates.ts';
import { transitionWebhook } from '../../core/webhooks/webhook-transition.ts';
import * as sql from '../../core/sql/deliveries.ts';
import { recordAttempt, recordDeliveryFinished } from '../../infra/metrics.ts';
import type { AttemptOutcome } from './send-attempt.ts';
import { retryDelayMs } from './retry-delay.ts';
import { unparkFreedSlots } from './job-parking.ts';
import { attemptContext, inRecordingSpan, markRecorded } from './delivery-tracing.ts';
import { traceIdOf } from '../../infra/trace.ts';
import type { Context } from '@opentelemetry/api';
import { updateCircuits } from './circuit-breaker.ts';
import { releaseHeldDeliveries } from '../../core/delivery/holds.ts';
import { isReservedEventType, publishOperationalEvents, type OperationalEvent } from '../../core/publishing/operational-events.ts';

/** A webhook with no success for this long while attempts keep failing is disabled. */
export const DISABLE_AFTER_FAILING_HOURS = 5 * 24;

/** Attempts written in one transaction at most; more wait for the next group. */
const MAX_GROUP = 500;
/** A group the database refused for being unreachable is tried again after these waits; then its jobs wait for their lease. */
const RETRY_WAITS_MS = [250, 1000, 2000, 4000, 8000];

const OPEN = new Set(['PENDING', 'RETRYING']);

/** One finished attempt of a delivery, waiting to be recorded. */
export interface FinishedAttempt {
  job: JobAttempt;
  row: sql.DeliveryRow;
  manual: boolean;
  startedAt: Date;
  loggedHeaders: Record<string, string>;
  /** null: the event's envelope as stored was sent */
  requestBody: string | null;
  outcome: AttemptOutcome;
}

export interface RecorderDeps {
  pool: pg.Pool;
  boss: PgBoss;
  log: Logger;
  circuitCooldownSeconds: number;
}

export function createOutcomeRecorder(deps: RecorderDeps) {
  let pending: { item: FinishedAttempt; done: () => void }[] = [];
  // Each attempt's trace context (its `deliver` span), while tracing is on.
  const traced = new WeakMap<FinishedAttempt, Context>();
  let flushing: Promise<void> | null = null;

  /** Queues one attempt for the next group; resolves once it is recorded (or left to the lease). */
  function record(item: FinishedAttempt): Promise<void> {
    return new Promise((done) => {
      const ctx = attemptContext();
      if (ctx) traced.set(item, ctx);
      pending.push({ item, done });
      if (!flushing) flushing = flushAll().finally(() => (flushing = null));
    });
  }

  async function flushAll(): Promise<void> {
    // Let attempts that finish in the same turn join this group.
    await new Promise((resolve) => setImmediate(resolve));
    while (pending.length) {
      const group = pending.slice(0, MAX_GROUP);
      pending = pending.slice(group.length);
      await inRecordingSpan(group.map((g) => traced.get(g.item) ?? null), () => recordGroup(group.map((g) => g.item)));
      for (const g of group) g.done();
    }
  }

  async function recordGroup(items: FinishedAttempt[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await writeGroup(items);
        return;
      } catch (error) {
        if (worthRetrying(error)) {
          if (attempt >= RETRY_WAITS_MS.length) {
            deps.log.error({ err: error, attempts: items.length }, 'cannot record attempts: the database is unreachable; their jobs run again when the lease ends');
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, RETRY_WAITS_MS[attempt]));
          continue;
        }
        if (!isDataError(error)) {
          deps.log.error({ err: error, attempts: items.length }, 'cannot record attempts; their jobs run again when the lease ends');
          return;
        }
        // The data of one attempt was refused: record each alone, so only that one is cut.
        if (items.length > 1) {
          for (const item of items) await recordGroup([item]);
          return;
        }
        const [item] = items;
        if (item.outcome.errorKind === 'unstorable') {
          deps.log.error({ err: error, ...attemptLogFields(item) }, 'cannot record an attempt even without its response; its job runs again when the lease ends');
          return;
        }
        deps.log.warn({ err: error, ...attemptLogFields(item) }, 'the response could not be stored as received; recording its status only');
        items = [unstorable(item, error)];
      }
    }
  }

  async function writeGroup(items: FinishedAttempt[]): Promise<void> {
    const now = new Date();
    const outcomes: sql.Outcome[] = [];
    const gone = new Set<string>();
    for (const { row, outcome, manual, startedAt } of items) {
      let status: sql.Outcome['status'];
      let nextAttemptAt: Date | null = null;
      if (outcome.ok) status = 'SUCCEEDED';
      else if (outcome.status === 410) {
        // The receiver says the endpoint is gone for good: stop here and disable the webhook.
        status = 'FAILED';
        gone.add(row.webhook_id);
      } else if (manual && !OPEN.has(row.status)) {
        // A failed resend never undoes a success: the delivery keeps its status and delivered_at.
        status = row.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
      } else {
        const delay = retryDelayMs({
          scheduleSeconds: row.retry_schedule_seconds,
          failedAttempts: row.attempt_count + 1,
          status: outcome.status ?? undefined,
          retryAfter: outcome.responseHeaders?.['retry-after'] ?? null,
        });
        if (delay === null) status = 'FAILED';
        else {
          status = 'RETRYING';
          nextAttemptAt = new Date(now.getTime() + delay);
        }
      }
      outcomes.push({
        deliveryId: row.id,
        previousCount: row.attempt_count,
        status,
        attemptedAt: startedAt,
        nextAttemptAt,
        responseStatus: outcome.status,
        durationMs: Math.round(outcome.durationMs),
        error: outcome.ok ? null : (outcome.errorMessage ?? (outcome.status ? `HTTP ${outcome.status}` : null)),
        manual,
      });
    }

    let wakeWorkers = false;
    const { recorded, changes } = await withTransaction(
      deps.pool,
      async (client) => {
        // Webhook rows first, delivery rows second: the same lock order as a webhook's own
        // status changes (delete cancels deliveries), so the two never deadlock.
        const changes: LiveUpdate[] = [];
        const operational: OperationalEvent[] = [];
        const lines = [...new Set(items.filter((i) => i.row.ordering === 'FIFO').map((i) => i.row.webhook_id))].sort();
        if (lines.length) await client.query(sql.lockLines(lines));
        operational.push(...(await updateEndpointHealth(client, items, gone)));
        const circuits = await updateCircuits(client, deps.boss, deps.log, items.map((i) => ({ webhookId: i.row.webhook_id, deliveryId: i.row.id, ok: i.outcome.ok })), deps.circuitCooldownSeconds);
        changes.push(...circuits.changes);
        operational.push(...circuits.events);
        const ended = new Map((await client.query<{ id: string; status: string }>(sql.applyOutcomes(outcomes))).rows.map((r) => [r.id, r.status]));
        const recorded = items.filter((i) => ended.has(i.row.id));
        const attempts: sql.AttemptRow[] = recorded.map((i) => ({
          id: newId('Attempt'),
          tenantId: i.row.tenant_id,
          deliveryId: i.row.id,
          webhookId: i.row.webhook_id,
          attemptNumber: i.row.attempt_count + 1,
          trigger: i.manual ? 'MANUAL' : 'SCHEDULED',
          succeeded: i.outcome.ok,
          requestUrl: i.row.url,
          requestHeaders: i.loggedHeaders,
          requestBody: i.requestBody,
          responseStatus: i.outcome.status,
          responseHeaders: i.outcome.responseHeaders,
          responseBody: i.outcome.responseBody,
          responseBodyEncoding: i.outcome.responseBodyEncoding,
          responseTruncated: i.outcome.responseTruncated,
          errorKind: i.outcome.errorKind,
          errorMessage: i.outcome.errorMessage,
          durationMs: Math.round(i.outcome.durationMs),
          createdAt: i.startedAt,
        }));
        if (attempts.length) await client.query(sql.insertAttempts(attempts));
        const retries = outcomes.filter((o) => o.status === 'RETRYING' && ended.get(o.deliveryId) === 'RETRYING');
        if (retries.length) {
          const rowOf = new Map(items.map((i) => [i.row.id, i.row]));
          await deps.boss.insert(
            QUEUES.deliver,
            retries.map((o) => {
              const row = rowOf.get(o.deliveryId)!;
              return deliverJob({ id: row.id, tenantId: row.tenant_id, attemptCount: row.attempt_count + 1, webhookId: row.webhook_id, maxInFlight: row.max_in_flight }, { startAfter: o.nextAttemptAt! });
            }),
            { db: bossDb(client) },
          );
        }
        // A FIFO line moves on when its delivery ends (succeeded, failed for good or cancelled): the next one goes.
        const moved = [...new Set(recorded.filter((i) => i.row.ordering === 'FIFO' && ended.get(i.row.id) !== 'RETRYING').map((i) => `${i.row.tenant_id} ${i.row.webhook_id}`))];
        for (const line of moved) {
          const [tenantId, webhookId] = line.split(' ');
          await releaseHeldDeliveries(client, deps.boss, { tenantId, webhookIds: [webhookId], manual: false });
        }
        // A scheduled delivery that failed for good is news (never one of an operational event: the loop guard).
        for (const i of recorded) {
          if (ended.get(i.row.id) !== 'FAILED' || !OPEN.has(i.row.status) || isReservedEventType(i.row.event_type)) continue;
          operational.push({
            tenantId: i.row.tenant_id,
            webhookId: i.row.webhook_id,
            type: 'hookyard.delivery.exhausted',
            payload: { deliveryId: i.row.id, webhookId: i.row.webhook_id, eventId: i.row.event_id, eventType: i.row.event_type, attempts: i.row.attempt_count + 1, lastResponseStatus: i.outcome.status, lastError: i.outcome.errorMessage ?? (i.outcome.status ? `HTTP ${i.outcome.status}` : null) },
          });
        }
        if (operational.length) {
          const published = await publishOperationalEvents(client, deps.boss, operational);
          changes.push(...published);
          wakeWorkers ||= published.length > 0;
        }
        // The jobs end with their record: a crash before this commit runs them again.
        await deps.boss.complete(QUEUES.deliver, items.map((i) => i.job), null, { db: bossDb(client) });
        // Each ended job frees its webhook a slot: its oldest parked job may go.
        await unparkFreedSlots(client, items.map((i) => i.row.webhook_id));
        for (const [n, i] of recorded.entries()) {
          changes.push({ kind: 'delivery', tenantId: i.row.tenant_id, id: i.row.id, webhookId: i.row.webhook_id, integratorId: i.row.integrator_id });
          changes.push({ kind: 'attempt', tenantId: i.row.tenant_id, id: attempts[n].id, webhookId: i.row.webhook_id, deliveryId: i.row.id, integratorId: i.row.integrator_id });
        }
        return { recorded: recorded.map((i, n) => ({ item: i, status: ended.get(i.row.id)!, attemptId: attempts[n].id })), changes };
      },
      { asynchronousCommit: true, genericPlans: true },
    );
    // NOTIFY after the commit, not in it: PostgreSQL serialises committing transactions
    // that notify, which halved the commit rate under load. A lost notification only
    // delays a live view; the rows are already committed.
    if (changes.length) await deps.pool.query(notifyAfterCommitSql(changes, { wakeWorkers })).catch((error) => deps.log.warn({ err: error }, 'change notification failed'));
    const nextAttemptOf = new Map(outcomes.map((o) => [o.deliveryId, o.nextAttemptAt]));
    const debug = deps.log.isLevelEnabled('debug');
    for (const { item, status, attemptId } of recorded) {
      markRecorded(traced.get(item) ?? null, status, nextAttemptOf.get(item.row.id) ?? null);
      if (debug) {
        deps.log.debug({ ...attemptLogFields(item), attemptId, status, responseStatus: item.outcome.status, errorKind: item.outcome.errorKind, durationMs: item.outcome.durationMs }, 'attempt recorded');
      }
      recordAttempt(item.outcome.ok ? 'success' : (item.outcome.errorKind ?? 'http_error'), item.outcome.durationMs);
      if (status !== 'RETRYING' && OPEN.has(item.row.status)) recordDeliveryFinished(status as 'SUCCEEDED' | 'FAILED' | 'CANCELLED');
    }
  }

  /** Success streaks, failure streaks, and disabling endpoints that are gone (410) or failing for 5 days; returns the disables as operational events. */
  async function updateEndpointHealth(client: pg.PoolClient, items: FinishedAttempt[], gone: Set<string>): Promise<OperationalEvent[]> {
    const events: OperationalEvent[] = [];
    const healthy = [...new Set(items.filter((i) => i.outcome.ok).map((i) => i.row.webhook_id))].sort();
    const failing = [...new Set(items.filter((i) => !i.outcome.ok).map((i) => i.row.webhook_id))].filter((id) => !healthy.includes(id)).sort();
    if (healthy.length) await client.query(sql.markWebhooksHealthy(healthy));
    const toDisable = new Map<string, { tenantId: string; reason: string }>();
    if (failing.length) {
      await client.query(sql.markWebhooksFailing(failing));
      for (const w of (await client.query(sql.webhooksFailingFor(failing, DISABLE_AFTER_FAILING_HOURS))).rows) {
        toDisable.set(w.id, { tenantId: w.tenant_id, reason: `no successful attempt for ${DISABLE_AFTER_FAILING_HOURS / 24} days while attempts kept failing` });
      }
    }
    for (const i of items) if (gone.has(i.row.webhook_id)) toDisable.set(i.row.webhook_id, { tenantId: i.row.tenant_id, reason: 'the endpoint answered 410 Gone' });
    for (const [webhookId, { tenantId, reason }] of [...toDisable].sort(([a], [b]) => a.localeCompare(b))) {
      if (await transitionWebhook(client, deps.boss, { tenantId, webhookId, from: ['ACTIVE'], to: 'DISABLED', reason })) {
        deps.log.warn({ webhookId, reason }, 'webhook disabled');
        events.push({ tenantId, webhookId, type: 'hookyard.webhook.disabled', payload: { webhookId, reason } });
      }
    }
    return events;
  }

  return {
    record,
    /** Resolves when every attempt handed in so far is recorded (or left to the lease). */
    async drain(): Promise<void> {
      while (flushing) await flushing;
    },
  };
}

/** An outage, a deadlock or a serialisation failure: the same group may well pass next time. */
function worthRetrying(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return isDatabaseUnavailable(error) || (typeof code === 'string' && code.startsWith('40'));
}

/** PostgreSQL refused a value (an invalid byte sequence, a value too long, a constraint). */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

/** The attempt without what could not be stored: its status and timing stay, and why the rest is missing. */
function unstorable(item: FinishedAttempt, error: unknown): FinishedAttempt {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    ...item,
    loggedHeaders: Object.fromEntries(Object.entries(item.loggedHeaders).map(([k, v]) => [k.replace(/\0/g, ''), v.replace(/\0/g, '')])),
    requestBody: item.requestBody?.replace(/\0/g, '') ?? null,
    outcome: {
      ...item.outcome,
      responseHeaders: null,
      responseBody: null,
      responseBodyEncoding: 'utf8',
      responseTruncated: false,
      errorKind: 'unstorable',
      errorMessage: `the response could not be stored as received (${reason.replace(/\0/g, '').slice(0, 300)}); only its status and timing were kept`,
    },
  };
}

/** A log line's fields about one attempt: its delivery's ids and the trace it belongs to. */
function attemptLogFields(item: FinishedAttempt): Record<string, unknown> {
  const traceId = traceIdOf(item.row.trace_parent);
  return {
    tenantId: item.row.tenant_id,
    eventId: item.row.event_id,
    deliveryId: item.row.id,
    webhookId: item.row.webhook_id,
    integratorId: item.row.integrator_id,
    attemptNumber: item.row.attempt_count + 1,
    ...(traceId ? { trace_id: traceId } : {}),
  };
}
