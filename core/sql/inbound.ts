// SQL of inbound hooks: the accept path (find the hook by token, count its queue, log the
// request), processing (take queued items, record their outcome, scheduled runs), the
// expiry sweep, and the log's pages. Every statement filters by tenant or by a key that
// only one tenant's row has (the token, a request id taken from the tenant's own job).
import { afterCursor, cursorColumns, orderBy, Params, timeText, type Direction, type Term } from './keyset.ts';

/**
 * The hook row the accept path reads by token (all columns, snake_case), with how many
 * items wait in its queue, counted no further than its queue limit (the partial index on
 * QUEUED rows makes that a short index scan): one round trip for both.
 */
export function hookByToken(token: string) {
  return {
    text: `select h.*, (select count(*)::int from (select 1 from inbound_request r where r.hook_id = h.id and r.tenant_id = h.tenant_id and r.state = 'QUEUED' limit h.queue_limit) q) as queued
      from inbound_hook h where h.token = $1`,
    values: [token],
  };
}

/**
 * How many items wait in the hook's queue, counting no further than `limit` (the partial
 * index on QUEUED rows makes this a short index scan, never a count of the whole log).
 */
export function queuedCount(tenantId: string, hookId: string, limit: number) {
  return {
    text: `select count(*)::int as count from (select 1 from inbound_request where hook_id = $2 and tenant_id = $1 and state = 'QUEUED' limit $3) q`,
    values: [tenantId, hookId, limit],
  };
}

/** The lowest queue slot of a hook that no committed queued item holds; none when all `limit` are held. */
export function firstFreeQueueSlot(tenantId: string, hookId: string, limit: number) {
  return {
    text: `select s as slot from generate_series(0, $3::int - 1) s
      where not exists (select 1 from inbound_request r where r.tenant_id = $1 and r.hook_id = $2 and r.state = 'QUEUED' and r.queue_slot = s) limit 1`,
    values: [tenantId, hookId, limit],
  };
}

/**
 * After the queue limit was lowered to `limit`: waiting items that hold slots at or above it
 * move into the free slots below it, oldest first, as many as fit; the rest stay above it
 * (overflow, which the inbound_queue_slot_freed trigger moves in as slots free up).
 */
export function fitQueueToLimit(tenantId: string, hookId: string, limit: number) {
  return {
    text: `with free as (
        select s as slot, row_number() over (order by s) as n from generate_series(0, $3::int - 1) s
        where not exists (select 1 from inbound_request r where r.tenant_id = $1 and r.hook_id = $2 and r.state = 'QUEUED' and r.queue_slot = s)),
      outside as (
        select id, row_number() over (order by received_at, id) as n from inbound_request
        where tenant_id = $1 and hook_id = $2 and state = 'QUEUED' and queue_slot >= $3::int)
      update inbound_request r set queue_slot = free.slot from outside join free using (n) where r.tenant_id = $1 and r.id = outside.id`,
    values: [tenantId, hookId, limit],
  };
}

export interface NewInboundRequest {
  id: string;
  tenantId: string;
  hookId: string;
  kind: 'HTTP' | 'MAIL';
  receivedAt: Date;
  method: string;
  url: string;
  remoteAddress: string | null;
  headers: Record<string, string | string[]>;
  query: Record<string, unknown>;
  body: Buffer | null;
  bodySize: number;
  parsed: unknown;
  state: 'QUEUED' | 'REFUSED';
  status: 'SUCCESS' | 'WARNING' | 'ERROR';
  message: string | null;
  responseStatus: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
  /** The W3C traceparent of the request's span, while tracing is on: its event joins that trace. */
  traceParent?: string | null;
  /** Its hook's data is confidential: processing deletes what was received. */
  confidential: boolean;
  /** QUEUED: the queue slot it holds (core/inbound/queue-slot.ts). */
  queueSlot?: number;
}

export function insertRequest(r: NewInboundRequest) {
  return {
    // A slot another queued item holds: nothing is inserted (no row returned).
    text: `insert into inbound_request (id, tenant_id, hook_id, kind, received_at, method, url, remote_address, headers, query, body, body_size, parsed, state, status, message, response_status, response_headers, response_body, confidential, queue_slot, trace_parent)
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13::jsonb, $14, $15, $16, $17, $18::jsonb, $19, $20, $21, $22)
      on conflict (tenant_id, hook_id, queue_slot) where state = 'QUEUED' do nothing returning id`,
    values: [
      r.id, r.tenantId, r.hookId, r.kind, r.receivedAt, r.method, r.url, r.remoteAddress, JSON.stringify(r.headers), JSON.stringify(r.query), r.body, r.bodySize,
      r.parsed === undefined ? null : JSON.stringify(r.parsed), r.state, r.status, r.message, r.responseStatus, JSON.stringify(r.responseHeaders), r.responseBody, r.confidential, r.queueSlot ?? null, r.traceParent ?? null,
    ],
  };
}

