// Row changes crossing processes: writers NOTIFY on one channel with the change (in the
// writing transaction for rare changes, right after its commit on the busy paths:
// publishing and the worker); every API process LISTENs and feeds its subscriptions.
// Notifications carry ids and the tenant only; subscribers load rows.
import pg from 'pg';
import { WAKE_DELIVERY_WORKERS_SQL } from './delivery-wakeup.ts';

export const CHANGES_CHANNEL = 'hookyard_changes';

/** A delivery, attempt or webhook row changed (written, status moved, attempt recorded). */
export interface RowChange {
  kind: 'delivery' | 'attempt' | 'webhook';
  tenantId: string;
  id: string;
  webhookId: string;
  deliveryId?: string;
  integratorId?: string;
}

/** An API key was revoked: every API process ends the subscriptions and sockets it authenticated. */
export interface ApiKeyRevoked {
  kind: 'apiKey';
  tenantId: string;
  id: string;
}

export type Change = RowChange | ApiKeyRevoked;

// Postgres caps a notification at 8000 bytes; stay below it with room for the channel name.
const MAX_PAYLOAD_BYTES = 7500;

/** Packs changes into as few JSON-array payloads as fit the notification size limit. */
export function changePayloads(changes: Change[]): string[] {
  const payloads: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const change of changes) {
    const json = JSON.stringify(change);
    if (current.length && size + json.length + 1 > MAX_PAYLOAD_BYTES) {
      payloads.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(json);
    size += json.length + 1;
  }
  if (current.length) payloads.push(`[${current.join(',')}]`);
  return payloads;
}

/**
 * One statement that notifies every change, and with `wakeWorkers` also wakes the delivery
 * loops (see delivery-wakeup.ts): run it in the writing transaction or right after it.
 */
export function notifyChangesSql(changes: Change[], options: { wakeWorkers?: boolean } = {}): { text: string; values: unknown[] } {
  const changesSql = `select pg_notify('${CHANGES_CHANNEL}', payload) from unnest($1::text[]) as payload`;
  return {
    text: options.wakeWorkers ? `${changesSql} union all ${WAKE_DELIVERY_WORKERS_SQL}` : changesSql,
    values: [changePayloads(changes)],
  };
}

/**
 * The same NOTIFYs as a transaction of their own, for right after the writing one
 * committed. A NOTIFY holds PostgreSQL's notification lock until its commit is done; not
 * waiting for the WAL flush (a notification is only a hint) keeps that to microseconds,
 * so busy writers neither queue on the lock nor wait for a second flush. Values are
 * written into the text (escaped): several statements go in one round trip only so.
 */
export function notifyAfterCommitSql(changes: Change[], options: { wakeWorkers?: boolean } = {}): string {
  const statements = changePayloads(changes).map((payload) => `select pg_notify('${CHANGES_CHANNEL}', ${pg.escapeLiteral(payload)})`);
  if (options.wakeWorkers) statements.push(WAKE_DELIVERY_WORKERS_SQL);
  return `begin; set local synchronous_commit = off; ${statements.join('; ')}; commit`;
}
