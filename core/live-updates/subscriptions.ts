// What subscriptions need from the process that serves them: live updates of rows
// for one tenant, with each changed row loaded once per update for every subscriber.
// The API implements it over PostgreSQL LISTEN/NOTIFY (postgres-live-updates.ts).
import type { RowUpdate } from './live-update.ts';

/** A changed row (snake_case columns, as selected) with the update that named it. */
export interface RowEvent {
  type: 'row';
  update: RowUpdate;
  row: Record<string, unknown>;
  /** A delivery's webhook and integrator rows, loaded with the burst (shared, never per subscriber). */
  related?: { webhook?: Record<string, unknown>; integrator?: Record<string, unknown> };
}

/**
 * Why a subscriber must refetch what it shows: updates were skipped because it fell
 * too far behind (BEHIND), or may have been lost while the API's LISTEN connection was
 * down or a burst could not be loaded (CONNECTION_RESTORED, UPDATES_LOST). The feed
 * goes on after it.
 */
export type ResyncReason = 'BEHIND' | 'CONNECTION_RESTORED' | 'UPDATES_LOST';

export interface ResyncEvent {
  type: 'resync';
  reason: ResyncReason;
  /** Updates coalesced away that the subscriber never received (BEHIND), else 0. */
  skipped: number;
}

export type LiveEvent = RowEvent | ResyncEvent;

export interface LiveSubscription {
  tenantId: string;
  /** The API key the subscriber authenticated with: revoking it ends the feed. */
  apiKeyId: string;
  kind: RowUpdate['kind'];
  /** Attempts only: load and push request and response bodies (left out otherwise). */
  withBodies?: boolean;
  /** Decided from the notification alone, before any row is loaded. */
  matches(update: RowUpdate): boolean;
  /** Decided on the loaded row, for what the notification does not carry. */
  matchesRow?(row: Record<string, unknown>): boolean;
}

export interface LiveUpdates {
  subscribe(subscription: LiveSubscription): AsyncIterableIterator<LiveEvent>;
}
