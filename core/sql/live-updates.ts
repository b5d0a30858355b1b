// SQL of live updates: the rows named by a burst of change notifications, loaded once
// for every subscriber, and the API keys that still hold open subscriptions.
import type { RowChange } from '../live-updates/changes.ts';

const TABLES: Record<RowChange['kind'], string> = { delivery: 'delivery', attempt: 'attempt', webhook: 'webhook' };

/**
 * One primary-key lookup for a whole burst of changes of one kind. The caller checks
 * each row's tenant_id against the notification and the subscriber, so a forged or
 * stray notification can never hand a row to another tenant.
 */
export function rowsById(kind: RowChange['kind'], ids: string[]) {
  return { text: `select * from ${TABLES[kind]} where id = any($1::text[])`, values: [ids] };
}

/** Of these keys, the ones not revoked (checked after a missed-notification window). */
export function activeApiKeys(ids: string[]) {
  return { text: 'select id from api_key where id = any($1::text[]) and revoked_at is null', values: [ids] };
}
