import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { newId } from '../ids.ts';
import { QUEUES, deliverJob } from '../jobs.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import type { LiveUpdate } from '../live-updates/live-update.ts';
import { notifyAfterCommitSql } from '../sql/live-updates.ts';
import type { Logger } from '../../infra/logger.ts';
import { DeliveriesDisabledError, HookyardError, LimitExceededError, ValidationError } from '../errors.ts';
import { EVENT_TYPE_NAME } from '../rules/text.ts';
import { eventTypeMatches } from '../rules/webhook-fields.ts';
import { payloadSchemaErrors } from '../rules/payload-schema.ts';
import { checkFilter, compileFilter, type FilterEvent } from '../rules/payload-filter.ts';
import * as sql from '../sql/publish.ts';
import { recordPublished } from '../../infra/metrics.ts';
import { activeTraceparent } from '../../infra/trace.ts';

export const MAX_EVENTS_PER_CALL = 1000;
const CHANNEL = /^[A-Za-z0-9_.:-]{1,100}$/;
// U+0000 as JSON.stringify writes it (\u0000), not preceded by an escaped backslash.
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/;

export interface PublishRequest {
  type: string;
  payload?: unknown;
  source?: string | null;
  channel?: string | null;
  idempotencyKey?: string | null;
  occurredAt?: Date | null;
}

export interface PublishedEventRow {
  id: string;
  tenantId: string;
  type: string;
  source: string;
  channel: string | null;
  payload: unknown;
  idempotencyKey: string | null;
  occurredAt: Date;
  createdAt: Date;
}

export interface Published {
  eventId: string;
  duplicate: boolean;
  deliveryCount: number;
  /** The stored event, for a new one (a duplicate's first event is the caller's to load). */
  event: PublishedEventRow | null;
}

/** An event that passed `check`: the row to insert, but for its tenant. */
type Checked = Omit<sql.NewEvent, 'tenantId'>;

function check(request: PublishRequest, field: string, payloadLimit: number): Checked {
  const type = request.type.trim();
  if (!EVENT_TYPE_NAME.test(type)) throw new ValidationError(`${field}.type`, `"${type}" is not an event type name such as invoice.created`);
  if (request.payload === undefined || request.payload === null) {
    throw new ValidationError(`${field}.payload`, 'payload is required: any JSON value but null (use {} for an event without data)');
  }
  const payload = JSON.stringify(request.payload);
  const bytes = Buffer.byteLength(payload);
  if (bytes > payloadLimit) {
    throw new LimitExceededError(`${field}.payload is ${bytes} bytes; the limit is ${payloadLimit} bytes (1 MiB by default)`, payloadLimit);
  }
  if (NUL_ESCAPE.test(payload)) {
    throw new ValidationError(`${field}.payload`, 'the payload contains the character U+0000, which PostgreSQL cannot store in JSON; remove it or encode the value (base64, for instance)');
  }
  const source = (request.source ?? 'hookyard').trim();
  if (!source || source.length > 500) throw new ValidationError(`${field}.source`, 'source must be 1 to 500 characters, e.g. /billing or urn:erp:acme');
  const channel = request.channel?.trim() || null;
  if (channel !== null && !CHANNEL.test(channel)) throw new ValidationError(`${field}.channel`, 'a channel is 1 to 100 letters, digits or _ . : -');
  const idempotencyKey = request.idempotencyKey?.trim() || null;
  if (idempotencyKey !== null && idempotencyKey.length > 200) throw new ValidationError(`${field}.idempotencyKey`, 'an idempotency key is at most 200 characters');
  const occurredAt = request.occurredAt ?? new Date();
  if (Number.isNaN(occurredAt.getTime()) || occurredAt.getUTCFullYear() < 1 || occurredAt.getUTCFullYear() > 9999) {
    throw new ValidationError(`${field}.occurredAt`, 'occurredAt must be a time between the years 0001 and 9999, e.g. 2026-11-22T10:00:00Z');
  }
  return { id: newId('Event'), type, source, channel, payload, idempotencyKey, occurredAt };
}

/** One caller's events, checked: they commit together or not at all. */
export interface PublishCall {
  checked: Checked[];
  fieldOf: (index: number) => string;
  /** The caller's trace (its active span when checked), which its deliveries' attempts join; null while tracing is off. */
  traceParent: string | null;
}

