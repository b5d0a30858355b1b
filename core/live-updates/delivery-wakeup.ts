// Waking the workers' delivery loops when deliveries are due now, over NOTIFY.
//
// pg-boss can do this itself (a queue with `notify`), but it NOTIFYs inside the transaction
// that inserts the jobs, and PostgreSQL commits notifying transactions one at a time, each
// holding the notification lock through its WAL flush. Measured on the delivery bench at
// 500 publishEvent calls/s offered: 71 % of active backends sat in commit, waiting on that
// lock or the flush, and publishing stalled at 250-400 calls/s. Hookyard NOTIFYs after
// the commit instead, on its own channel, in a transaction that does not wait for the WAL
// flush (changes.ts, notifyAfterCommitSql); the worker listens and wakes its loops. A
// wake-up lost to a crash between the two only costs the loops' next poll.

export const DELIVERY_WAKEUP_CHANNEL = 'hookyard_deliveries_due';

/** The statement that wakes every worker's delivery loops once the current transaction commits. */
export const WAKE_DELIVERY_WORKERS_SQL = `select pg_notify('${DELIVERY_WAKEUP_CHANNEL}', '')`;
