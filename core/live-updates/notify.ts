// Tells every API process's subscribers about a change the API itself made.
import type pg from 'pg';
import { notifyUpdatesSql } from '../sql/live-updates.ts';
import type { LiveUpdate } from './live-update.ts';

/**
 * NOTIFY after the change committed (ORM flushes commit on their own): subscribers load
 * the row as committed. Writers in explicit transactions NOTIFY inside them when the
 * change is rare (a test event, a webhook's status), delivered at commit, or right after
 * the commit on the busy paths (publishing, the worker: notifyAfterCommitSql).
 */
export async function notifyLiveUpdates(db: Pick<pg.Pool, 'query'>, updates: LiveUpdate[]): Promise<void> {
  if (updates.length) await db.query(notifyUpdatesSql(updates));
}

/** An inbound hook's settings or status changed (by a person, the expiry sweep, failed scheduled runs, a determined structure). */
export function inboundHookUpdate(hook: { id: string; tenantId: string }): LiveUpdate {
  return { kind: 'inboundHook', tenantId: hook.tenantId, id: hook.id, webhookId: hook.id };
}

export function webhookUpdate(webhook: { id: string; tenantId: string; integratorId: string }): LiveUpdate {
  return { kind: 'webhook', tenantId: webhook.tenantId, id: webhook.id, webhookId: webhook.id, integratorId: webhook.integratorId };
}
