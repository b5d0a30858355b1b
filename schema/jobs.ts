// Queue names and job payloads, shared by the API (which enqueues) and the worker
// (which handles). Payloads carry ids and a version only; handlers load the rows.

export const QUEUES = {
  deliver: 'deliver',
  retention: 'retention',
  disableFailing: 'disable-failing-webhooks',
} as const;

export interface DeliverJobV1 {
  v: 1;
  /** delivery id */
  d: string;
  /** tenant id */
  t: string;
  /** MANUAL when an operator asked for this attempt */
  m?: 1;
}