/** The answer actually sent, when it was decided after the request was logged (a hook that answers from processing). */
export function recordAnswer(tenantId: string, requestId: string, answer: { status: number; headers: Record<string, string>; body: string }) {
  return {
    text: 'update inbound_request set response_status = $3, response_headers = $4::jsonb, response_body = $5 where tenant_id = $1 and id = $2',
    values: [tenantId, requestId, answer.status, JSON.stringify(answer.headers), answer.body],
  };
}

/** Stores a determined data structure, once: only while a re-determination is pending. */
export function storeDeterminedStructure(tenantId: string, hookId: string, structure: unknown) {
  return {
    text: `update inbound_hook set data_structure = $3::jsonb, data_structure_source = 'DETERMINED', redetermine_pending = false, updated_at = now()
      where tenant_id = $1 and id = $2 and redetermine_pending returning id`,
    values: [tenantId, hookId, JSON.stringify(structure)],
  };
}

// ---- processing -----------------------------------------------------------------------

/** A queued request with what processing needs of its hook; two runs that take it both publish the same event (idempotent per request). */
export function queuedRequestForProcessing(tenantId: string, requestId: string) {
  return {
    text: `select r.id, r.tenant_id, r.hook_id, r.parsed, r.received_at, r.trace_parent, h.event_type, h.status as hook_status
      from inbound_request r join inbound_hook h on h.id = r.hook_id and h.tenant_id = r.tenant_id
      where r.tenant_id = $1 and r.id = $2 and r.state = 'QUEUED'`,
    values: [tenantId, requestId],
  };
}

/** The oldest queued requests of a hook, in arrival order. */
export function oldestQueued(tenantId: string, hookId: string, limit: number) {
  return {
    text: `select id from inbound_request where tenant_id = $1 and hook_id = $2 and state = 'QUEUED' order by received_at, id limit $3`,
    values: [tenantId, hookId, limit],
  };
}

/**
 * Set clauses of a processed (or failed) request `r` of hook `h`: when the request was
 * received as confidential, or its hook is confidential now, what was received is deleted
 * (body, query, headers, parsed item, and the query string in the URL); time, size,
 * status, answer and event stay.
 */
const ERASE_IF_CONFIDENTIAL = (() => {
  const erase = 'r.confidential or h.confidential';
  return `confidential = ${erase},
        body = case when ${erase} then null else r.body end,
        query = case when ${erase} then '{}'::jsonb else r.query end,
        headers = case when ${erase} then '{}'::jsonb else r.headers end,
        parsed = case when ${erase} then null else r.parsed end,
        url = case when ${erase} then split_part(r.url, '?', 1) else r.url end`;
})();

export function markProcessed(tenantId: string, requestId: string, eventId: string, warning: string | null) {
  return {
    text: `update inbound_request r set state = 'PROCESSED', event_id = $3, processed_at = now(),
        status = case when r.status = 'WARNING' or $4::text is not null then 'WARNING' else 'SUCCESS' end,
        message = coalesce(r.message, $4::text), ${ERASE_IF_CONFIDENTIAL}
      from inbound_hook h where h.id = r.hook_id and h.tenant_id = r.tenant_id
        and r.tenant_id = $1 and r.id = $2 and r.state = 'QUEUED' returning r.id, r.hook_id`,
    values: [tenantId, requestId, eventId, warning],
  };
}

export function markFailed(tenantId: string, requestId: string, message: string) {
  return {
    text: `update inbound_request r set state = 'FAILED', status = 'ERROR', message = $3, processed_at = now(), ${ERASE_IF_CONFIDENTIAL}
      from inbound_hook h where h.id = r.hook_id and h.tenant_id = r.tenant_id
        and r.tenant_id = $1 and r.id = $2 and r.state = 'QUEUED' returning r.id, r.hook_id`,
    values: [tenantId, requestId, message],
  };
}

/** The hook as a drain sees it. */
export function hookForDrain(tenantId: string, hookId: string) {
  return { text: 'select * from inbound_hook where tenant_id = $1 and id = $2', values: [tenantId, hookId] };
}

export const MAX_FAILED_RUNS = 3;

/**
 * Records a scheduled run: a failed one counts up (the third in a row stops the hook,
 * with the reason), a good one resets the count.
 */
