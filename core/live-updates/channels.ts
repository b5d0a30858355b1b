// The NOTIFY channels Hookyard's processes talk on.
//
// Live updates: writers NOTIFY the rows they changed; every API process LISTENs
// (listener.ts) and feeds its subscriptions. The channel keeps its first name so that
// processes of different versions sharing a database still hear each other.
//
// Delivery wake-ups: the workers' delivery loops start at once when deliveries are due
// now. pg-boss can do this itself (a queue with `notify`), but it NOTIFYs inside the
// transaction that inserts the jobs, and PostgreSQL commits notifying transactions one at
// a time, each holding the notification lock through its WAL flush. Measured on the
// delivery bench at 500 publishEvent calls/s offered: 71 % of active backends sat in
// commit, waiting on that lock or the flush, and publishing stalled at 250-400 calls/s.
// Hookyard NOTIFYs after the commit instead, on its own channel, in a transaction that
// does not wait for the WAL flush (core/sql/live-updates.ts, notifyAfterCommitSql); the
// worker listens and wakes its loops. A wake-up lost to a crash between the two only
// costs the loops' next poll.

export const LIVE_UPDATES_CHANNEL = 'hookyard_changes';

export const DELIVERY_WAKEUP_CHANNEL = 'hookyard_deliveries_due';
