// Tells every API process's subscribers about a change the API itself made.
import type pg from 'pg';
import { notifyChangesSql, type Change } from './changes.ts';

/**
 * NOTIFY after the change committed (ORM flushes commit on their own): subscribers load
 * the row as committed. The worker, which writes in explicit transactions, NOTIFYs
 * inside them instead (the same statement, delivered at commit).
 */
export async function notifyChanges(db: Pick<pg.Pool, 'query'>, changes: Change[]): Promise<void> {
  if (changes.length) await db.query(notifyChangesSql(changes));
}

export function webhookChanged(webhook: { id: string; tenantId: string; integratorId: string }): Change {
  return { kind: 'webhook', tenantId: webhook.tenantId, id: webhook.id, webhookId: webhook.id, integratorId: webhook.integratorId };
}
