import type pg from 'pg';
import type { Job, PgBoss } from 'pg-boss';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../infra/logger.ts';
import { QUEUES, deliverJob, readDeliverJob, type DeliverJob, type DeliverJobV1 } from '../../core/jobs.ts';
import { newId } from '../../core/ids.ts';
import { VERSION } from '../../core/version.ts';
import { decryptSecret } from '../../core/rules/secret.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { notifyAfterCommitSql } from '../../core/sql/live-updates.ts';
import { transitionWebhook } from '../../core/webhooks/webhook-transition.ts';
import { cloudEventBody } from './cloud-event.ts';
import { signPayload, webhookTimestamp } from './signature.ts';
import { sendAttempt, type AttemptOutcome } from './send-attempt.ts';
import { retryDelayMs } from './retry-delay.ts';
import type { WebhookRateLimiter } from './webhook-rate-limiter.ts';
import * as sql from '../../core/sql/deliveries.ts';
import { recordAttempt, recordDeliveryFinished } from '../../infra/metrics.ts';

/** A webhook with no success for this long while attempts keep failing is disabled. */
export const DISABLE_AFTER_FAILING_HOURS = 5 * 24;

export interface DeliverDeps {
  pool: pg.Pool;
  boss: PgBoss;
  log: Logger;
  secretKey: Buffer;
  dispatcher: Dispatcher;
  rateLimiter: WebhookRateLimiter;
}

interface Sent {
  row: sql.DeliveryRow;
  manual: boolean;
  startedAt: Date;
  headers: Record<string, string>;
  body: string;
  outcome: AttemptOutcome;
}

const OPEN = new Set(['PENDING', 'RETRYING']);

/** What the attempt log shows in place of a secret header's value. */
export const SECRET_HEADER_MASK = '[secret]';

/**
 * The `deliver` handler: one batch of jobs becomes concurrent HTTP attempts and then
 * one transaction that records every attempt, moves every delivery on, schedules the
 * retries and tells subscribers. It throws when the database fails, and also when a
 * webhook's secret cannot be decrypted or a request cannot be signed (a wrong
 * HOOKYARD_SECRET_KEY); pg-boss then runs the whole batch again (at least once; the
 * `webhook-id` stays the same).
 */
