// The transport-neutral half of receiving: once an HTTP route (or the mail listener) has
// read and parsed a call, decide its answer, log it, and queue it with its
// processing job in one transaction, or log its refusal. Shared by every kind of hook.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { newId } from '../ids.ts';
import { QUEUES, inboundDrainJob, inboundRequestJob } from '../jobs.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import type { Logger } from '../../infra/logger.ts';
import * as sql from '../sql/inbound.ts';
import { notifyAfterCommitSql } from '../sql/live-updates.ts';
import { payloadSchemaErrors } from '../rules/payload-schema.ts';
import { escapeUnstorable, textProblem } from '../rules/text.ts';
import { determineDataStructure } from './determine-structure.ts';
import type { InboundRequestStatus } from '../../schema/entities/InboundRequest.ts';
import type { LiveUpdate } from '../live-updates/live-update.ts';
import { inboundHookUpdate } from '../live-updates/notify.ts';
import { activeTraceparent } from '../../infra/trace.ts';
import { insertIntoQueue } from './queue-slot.ts';
import { answerFromProcessing, answersFromProcessing, type AnswerWaitConfig } from './answer-from-processing.ts';

/** An inbound_hook row as selected (snake_case). */
export interface HookRow {
  id: string;
  tenant_id: string;
  kind: 'HTTP' | 'MAIL';
  name: string;
  token: string;
  event_type: string;
  processing_mode: 'IMMEDIATE' | 'SEQUENTIAL' | 'SCHEDULED';
  schedule_interval_seconds: number | null;
  schedule_batch_size: number | null;
  queue_limit: number;
  data_structure: Record<string, unknown> | null;
  redetermine_pending: boolean;
  validate_data_structure: boolean;
  ip_allowlist: string[];
  rate_limit_per_second: number | null;
  include_headers: boolean;
  include_method: boolean;
  json_passthrough: boolean;
  response_status: number | null;
  response_body: string | null;
  response_headers: Record<string, string>;
  answer_mode: 'STATIC' | 'FROM_PROCESSING';
  failure_response_body: string | null;
  confidential: boolean;
  status: 'ACTIVE' | 'STOPPED' | 'EXPIRED' | 'DELETED';
  status_reason: string | null;
  failed_runs: number;
  last_run_at: Date | null;
  deleted_at: Date | null;
  /** Items waiting in its queue when the row was read, counted up to queue_limit. */
  queued?: number;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The call as the transport saw it. */
export interface ReceivedCall {
  kind: 'HTTP' | 'MAIL';
  receivedAt: Date;
  method: string;
  url: string;
  remoteAddress: string | null;
  headers: Record<string, string | string[]>;
  query: Record<string, unknown>;
  /** Null when the body was not read (refused before it). */
  body: Buffer | null;
  bodySize: number;
}

export interface AcceptDeps {
  pool: pg.Pool;
  boss: PgBoss;
  log: Logger;
  config: AnswerWaitConfig;
  /** How the transport states an answer (accepted or a refusal), logged and sent as such (mail: an SMTP reply); unset, as it is. */
  answerAs?: (answer: Answer, accepted: boolean) => Answer;
}

/** The answer's text when the hook's queue limit is reached. */
export const QUEUE_FULL = 'Queue is full';

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

export function textAnswer(status: number, body: string, headers: Record<string, string> = {}): Answer {
  return { status, headers: { ...TEXT, ...headers }, body };
}

/** The default answer, or the hook's custom response. */
export function acceptedAnswer(hook: HookRow): Answer {
  if (hook.response_status === null && hook.response_body === null && Object.keys(hook.response_headers).length === 0) return textAnswer(200, 'Accepted');
  const headers = Object.keys(hook.response_headers).some((h) => h.toLowerCase() === 'content-type') ? hook.response_headers : { ...TEXT, ...hook.response_headers };
  return { status: hook.response_status ?? 200, headers, body: hook.response_body ?? (hook.response_status === null ? 'Accepted' : '') };
}

/** 410 for a hook that no longer receives: why, in words. */
export function goneAnswer(hook: HookRow): Answer | null {
  if (hook.status === 'DELETED') return textAnswer(410, `Gone: this inbound hook was deleted${hook.deleted_at ? ` on ${new Date(hook.deleted_at).toISOString()}` : ''}.`);
  if (hook.status === 'EXPIRED') return textAnswer(410, `Gone: this inbound hook ${hook.status_reason ?? 'expired'}.`);
  return null;
}

/** What in a JSON value PostgreSQL's jsonb cannot store (a NUL, invalid Unicode), as a path and the problem; null when nothing. */
export function unstorable(value: unknown, path = 'item', depth = 0): string | null {
  if (depth > 200) return `${path} nests deeper than 200 levels`;
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? `${path} ${problem}` : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = unstorable(value[i], `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const problem = textProblem(key) ? `${path} has a key that ${textProblem(key)}` : unstorable(item, `${path}.${key}`, depth + 1);
      if (problem) return problem;
    }
  }
  return null;
}

function storableJson(value: unknown): unknown {
  return unstorable(value) ? null : value;
}

/** What a confidential hook's refusal keeps of the call: no headers, query or body (a refused request is never processed, so nothing would delete them later). */
function withoutData(call: ReceivedCall): ReceivedCall {
  return { ...call, url: call.url.split('?')[0], headers: {}, query: {}, body: null };
}

/**
 * Logs a refused call (it is never queued) and returns the answer as logged: a message or
 * answer that quotes the sender's input keeps no NUL or unpaired surrogate, which
 * PostgreSQL text refuses, so every refusal has its log entry. A confidential hook's
 * refusal keeps the metadata only.
 */
export async function logRefusal(deps: AcceptDeps, hook: HookRow, call: ReceivedCall, given: Answer, refusalMessage: string, parsed: unknown = null): Promise<Answer> {
  const refusal = deps.answerAs ? deps.answerAs(given, false) : given;
  const id = newId('InboundRequest');
  const answer = { ...refusal, body: escapeUnstorable(refusal.body) };
  const message = escapeUnstorable(refusalMessage);
  if (hook.confidential) {
    call = withoutData(call);
    parsed = null;
  }
  try {
    await deps.pool.query(
      sql.insertRequest({
        traceParent: activeTraceparent(),
        id,
        tenantId: hook.tenant_id,
        hookId: hook.id,
        kind: call.kind,
        receivedAt: call.receivedAt,
        method: call.method,
        url: call.url,
        remoteAddress: call.remoteAddress,
        headers: call.headers,
        query: storableJson(call.query) as Record<string, unknown> ?? {},
        body: call.body,
        bodySize: call.bodySize,
        parsed: parsed === null ? null : storableJson(parsed),
        state: 'REFUSED',
        status: 'ERROR',
        message,
        responseStatus: answer.status,
        responseHeaders: answer.headers,
        responseBody: answer.body,
        confidential: hook.confidential,
      }),
    );
    notify(deps, [{ kind: 'inboundRequest', tenantId: hook.tenant_id, id, webhookId: hook.id }]);
  } catch (error) {
    // The answer stands whether or not its log entry could be written.
    deps.log.warn({ err: error, hookId: hook.id }, 'could not log a refused inbound request');
  }
  return answer;
}

function notify(deps: AcceptDeps, updates: LiveUpdate[], wakeProcessing: sql.InboundWake | null = null): void {
  void deps.pool.query(sql.notifyAcceptedSql(notifyAfterCommitSql(updates), wakeProcessing)).catch((error) => deps.log.warn({ err: error }, 'notifying an inbound request failed'));
}

/** When a SCHEDULED hook's next run may start: an interval after the last one, or now. */
export function nextRunAt(hook: Pick<HookRow, 'last_run_at' | 'schedule_interval_seconds'>, now: Date): Date {
  if (!hook.last_run_at) return now;
  const next = new Date(new Date(hook.last_run_at).getTime() + (hook.schedule_interval_seconds ?? 60) * 1000);
  return next > now ? next : now;
}

/**
 * Checks the parsed item against the hook's data structure and queue limit; queues it with
 * its job (one transaction) and answers 200 (or the custom response), else logs the refusal
 * and answers 400. A hook that answers from processing publishes it before answering
 * (answer-from-processing.ts). A pending re-determination takes this item as the new structure.
 */
export async function acceptItem(deps: AcceptDeps, hook: HookRow, call: ReceivedCall, item: unknown): Promise<Answer> {
  let status: InboundRequestStatus = 'SUCCESS';
  let message: string | null = null;
  const problem = unstorable({ item, query: call.query }, 'the request');
  if (problem) {
    const text = `Bad Request: ${problem.replace(/^the request\.(item|query)/, '$1')}; send it encoded (base64, for instance).`;
    return logRefusal(deps, hook, call, textAnswer(400, text), text);
  }
  const storable = item;
  if (hook.data_structure && !hook.redetermine_pending) {
    const errors = payloadSchemaErrors(hook.data_structure, item);
    if (errors) {
      if (hook.validate_data_structure) {
        const text = `The item does not match the data structure: ${errors.replaceAll('payload', 'item')}`;
        return logRefusal(deps, hook, call, textAnswer(400, text), text, storable);
      }
      status = 'WARNING';
      message = `the item does not match the data structure (validation is off, so it was accepted): ${errors.replaceAll('payload', 'item')}`;
    }
  }
  const queueFull = () => logRefusal(deps, hook, call, textAnswer(400, QUEUE_FULL), `Queue is full: ${hook.queue_limit} items wait (the hook's queue limit)`, storable);
  // The count read with the hook refuses a full queue at once; the slot taken below is what keeps the limit exact.
  const count = hook.queued ?? (await deps.pool.query<{ count: number }>(sql.queuedCount(hook.tenant_id, hook.id, hook.queue_limit))).rows[0].count;
  if (count >= hook.queue_limit) return queueFull();
  const answer = deps.answerAs ? deps.answerAs(acceptedAnswer(hook), true) : acceptedAnswer(hook);
  const id = newId('InboundRequest');
  const fromProcessing = answersFromProcessing(hook);
  let determined = false;
  const queued = await withTransaction(deps.pool, async (client) => {
    const inserted = await insertIntoQueue(
      client,
      hook,
      {
        traceParent: activeTraceparent(),
        id,
        tenantId: hook.tenant_id,
        hookId: hook.id,
        kind: call.kind,
        receivedAt: call.receivedAt,
        method: call.method,
        url: call.url,
        remoteAddress: call.remoteAddress,
        headers: call.headers,
        query: call.query,
        body: call.body,
        bodySize: call.bodySize,
        parsed: storable,
        state: 'QUEUED',
        status,
        message,
        responseStatus: answer.status,
        responseHeaders: answer.headers,
        responseBody: answer.body,
        confidential: hook.confidential,
      },
    );
    if (!inserted) return false;
    if (hook.redetermine_pending) determined = (await client.query(sql.storeDeterminedStructure(hook.tenant_id, hook.id, determineDataStructure(item)))).rowCount === 1;
    const db = { db: bossDb(client) };
    // A STOPPED hook still queues; processing waits until it is started again.
    if (hook.status !== 'ACTIVE') return true;
    // Answered from processing: this process publishes it now; its job is due only when the wait ends, in case it could not.
    if (fromProcessing) await deps.boss.insert(QUEUES.inboundRequest, [{ ...inboundRequestJob({ id, tenantId: hook.tenant_id }), startAfter: new Date(Date.now() + deps.config.inboundAnswerWaitMs) }], db);
    else if (hook.processing_mode === 'IMMEDIATE') await deps.boss.insert(QUEUES.inboundRequest, [inboundRequestJob({ id, tenantId: hook.tenant_id })], db);
    else if (hook.processing_mode === 'SEQUENTIAL') await deps.boss.insert(QUEUES.inboundDrain, [inboundDrainJob({ id: hook.id, tenantId: hook.tenant_id })], db);
    else await deps.boss.insert(QUEUES.inboundDrain, [inboundDrainJob({ id: hook.id, tenantId: hook.tenant_id }, nextRunAt(hook, call.receivedAt))], db);
    return true;
  });
  if (!queued) return queueFull();
  const wake = hook.status !== 'ACTIVE' || fromProcessing ? null : hook.processing_mode === 'IMMEDIATE' ? 'request' : hook.processing_mode === 'SEQUENTIAL' ? 'drain' : null;
  notify(deps, [{ kind: 'inboundRequest', tenantId: hook.tenant_id, id, webhookId: hook.id }, ...(determined ? [inboundHookUpdate({ id: hook.id, tenantId: hook.tenant_id })] : [])], wake);
  return fromProcessing ? answerFromProcessing(deps, hook, id) : answer;
}
