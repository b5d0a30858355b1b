// Processing one queued inbound request: its parsed item is published as an event of the
// hook's type with publishCalls, the same atomic publish as publishEvent. The idempotency
// key `inbound:<request id>` makes a second run (a worker that died after publishing)
// find the first event instead of making another; the request then records it.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Logger } from '../../infra/logger.ts';
import { checkCall, publishCalls } from '../publishing/publish-events.ts';
import { HookyardError } from '../errors.ts';
import * as sql from '../sql/inbound.ts';
import { notifyAfterCommitSql } from '../sql/live-updates.ts';
import { contextOf, inSpan } from '../../infra/trace.ts';

export interface ProcessDeps {
  pool: pg.Pool;
  boss: PgBoss;
  log: Logger;
  payloadLimitBytes: number;
}

export type ProcessOutcome = { kind: 'processed'; eventId: string } | { kind: 'failed'; message: string } | { kind: 'gone' };

interface QueuedRow {
  id: string;
  tenant_id: string;
  hook_id: string;
  parsed: unknown;
  received_at: Date;
  event_type: string;
  hook_status: string;
  /** The caller's trace, stored when the request came in (while tracing was on). */
  trace_parent: string | null;
}

/** The idempotency key of the event a request publishes. */
export function inboundIdempotencyKey(requestId: string): string {
  return `inbound:${requestId}`;
}

/**
 * Publishes one queued request and records the outcome on it. A user-fixable failure
 * (unregistered type, schema refusal, deliveries off, payload too large) is the request's
 * recorded outcome; anything else throws, and pg-boss runs the job again.
 */
export async function processInboundRequest(deps: ProcessDeps, tenantId: string, requestId: string): Promise<ProcessOutcome> {
  const row = (await deps.pool.query<QueuedRow>(sql.queuedRequestForProcessing(tenantId, requestId))).rows[0];
  // Gone (deleted, processed by another run), or its hook no longer processes: it stays as it is.
  if (!row || row.hook_status !== 'ACTIVE') return { kind: 'gone' };
  return inCallerSpan(tenantId, row, () => publishRequest(deps, tenantId, row));
}

/** Runs the processing of one request in the caller's trace: the event, and its deliveries' attempts, continue it. */
function inCallerSpan<T>(tenantId: string, row: QueuedRow, fn: () => Promise<T>): Promise<T> {
  return inSpan(
    'hookyard process inbound request',
    { parent: contextOf(row.trace_parent), attributes: { 'hookyard.tenant.id': tenantId, 'hookyard.inbound_request.id': row.id, 'hookyard.inbound_hook.id': row.hook_id } },
    fn,
  );
}

async function publishRequest(deps: ProcessDeps, tenantId: string, row: QueuedRow): Promise<ProcessOutcome> {
  let outcome: ProcessOutcome;
  let warning: string | null = null;
  try {
    const call = checkCall(
      [{ type: row.event_type, payload: row.parsed ?? {}, source: `/inbound/${row.hook_id}`, idempotencyKey: inboundIdempotencyKey(row.id), occurredAt: new Date(row.received_at) }],
      () => 'item',
      deps.payloadLimitBytes,
    );
    const [result] = await publishCalls(deps, tenantId, [call]);
    if (result instanceof HookyardError) throw result;
    const published = result[0];
    if (!published.duplicate && published.deliveryCount === 0) warning = `the event ${published.eventId} reached no webhook: none listens to ${row.event_type}`;
    outcome = { kind: 'processed', eventId: published.eventId };
  } catch (error) {
    if (!(error instanceof HookyardError)) throw error;
    outcome = { kind: 'failed', message: `not published: ${error.message}` };
  }
  const marked = outcome.kind === 'processed'
    ? await deps.pool.query(sql.markProcessed(tenantId, row.id, outcome.eventId, warning))
    : await deps.pool.query(sql.markFailed(tenantId, row.id, outcome.message));
  if (marked.rowCount) {
    await deps.pool.query(notifyAfterCommitSql([{ kind: 'inboundRequest', tenantId, id: row.id, webhookId: row.hook_id }])).catch((error) => deps.log.warn({ err: error }, 'notifying a processed inbound request failed'));
  }
  return outcome;
}

/**
 * Publishes a batch of queued requests of one tenant in one publishCalls transaction (each
 * request its own call: a refusal fails that request only) and records every outcome in
 * one statement. Requests no longer queued, or whose hook no longer processes, are left.
 */
export async function processInboundBatch(deps: ProcessDeps, tenantId: string, requestIds: string[]): Promise<void> {
  const rows = (await deps.pool.query<QueuedRow>(sql.queuedRequestsForProcessing(tenantId, requestIds))).rows.filter((r) => r.hook_status === 'ACTIVE');
  if (!rows.length) return;
  // A batch of one is processed in its caller's trace; a larger one publishes each event in its own caller's.
  if (rows.length === 1) return inCallerSpan(tenantId, rows[0], () => publishBatch(deps, tenantId, rows));
  return publishBatch(deps, tenantId, rows);
}

async function publishBatch(deps: ProcessDeps, tenantId: string, rows: QueuedRow[]): Promise<void> {
  const outcomes: { id: string; eventId: string | null; warning: string | null; failure: string | null }[] = [];
  const calls: { row: QueuedRow; call: ReturnType<typeof checkCall> }[] = [];
  for (const row of rows) {
    try {
      calls.push({
        row,
        call: checkCall(
          [{ type: row.event_type, payload: row.parsed ?? {}, source: `/inbound/${row.hook_id}`, idempotencyKey: inboundIdempotencyKey(row.id), occurredAt: new Date(row.received_at) }],
          () => 'item',
          deps.payloadLimitBytes,
        ),
      });
      calls.at(-1)!.call.traceParent ??= row.trace_parent;
    } catch (error) {
      if (!(error instanceof HookyardError)) throw error;
      outcomes.push({ id: row.id, eventId: null, warning: null, failure: `not published: ${error.message}` });
    }
  }
  if (calls.length) {
    let results: Awaited<ReturnType<typeof publishCalls>>;
    try {
      results = await publishCalls(deps, tenantId, calls.map((c) => c.call));
    } catch (error) {
      if (!(error instanceof HookyardError)) throw error;
      results = calls.map(() => error);
    }
    results.forEach((result, i) => {
      const { row } = calls[i];
      if (result instanceof HookyardError) return void outcomes.push({ id: row.id, eventId: null, warning: null, failure: `not published: ${result.message}` });
      const published = result[0];
      const warning = !published.duplicate && published.deliveryCount === 0 ? `the event ${published.eventId} reached no webhook: none listens to ${row.event_type}` : null;
      outcomes.push({ id: row.id, eventId: published.eventId, warning, failure: null });
    });
  }
  const marked = (await deps.pool.query<{ id: string; hook_id: string }>(sql.recordOutcomes(tenantId, outcomes))).rows;
  if (marked.length) {
    await deps.pool
      .query(notifyAfterCommitSql(marked.map((m) => ({ kind: 'inboundRequest' as const, tenantId, id: m.id, webhookId: m.hook_id }))))
      .catch((error) => deps.log.warn({ err: error }, 'notifying processed inbound requests failed'));
  }
}