// Compiled filters by their JSON text, so a publish does not check and compile every
// webhook's filter again. Bounded: emptied when full (a filter compiles in microseconds).
const compiledFilters = new Map<string, ReturnType<typeof compileFilter> | null>();
const MAX_COMPILED_FILTERS = 10_000;

/**
 * A stored filter as a function. Filters are checked when saved; one that no longer passes
 * (the rules changed since) lets every event through, and says so, rather than drop events.
 */
function compileStoredFilter(webhookId: string, text: string, log: Logger) {
  let compiled = compiledFilters.get(text);
  if (compiled !== undefined) return compiled;
  try {
    compiled = compileFilter(checkFilter('filter', JSON.parse(text)));
  } catch (error) {
    log.warn({ webhookId, err: error }, 'the stored filter of this webhook is not valid; it receives every event of its types until the filter is saved again');
    compiled = null;
  }
  if (compiledFilters.size >= MAX_COMPILED_FILTERS) compiledFilters.clear();
  compiledFilters.set(text, compiled);
  return compiled;
}

/** Checks one call's input; throws the error to give that caller. */
export function checkCall(requests: PublishRequest[], fieldOf: (index: number) => string, payloadLimitBytes: number): PublishCall {
  if (requests.length === 0) throw new ValidationError('input.events', 'publish at least one event');
  if (requests.length > MAX_EVENTS_PER_CALL) {
    throw new LimitExceededError(`${requests.length} events in one call; the limit is ${MAX_EVENTS_PER_CALL}`, MAX_EVENTS_PER_CALL);
  }
  return { checked: requests.map((r, i) => check(r, fieldOf(i), payloadLimitBytes)), fieldOf, traceParent: activeTraceparent() };
}

/**
 * Publishes several calls of one tenant in one transaction: each call's events, one
 * delivery per matching webhook and their jobs commit together, or nothing of it does. A
 * call whose events name an unregistered type or fail their schema gets its error and adds
 * nothing; the others go on. A repeated idempotency key (24 h, or earlier in the same
 * transaction) returns the first event, marked duplicate, and creates nothing. Returns one
 * outcome per call, in order; throws only when the transaction failed for all of them.
 */
