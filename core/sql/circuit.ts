// SQL of the per-webhook circuit breaker (worker/delivery/circuit-breaker.ts decides).

export interface CircuitRow {
  id: string;
  tenant_id: string;
  circuit_state: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  circuit_failures: number;
  circuit_threshold: number;
  circuit_open_count: number;
  circuit_probe_delivery_id: string | null;
}

/**
 * Counts failed attempts in a row per webhook: a success in the group restarts the count
 * at the failures after it. Rows that stay at zero are not written (a healthy webhook's
 * row is not rewritten by every batch). Returns the webhooks written, locked.
 */
export function countFailureRuns(runs: { webhookId: string; hadSuccess: boolean; trailingFailures: number }[]) {
  return {
    text: `update webhook w set circuit_failures = case when u.had_success then u.trailing_failures else w.circuit_failures + u.trailing_failures end
             from unnest($1::text[], $2::boolean[], $3::int[]) as u(id, had_success, trailing_failures)
            where w.id = u.id and (u.trailing_failures > 0 or w.circuit_failures > 0 or w.circuit_state <> 'CLOSED')
        returning w.id, w.tenant_id, w.circuit_state, w.circuit_failures, w.circuit_threshold, w.circuit_open_count, w.circuit_probe_delivery_id`,
    values: [runs.map((r) => r.webhookId), runs.map((r) => r.hadSuccess), runs.map((r) => r.trailingFailures)],
  };
}

/** Opens (or reopens) a circuit found in state `from`: no attempts for `cooldownMs`, then a probe. */
export function openCircuit(webhookId: string, from: string, cooldownMs: number) {
  return {
    text: `update webhook set circuit_state = 'OPEN', circuit_open_count = circuit_open_count + 1, circuit_opened_at = now(),
                  circuit_next_probe_at = now() + make_interval(secs => $3::int / 1000.0), circuit_probe_delivery_id = null
            where id = $1 and circuit_state = $2
        returning id, tenant_id, circuit_open_count, circuit_next_probe_at`,
    values: [webhookId, from, cooldownMs],
  };
}

/** Closes circuits that are not closed; the caller releases what they held. */
export function closeCircuits(webhookIds: string[]) {
  return {
    text: `update webhook set circuit_state = 'CLOSED', circuit_failures = 0, circuit_open_count = 0, circuit_opened_at = null,
                  circuit_next_probe_at = null, circuit_probe_delivery_id = null
            where id = any($1::text[]) and circuit_state <> 'CLOSED'
        returning id, tenant_id`,
    values: [webhookIds],
  };
}

/**
 * The cool-down is over: half-open the circuit and pick its probe, the oldest delivery it
 * holds (none held: the next delivery to come claims it). Only for the opening `openCount`.
 */
export function halfOpenCircuit(webhookId: string, openCount: number) {
  return {
    text: `update webhook w set circuit_state = 'HALF_OPEN',
                  circuit_probe_delivery_id = (select d.id from delivery d
                                                where d.tenant_id = w.tenant_id and d.webhook_id = w.id and d.status in ('PENDING', 'RETRYING')
                                                  and d.next_attempt_at is null and d.manual_requested_at is null
                                                order by d.created_at, d.id limit 1)
            where w.id = $1 and w.circuit_state = 'OPEN' and w.circuit_open_count = $2
        returning w.id, w.tenant_id, w.circuit_probe_delivery_id, w.max_in_flight`,
    values: [webhookId, openCount],
  };
}

/** A half-open circuit with no probe yet takes this delivery as its probe; no row: another was taken. */
export function claimProbe(webhookId: string, deliveryId: string) {
  return {
    text: `update webhook set circuit_probe_delivery_id = $2
            where id = $1 and circuit_state = 'HALF_OPEN' and (circuit_probe_delivery_id is null or circuit_probe_delivery_id = $2)
        returning id`,
    values: [webhookId, deliveryId],
  };
}
