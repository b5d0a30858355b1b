// What subscriptions need from the process that serves them: live updates of rows
// for one tenant, with each changed row loaded once per update for every subscriber.
// The API implements it over PostgreSQL LISTEN/NOTIFY (postgres-live-updates.ts).
import type { RowUpdate } from './live-update.ts';

/** A changed row (snake_case columns, as selected) with the update that named it. */
export interface RowEvent {
  type: 'row';
  update: RowUpdate;
  row: Record<string, unknown>;
}

/** The subscriber fell this many updates behind; the feed ends after this event. */
export interface OverflowEvent {
  type: 'overflow';
  pending: number;
}

export type LiveEvent = RowEvent | OverflowEvent;

export interface LiveSubscription {
  tenantId: string;
  /** The API key the subscriber authenticated with: revoking it ends the feed. */
  apiKeyId: string;
  kind: RowUpdate['kind'];
  /** Decided from the notification alone, before any row is loaded. */
  matches(update: RowUpdate): boolean;
  /** Decided on the loaded row, for what the notification does not carry. */
  matchesRow?(row: Record<string, unknown>): boolean;
}

export interface LiveUpdates {
  subscribe(subscription: LiveSubscription): AsyncIterableIterator<LiveEvent>;
}
