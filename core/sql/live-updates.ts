// SQL of live updates: the NOTIFYs that tell every process what changed (and wake the
// delivery loops), the rows named by a burst of notifications, loaded once for every
// subscriber, and the API keys that still hold open subscriptions.
import pg from 'pg';
import { DELIVERY_WAKEUP_CHANNEL, LIVE_UPDATES_CHANNEL } from '../live-updates/channels.ts';
import { liveUpdatePayloads, type LiveUpdate, type RowUpdate } from '../live-updates/live-update.ts';

/** The statement that wakes every worker's delivery loops once the current transaction commits. */
export const WAKE_DELIVERY_WORKERS_SQL = `select pg_notify('${DELIVERY_WAKEUP_CHANNEL}', '')`;

/**
 * One statement that notifies every update, and with `wakeWorkers` also wakes the delivery
 * loops: run it in the writing transaction or right after it.
 */
export function notifyUpdatesSql(updates: LiveUpdate[], options: { wakeWorkers?: boolean } = {}): { text: string; values: unknown[] } {
  const updatesSql = `select pg_notify('${LIVE_UPDATES_CHANNEL}', payload) from unnest($1::text[]) as payload`;
  return {
    text: options.wakeWorkers ? `${updatesSql} union all ${WAKE_DELIVERY_WORKERS_SQL}` : updatesSql,
    values: [liveUpdatePayloads(updates)],
  };
}

/**
 * The same NOTIFYs as a transaction of their own, for right after the writing one
 * committed. A NOTIFY holds PostgreSQL's notification lock until its commit is done; not
 * waiting for the WAL flush (a notification is only a hint) keeps that to microseconds,
 * so busy writers neither queue on the lock nor wait for a second flush. Values are
 * written into the text (escaped): several statements go in one round trip only so.
 */
export function notifyAfterCommitSql(updates: LiveUpdate[], options: { wakeWorkers?: boolean } = {}): string {
  const statements = liveUpdatePayloads(updates).map((payload) => `select pg_notify('${LIVE_UPDATES_CHANNEL}', ${pg.escapeLiteral(payload)})`);
  if (options.wakeWorkers) statements.push(WAKE_DELIVERY_WORKERS_SQL);
  return `begin; set local synchronous_commit = off; ${statements.join('; ')}; commit`;
}

/** LISTEN on the live updates channel (one dedicated connection per API process). */
export const LISTEN_LIVE_UPDATES_SQL = `LISTEN ${LIVE_UPDATES_CHANNEL}`;

/** The listener's keep-alive: a LISTEN connection that died silently fails it. */
export const PING_SQL = 'select 1';

const TABLES: Record<RowUpdate['kind'], string> = { delivery: 'delivery', attempt: 'attempt', webhook: 'webhook', inboundRequest: 'inbound_request', inboundHook: 'inbound_hook', bulkRetry: 'bulk_retry' };

/**
 * One primary-key lookup for a whole burst of updates of one kind. The caller checks
 * each row's tenant_id against the notification and the subscriber, so a forged or
 * stray notification can never hand a row to another tenant.
 */
export function rowsById(kind: RowUpdate['kind'], ids: string[], options: { withBodies?: boolean } = {}) {
  const columns = kind === 'attempt' && !options.withBodies ? ATTEMPT_COLUMNS_WITHOUT_BODIES : '*';
  return { text: `select ${columns} from ${TABLES[kind]} t where id = any($1::text[])`, values: [ids] };
}

/**
 * The webhooks and integrators a burst of deliveries names, loaded once for every
 * subscriber (a log row shows their names), so no subscriber looks them up per delivery.
 */
export function relatedRows(table: 'webhook' | 'integrator', ids: string[]) {
  return { text: `select * from ${table} where id = any($1::text[])`, values: [ids] };
}

/**
 * An attempt as pushed live when no subscriber asked for bodies: every column but the
 * request and response bodies (up to 1 MiB and 64 KiB), which stay null. A column added
 * to attempt that subscriptions serve must be added here too.
 */
const ATTEMPT_COLUMNS_WITHOUT_BODIES = [
  'id',
  'tenant_id',
  'delivery_id',
  'webhook_id',
  'attempt_number',
  'trigger',
  'succeeded',
  'request_url',
  'request_method',
  'request_headers',
  'null::text as request_body',
  'response_status',
  'response_headers',
  'null::text as response_body',
  'response_body_encoding',
  'response_truncated',
  'error_kind',
  'error_message',
  'duration_ms',
  'created_at',
].join(', ');

/** Of these keys, the ones not revoked (checked after a missed-notification window). */
export function activeApiKeys(ids: string[]) {
  return { text: 'select id from api_key where id = any($1::text[]) and revoked_at is null', values: [ids] };
}