export function recordScheduledRun(tenantId: string, hookId: string, failure: string | null) {
  return {
    text: `update inbound_hook set last_run_at = now(),
        failed_runs = case when $3::text is null then 0 else failed_runs + 1 end,
        status = case when $3::text is not null and failed_runs + 1 >= ${MAX_FAILED_RUNS} and status = 'ACTIVE' then 'STOPPED' else status end,
        status_reason = case when $3::text is not null and failed_runs + 1 >= ${MAX_FAILED_RUNS} and status = 'ACTIVE'
          then 'stopped after ${MAX_FAILED_RUNS} failed runs in a row; the last: ' || $3::text else status_reason end,
        updated_at = now()
      where tenant_id = $1 and id = $2 returning status, failed_runs`,
    values: [tenantId, hookId, failure],
  };
}

// ---- expiry ---------------------------------------------------------------------------

/**
 * The expiry sweep at time `now`, first step: an ACTIVE or STOPPED hook that some active
 * webhook listens to (exact type, a matching `resource.*`, or `*`) is heard; one that none
 * does starts (or keeps) its unheard_since.
 */
export function markUnheardHooks(now: Date) {
  const listened = `exists (select 1 from webhook w where w.tenant_id = h.tenant_id and w.status = 'ACTIVE'
      and exists (select 1 from unnest(w.event_types) p where p = '*' or p = h.event_type
        or (right(p, 2) = '.*' and starts_with(h.event_type, left(p, -1)))))`;
  return {
    text: `update inbound_hook h set unheard_since = case when ${listened} then null else coalesce(h.unheard_since, $1::timestamptz) end
      where h.status in ('ACTIVE', 'STOPPED') and (h.unheard_since is null) <> ${listened}`,
    values: [now],
  };
}

/** Second step: a hook unheard for `expireAfterMs` at `now` expires, with the reason. Returns the hooks that expired. */
export function expireUnheardHooks(now: Date, expireAfterMs: number) {
  return {
    text: `update inbound_hook h set status = 'EXPIRED', expired_at = $1::timestamptz, updated_at = now(),
        status_reason = 'expired: no active webhook listened to ' || h.event_type || ' for ' || ($2::bigint / 3600000) || ' h (since ' || to_char(h.unheard_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')'
      where h.status in ('ACTIVE', 'STOPPED') and h.unheard_since is not null and h.unheard_since <= $1::timestamptz - ($2::bigint * interval '1 millisecond')
      returning h.id, h.tenant_id, h.name, h.event_type, h.status_reason`,
    values: [now, expireAfterMs],
  };
}

// ---- the log and the queue ------------------------------------------------------------

export interface InboundLogFilter {
  hookId?: string;
  statuses?: string[];
  states?: string[];
  receivedFrom?: Date;
  receivedTo?: Date;
}

function conditions(params: Params, tenantId: string, f: InboundLogFilter): string[] {
  const where = [`r.tenant_id = ${params.add(tenantId)}`];
  if (f.hookId) where.push(`r.hook_id = ${params.add(f.hookId)}`);
  if (f.statuses) where.push(`r.status = any(${params.add(f.statuses, 'text[]')})`);
  if (f.states) where.push(`r.state = any(${params.add(f.states, 'text[]')})`);
  if (f.receivedFrom) where.push(`r.received_at >= ${params.add(f.receivedFrom, 'timestamptz')}`);
  if (f.receivedTo) where.push(`r.received_at < ${params.add(f.receivedTo, 'timestamptz')}`);
  return where;
}

function newestFirst(backward: boolean): Term[] {
  const direction: Direction = backward ? 'ASC' : 'DESC';
  return [
    { sql: (a) => `${a}.received_at`, type: 'timestamptz', direction, cursorSql: (a) => timeText(`${a}.received_at`) },
    { sql: (a) => `${a}.id`, type: 'text', direction, cursorSql: (a) => `${a}.id` },
  ];
}

/** A page of the log, newest first (the body left out: the detail loads it). */
export function requestPage(args: { tenantId: string; filter: InboundLogFilter; backward: boolean; cursor: unknown[] | null; inclusive?: boolean; limit: number }) {
  const params = new Params();
  const terms = newestFirst(args.backward);
  const where = conditions(params, args.tenantId, args.filter);
  if (args.cursor) where.push(afterCursor(terms, args.cursor, params, 'r', args.inclusive));
  return {
    text: `select r.id, r.tenant_id, r.hook_id, r.kind, r.received_at, r.method, r.url, r.remote_address, r.headers, r.query, null::bytea as body, r.body_size, r.parsed,
        r.state, r.status, r.message, r.response_status, r.response_headers, r.response_body, r.event_id, r.processed_at, r.confidential, ${cursorColumns(terms, 'r')}
      from inbound_request r where ${where.join(' and ')} order by ${orderBy(terms, 'r')} limit ${params.add(args.limit, 'int')}`,
    values: params.values,
  };
}