export async function publishCalls(deps: { pool: pg.Pool; boss: PgBoss; log: Logger }, tenantId: string, calls: PublishCall[]): Promise<(Published[] | HookyardError)[]> {
  const outcomes: (Published[] | HookyardError | null)[] = calls.map(() => null);
  const changes: LiveUpdate[] = [];
  let wakeWorkers = false;
  await withTransaction(deps.pool, async (client) => {
    const names = [...new Set(calls.flatMap((call) => call.checked.map((c) => c.type)))];
    const context = (await client.query<sql.PublishContextRow>(sql.publishContext(tenantId, names))).rows[0];
    if (!context.deliveries_enabled) throw new DeliveriesDisabledError();
    const types = new Map(context.event_types.map((t) => [t.name, t.schema]));
    calls.forEach((call, n) => {
      call.checked.forEach((c, i) => {
        if (outcomes[n]) return;
        if (!types.has(c.type)) {
          outcomes[n] = new ValidationError(`${call.fieldOf(i)}.type`, `event type ${c.type} is not registered; register it with registerEventType first`);
          return;
        }
        const schema = types.get(c.type);
        const errors = schema ? payloadSchemaErrors(schema, JSON.parse(c.payload)) : null;
        if (errors) outcomes[n] = new ValidationError(`${call.fieldOf(i)}.payload`, `the payload does not match the schema of ${c.type}: ${errors}`);
      });
    });
    const accepted = calls.filter((_, n) => !outcomes[n]);
    const checked = accepted.flatMap((call) => call.checked);
    const traceParentOf = new Map(accepted.flatMap((call) => call.checked.map((c) => [c.id, call.traceParent] as const)));

    // Idempotency: the first of a key in this transaction claims it; the rest repeat it.
    const firstByKey = new Map<string, Checked>();
    for (const c of checked) if (c.idempotencyKey && !firstByKey.has(c.idempotencyKey)) firstByKey.set(c.idempotencyKey, c);
    const keys = [...firstByKey.keys()].sort();
    const claimed = new Set<string>();
    const existing = new Map<string, string>();
    if (keys.length) {
      const won = await client.query(sql.claimIdempotencyKeys(tenantId, keys, keys.map((k) => firstByKey.get(k)!.id)));
      for (const row of won.rows) claimed.add(row.key);
      const lost = keys.filter((k) => !claimed.has(k));
      if (lost.length) for (const row of (await client.query(sql.idempotentEventIds(tenantId, lost))).rows) existing.set(row.key, row.event_id);
    }
    const fresh = checked.filter((c) => !c.idempotencyKey || (claimed.has(c.idempotencyKey) && firstByKey.get(c.idempotencyKey) === c));

    // Each webhook's filter compiled once for the whole publish; an event's payload parsed
    // once, and only when a webhook that it reaches has a filter.
    const webhooks = context.webhooks.map((w) => ({ ...w, matches: w.filter ? compileStoredFilter(w.id, w.filter, deps.log) : null }));
    const deliveries: sql.NewDelivery[] = [];
    const counts = new Map<string, number>();
    for (const event of fresh) {
      let count = 0;
      let filtered: FilterEvent | null = null;
      for (const w of webhooks) {
        if (!eventTypeMatches(w.eventTypes, event.type)) continue;
        if (w.channels.length && (!event.channel || !w.channels.includes(event.channel))) continue;
        if (w.matches) {
          filtered ??= { type: event.type, channel: event.channel, source: event.source, data: JSON.parse(event.payload) };
          if (!w.matches(filtered).matched) continue;
        }
        deliveries.push({ id: newId('Delivery'), tenantId, eventId: event.id, webhookId: w.id, maxInFlight: w.maxInFlight, integratorId: w.integratorId, eventType: event.type, held: w.status !== 'ACTIVE', traceParent: traceParentOf.get(event.id) });
        count++;
      }
      counts.set(event.id, count);
    }

    const createdAt = new Map<string, Date>();
    if (fresh.length) {
      for (const row of (await client.query(sql.insertPublished(fresh.map((e) => ({ ...e, tenantId })), deliveries))).rows) createdAt.set(row.id, row.created_at);
    }
    const sendable = deliveries.filter((d) => !d.held);
    if (sendable.length) {
      await deps.boss.insert(QUEUES.deliver, sendable.map((d) => deliverJob({ id: d.id, tenantId, attemptCount: 0, webhookId: d.webhookId, maxInFlight: d.maxInFlight })), { db: bossDb(client) });
    }
    changes.push(...deliveries.map((d): LiveUpdate => ({ kind: 'delivery', tenantId, id: d.id, webhookId: d.webhookId, integratorId: d.integratorId })));
    wakeWorkers = sendable.length > 0;

    calls.forEach((call, n) => {
      if (outcomes[n]) return;
      outcomes[n] = call.checked.map((c) => {
        if (counts.has(c.id)) {
          const event = { id: c.id, tenantId, type: c.type, source: c.source, channel: c.channel, payload: JSON.parse(c.payload), idempotencyKey: c.idempotencyKey, occurredAt: c.occurredAt, createdAt: createdAt.get(c.id)! };
          return { eventId: c.id, duplicate: false, deliveryCount: counts.get(c.id) ?? 0, event };
        }
        const key = c.idempotencyKey!;
        const eventId = claimed.has(key) ? firstByKey.get(key)!.id : existing.get(key)!;
        return { eventId, duplicate: true, deliveryCount: 0, event: null };
      });
    });
  });
  // NOTIFY after the commit, not in it (see core/live-updates/channels.ts). If this is lost, the
  // workers' next poll still finds the jobs; live views hear of the deliveries later.
  if (changes.length) {
    await deps.pool.query(notifyAfterCommitSql(changes, { wakeWorkers })).catch((error) => deps.log.warn({ err: error }, 'notifying new deliveries failed; the workers poll for them'));
  }
  for (const outcome of outcomes) {
    if (!Array.isArray(outcome)) continue;
    const fresh = outcome.filter((p) => !p.duplicate);
    recordPublished(fresh.length, fresh.reduce((sum, p) => sum + p.deliveryCount, 0));
  }
  return outcomes as (Published[] | HookyardError)[];
}