export function createDeliverHandler(deps: DeliverDeps) {
  const secrets = new Map<string, string>();
  const decrypt = (stored: string) => {
    let plain = secrets.get(stored);
    if (!plain) {
      plain = decryptSecret(stored, deps.secretKey);
      secrets.set(stored, plain);
    }
    return plain;
  };

  function signingSecrets(row: sql.DeliveryRow, now: Date): string[] {
    const list = [decrypt(row.secret_encrypted)];
    if (row.previous_secret_encrypted && row.previous_secret_expires_at && row.previous_secret_expires_at > now) {
      list.push(decrypt(row.previous_secret_encrypted));
    }
    return list;
  }

  async function send(row: sql.DeliveryRow, manual: boolean, body: string): Promise<Sent> {
    const startedAt = new Date();
    const secretHeaders = Object.fromEntries(Object.entries(row.secret_headers ?? {}).map(([name, stored]) => [name, decrypt(stored)]));
    const headers: Record<string, string> = {
      ...row.headers,
      ...secretHeaders,
      'content-type': 'application/json',
      'user-agent': `Hookyard/${VERSION}`,
      'webhook-id': row.id,
      'webhook-timestamp': String(webhookTimestamp(startedAt)),
      'webhook-signature': signPayload({ secrets: signingSecrets(row, startedAt), messageId: row.id, timestamp: startedAt, body }),
    };
    const outcome = await sendAttempt({ url: row.url, headers, body, timeoutMs: row.timeout_ms, dispatcher: deps.dispatcher });
    // The attempt log keeps what was sent, but never a secret header's value.
    for (const name of Object.keys(secretHeaders)) headers[name] = SECRET_HEADER_MASK;
    return { row, manual, startedAt, headers, body, outcome };
  }

  /** Holds deliveries of paused or disabled webhooks; returns those whose webhook was resumed meanwhile. */
  async function hold(rows: sql.DeliveryRow[]): Promise<sql.DeliveryRow[]> {
    return withTransaction(deps.pool, async (client) => {
      const still = new Set((await client.query(sql.lockHoldingWebhooks([...new Set(rows.map((r) => r.webhook_id))]))).rows.map((r) => r.id as string));
      const held = rows.filter((r) => still.has(r.webhook_id));
      if (held.length) await client.query(sql.holdDeliveries(held.map((r) => r.id)));
      return rows.filter((r) => !still.has(r.webhook_id));
    });
  }

  /** Applies per-webhook rate limits: deliveries over the limit wait (never dropped) and count as throttled. */
  async function throttle(rows: sql.DeliveryRow[]): Promise<sql.DeliveryRow[]> {
    const allowed: sql.DeliveryRow[] = [];
    const delayed: { row: sql.DeliveryRow; at: Date }[] = [];
    const perWebhook = new Map<string, number>();
    for (const row of rows) {
      if (!row.rate_limit_per_second) {
        allowed.push(row);
        continue;
      }
      const waitMs = await deps.rateLimiter.waitMs(row.webhook_id, row.rate_limit_per_second);
      if (waitMs === 0) allowed.push(row);
      else {
        // Spread the backlog over the following seconds instead of retrying it all at once.
        const queued = perWebhook.get(row.webhook_id) ?? 0;
        perWebhook.set(row.webhook_id, queued + 1);
        delayed.push({ row, at: new Date(Date.now() + waitMs + Math.floor(queued / row.rate_limit_per_second) * 1000) });
      }
    }
    if (delayed.length) {
      await withTransaction(deps.pool, async (client) => {
        await client.query(sql.rescheduleDeliveries(delayed.map((d) => d.row.id), delayed.map((d) => d.at)));
        await deps.boss.insert(
          QUEUES.deliver,
          delayed.map((d) => deliverJob({ id: d.row.id, tenantId: d.row.tenant_id, attemptCount: d.row.attempt_count }, { startAfter: d.at })),
          { db: bossDb(client) },
        );
        const counts = new Map<string, { tenantId: string; webhookId: string; count: number }>();
        for (const { row } of delayed) {
          const entry = counts.get(row.webhook_id) ?? { tenantId: row.tenant_id, webhookId: row.webhook_id, count: 0 };
          entry.count++;
          counts.set(row.webhook_id, entry);
        }
        await client.query(sql.countThrottled([...counts.values()]));
      });
    }
    return allowed;
  }

  async function record(sent: Sent[]): Promise<void> {
    const now = new Date();
    const outcomes: sql.Outcome[] = [];
    const retries: { row: sql.DeliveryRow; at: Date }[] = [];
    const gone = new Set<string>();
    for (const s of sent) {
      const { row, outcome } = s;
      let status: sql.Outcome['status'];
      let nextAttemptAt: Date | null = null;
      if (outcome.ok) status = 'SUCCEEDED';
      else if (outcome.status === 410) {
        // The receiver says the endpoint is gone for good: stop here and disable the webhook.
        status = 'FAILED';
        gone.add(row.webhook_id);
      } else if (s.manual && !OPEN.has(row.status)) status = 'FAILED';
      else {
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
          retries.push({ row, at: nextAttemptAt });
        }
      }
      outcomes.push({
        deliveryId: row.id,
        previousCount: row.attempt_count,
        status,
        attemptedAt: s.startedAt,
        nextAttemptAt,
        responseStatus: outcome.status,
        error: outcome.ok ? null : (outcome.errorMessage ?? (outcome.status ? `HTTP ${outcome.status}` : null)),
      });
    }

    const { recorded, changes } = await withTransaction(deps.pool, async (client) => {
      // Webhook rows first, delivery rows second: the same lock order as a webhook's
      // own status changes (delete cancels deliveries), so the two never deadlock.
      await updateEndpointHealth(client, sent, gone);
      const won = new Set((await client.query(sql.applyOutcomes(outcomes))).rows.map((r) => r.id as string));
      const recorded = sent.filter((s) => won.has(s.row.id));
      if (recorded.length === 0) return { recorded, changes: [] as LiveUpdate[] };
      const attempts: sql.AttemptRow[] = recorded.map((s) => ({
        id: newId('Attempt'),
        tenantId: s.row.tenant_id,
        deliveryId: s.row.id,
        webhookId: s.row.webhook_id,
        attemptNumber: s.row.attempt_count + 1,
        trigger: s.manual ? 'MANUAL' : 'SCHEDULED',
        succeeded: s.outcome.ok,
        requestUrl: s.row.url,
        requestHeaders: s.headers,
        requestBody: s.body,
        responseStatus: s.outcome.status,
        responseHeaders: s.outcome.responseHeaders,
        responseBody: s.outcome.responseBody,
        responseBodyEncoding: s.outcome.responseBodyEncoding,
        responseTruncated: s.outcome.responseTruncated,
        errorKind: s.outcome.errorKind,
        errorMessage: s.outcome.errorMessage,
        durationMs: Math.round(s.outcome.durationMs),
        createdAt: s.startedAt,
      }));
      await client.query(sql.insertAttempts(attempts));
      const toRetry = retries.filter((r) => won.has(r.row.id));
      if (toRetry.length) {
        await deps.boss.insert(
          QUEUES.deliver,
          toRetry.map((r) => deliverJob({ id: r.row.id, tenantId: r.row.tenant_id, attemptCount: r.row.attempt_count + 1 }, { startAfter: r.at })),
          { db: bossDb(client) },
        );
      }
      const changes: LiveUpdate[] = [];
      for (const [i, s] of recorded.entries()) {
        changes.push({ kind: 'delivery', tenantId: s.row.tenant_id, id: s.row.id, webhookId: s.row.webhook_id, integratorId: s.row.integrator_id });
        changes.push({ kind: 'attempt', tenantId: s.row.tenant_id, id: attempts[i].id, webhookId: s.row.webhook_id, deliveryId: s.row.id, integratorId: s.row.integrator_id });
      }
      return { recorded, changes };
    }, { asynchronousCommit: true });
    // NOTIFY after the commit, not in it: PostgreSQL serialises committing transactions
    // that notify, which halved the commit rate under load. A lost notification only
    // delays a live view; the rows are already committed.
    if (changes.length) await deps.pool.query(notifyAfterCommitSql(changes)).catch((error) => deps.log.warn({ err: error }, 'change notification failed'));
    const statusOf = new Map(outcomes.map((o) => [o.deliveryId, o.status]));
    for (const s of recorded) {
      recordAttempt(s.outcome.ok ? 'success' : (s.outcome.errorKind ?? 'http_error'), s.outcome.durationMs);
      const status = statusOf.get(s.row.id)!;
      if (status !== 'RETRYING') recordDeliveryFinished(status);
    }
  }

  /** Success streaks, failure streaks, and disabling endpoints that are gone (410) or failing for 5 days. */
  async function updateEndpointHealth(client: pg.PoolClient, sent: Sent[], gone: Set<string>): Promise<void> {
    const healthy = [...new Set(sent.filter((s) => s.outcome.ok).map((s) => s.row.webhook_id))];
    const failing = [...new Set(sent.filter((s) => !s.outcome.ok).map((s) => s.row.webhook_id))].filter((id) => !healthy.includes(id));
    if (healthy.length) await client.query(sql.markWebhooksHealthy(healthy));
    const toDisable = new Map<string, { tenantId: string; reason: string }>();
    if (failing.length) {
      await client.query(sql.markWebhooksFailing(failing));
      for (const w of (await client.query(sql.webhooksFailingFor(failing, DISABLE_AFTER_FAILING_HOURS))).rows) {
        toDisable.set(w.id, { tenantId: w.tenant_id, reason: `no successful attempt for ${DISABLE_AFTER_FAILING_HOURS / 24} days while attempts kept failing` });
      }
    }
    for (const s of sent) if (gone.has(s.row.webhook_id)) toDisable.set(s.row.webhook_id, { tenantId: s.row.tenant_id, reason: 'the endpoint answered 410 Gone' });
    for (const [webhookId, { tenantId, reason }] of [...toDisable].sort(([a], [b]) => a.localeCompare(b))) {
      if (await transitionWebhook(client, deps.boss, { tenantId, webhookId, from: ['ACTIVE'], to: 'DISABLED', reason })) {
        deps.log.warn({ webhookId, reason }, 'webhook disabled');
      }
    }
  }

  async function lastManualAttempts(rows: sql.DeliveryRow[]): Promise<Map<string, number>> {
    if (rows.length === 0) return new Map();
    const found = await deps.pool.query<{ delivery_id: string; attempt_number: number }>(sql.lastManualAttempts(rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }))));
    return new Map(found.rows.map((r) => [r.delivery_id, r.attempt_number]));
  }

  return async function deliverBatch(jobs: Job<DeliverJob | DeliverJobV1>[]): Promise<void> {
    // One attempt per delivery per batch; a manual request wins over a scheduled one.
    const wanted = new Map<string, DeliverJob>();
    for (const { data } of jobs) {
      const job = readDeliverJob(data);
      const previous = wanted.get(job.deliveryId);
      if (!previous || (job.manual && !previous.manual)) wanted.set(job.deliveryId, job);
    }
    const { rows } = await deps.pool.query<sql.DeliveryRow>(sql.loadBatch([...wanted.keys()]));
    const manualDone = await lastManualAttempts(rows.filter((row) => wanted.get(row.id)!.manual));
    const toSend: sql.DeliveryRow[] = [];
    const toHold: sql.DeliveryRow[] = [];
    for (const row of rows) {
      const job = wanted.get(row.id)!;
      // Another attempt happened since a scheduled job was made: it is spent. A manual
      // request stands until a manual attempt after it was recorded (one scheduled may
      // have been in flight when it was asked for; a job run again must not resend).
      if (job.manual ? (manualDone.get(row.id) ?? 0) > job.attemptCount : job.attemptCount !== row.attempt_count) continue;
      if (row.webhook_status === 'DELETED' || row.status === 'CANCELLED') continue;
      if (job.manual) toSend.push(row);
      else if (!OPEN.has(row.status)) continue;
      else if (row.webhook_status !== 'ACTIVE') toHold.push(row);
      else toSend.push(row);
    }
    if (toHold.length) toSend.push(...(await hold(toHold)));
    const manual = new Set(toSend.filter((r) => wanted.get(r.id)!.manual).map((r) => r.id));
    const sendable = [...toSend.filter((r) => manual.has(r.id)), ...(await throttle(toSend.filter((r) => !manual.has(r.id))))];
    if (sendable.length === 0) return;

    const bodies = new Map<string, string>();
    const bodyOf = (row: sql.DeliveryRow) => {
      let body = bodies.get(row.event_id);
      if (!body) {
        body = cloudEventBody({ id: row.event_id, source: row.source, type: row.event_type, occurredAt: row.occurred_at, payload: row.payload });
        bodies.set(row.event_id, body);
      }
      return body;
    };
    const sent = await Promise.all(sendable.map((row) => send(row, manual.has(row.id), bodyOf(row))));
    await record(sent);
  };
}