export function countRequests(tenantId: string, filter: InboundLogFilter) {
  const params = new Params();
  return { text: `select count(*)::bigint as count from inbound_request r where ${conditions(params, tenantId, filter).join(' and ')}`, values: params.values };
}

/** Deletes these requests of the tenant (log entries or queue items); returns the ids and hooks deleted. */
export function deleteRequests(tenantId: string, ids: string[]) {
  return { text: 'delete from inbound_request where tenant_id = $1 and id = any($2::text[]) returning id, hook_id', values: [tenantId, ids] };
}

/** Empties a hook's queue: every QUEUED item is deleted. */
export function clearQueue(tenantId: string, hookId: string) {
  return { text: `delete from inbound_request where tenant_id = $1 and hook_id = $2 and state = 'QUEUED' returning id`, values: [tenantId, hookId] };
}

/** When each hook last received a request, and how many items wait in its queue. */
export function hookActivity(tenantId: string, hookIds: string[]) {
  return {
    text: `select h.id,
        (select max(r.received_at) from inbound_request r where r.tenant_id = h.tenant_id and r.hook_id = h.id) as last_request_at,
        (select count(*)::int from inbound_request r where r.hook_id = h.id and r.tenant_id = h.tenant_id and r.state = 'QUEUED') as queued
      from inbound_hook h where h.tenant_id = $1 and h.id = any($2::text[])`,
    values: [tenantId, hookIds],
  };
}

/** The raw body of one request (the log's pages leave it out). */
export function requestBody(tenantId: string, id: string) {
  return { text: 'select body from inbound_request where tenant_id = $1 and id = $2', values: [tenantId, id] };
}

/** The channel that wakes the inbound processing loops (after an accept commits). */
export const INBOUND_WAKEUP_CHANNEL = 'hookyard_inbound_wakeup';

/** Which loops a wake-up is for: IMMEDIATE requests, or SEQUENTIAL drains. */
export type InboundWake = 'request' | 'drain';

/** The live updates of accepted requests and the inbound wake-up, as one transaction after the accepting one. */
export function notifyAcceptedSql(liveUpdatesSql: string, wake: InboundWake | null): string {
  return wake ? liveUpdatesSql.replace(/;\s*commit$/, `; select pg_notify('${INBOUND_WAKEUP_CHANNEL}', '${wake}'); commit`) : liveUpdatesSql;
}

/** Queued requests with what processing needs of their hooks (one query for a batch of jobs). */
export function queuedRequestsForProcessing(tenantId: string, requestIds: string[]) {
  return {
    text: `select r.id, r.tenant_id, r.hook_id, r.parsed, r.received_at, r.trace_parent, h.event_type, h.status as hook_status
      from inbound_request r join inbound_hook h on h.id = r.hook_id and h.tenant_id = r.tenant_id
      where r.tenant_id = $1 and r.id = any($2::text[]) and r.state = 'QUEUED' order by r.received_at, r.id`,
    values: [tenantId, requestIds],
  };
}

/** Records a batch's outcomes in one statement: each request PROCESSED with its event, or FAILED with its reason. */
export function recordOutcomes(tenantId: string, outcomes: { id: string; eventId: string | null; warning: string | null; failure: string | null }[]) {
  return {
    text: `update inbound_request r set
        state = case when o.failure is null then 'PROCESSED' else 'FAILED' end,
        event_id = o.event_id, processed_at = now(),
        status = case when o.failure is not null then 'ERROR' when r.status = 'WARNING' or o.warning is not null then 'WARNING' else 'SUCCESS' end,
        message = case when o.failure is not null then o.failure else coalesce(r.message, o.warning) end,
        ${ERASE_IF_CONFIDENTIAL}
      from unnest($2::text[], $3::text[], $4::text[], $5::text[]) as o(id, event_id, warning, failure), inbound_hook h
      where r.tenant_id = $1 and r.id = o.id and r.state = 'QUEUED' and h.id = r.hook_id and h.tenant_id = r.tenant_id returning r.id, r.hook_id`,
    values: [tenantId, outcomes.map((o) => o.id), outcomes.map((o) => o.eventId), outcomes.map((o) => o.warning), outcomes.map((o) => o.failure)],
  };
}

/**
 * Retention: log entries received before the cutoff, oldest first, a bounded batch per
 * statement. Queue items (QUEUED) stay whatever their age: they are work, not history.
 */
export function deleteOldInboundRequests(cutoff: Date, limit: number) {
  return {
    text: `delete from inbound_request where id in (select id from inbound_request where received_at < $1 and state <> 'QUEUED' order by received_at limit $2)`,
    values: [cutoff, limit],
  };
}
