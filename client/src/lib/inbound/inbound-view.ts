// Which rows the Inbound screen shows: pure, unit-tested.
import type { InboundRequestFieldsFragment, InboundRequestStatus } from '../graphql/generated.ts';

export type InboundView = 'queue' | 'log';

/** Whether a row belongs in the view: the queue shows QUEUED items, the log every request with the status filter. */
export function inView(row: Pick<InboundRequestFieldsFragment, 'state' | 'status'>, view: InboundView, statuses: InboundRequestStatus[]): boolean {
  if (view === 'queue') return row.state === 'QUEUED';
  return !statuses.length || statuses.includes(row.status);
}
