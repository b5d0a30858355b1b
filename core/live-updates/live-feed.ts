// What subscriptions need from the process that serves them: a feed of row changes
// for one tenant, with each changed row loaded once per change for every subscriber.
// The API implements it over PostgreSQL LISTEN/NOTIFY (api/live-feed.ts).
import type { RowChange } from './changes.ts';

/** A changed row (snake_case columns, as selected) with the change that named it. */
export interface RowEvent {
  type: 'row';
  change: RowChange;
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
  kind: RowChange['kind'];
  /** Decided from the notification alone, before any row is loaded. */
  matches(change: RowChange): boolean;
  /** Decided on the loaded row, for what the notification does not carry. */
  matchesRow?(row: Record<string, unknown>): boolean;
}

export interface LiveFeed {
  subscribe(subscription: LiveSubscription): AsyncIterableIterator<LiveEvent>;
}
