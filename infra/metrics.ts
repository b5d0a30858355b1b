// Prometheus metrics of this process (prom-client). Each process keeps its own registry
// and serves it: the API on /metrics beside its routes, a worker-only process on its own
// port (HOOKYARD_METRICS_PORT), so counters are never double-counted or lost when the
// roles run apart. In one process (HOOKYARD_ROLE=all) /metrics shows everything.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'hookyard_process_' });

// ---- recorded where the work happens (the worker, the publish service) -------------------

/** Attempts by outcome: `success`, `http_error` (non-2xx), or the error kind (timeout, dns, refused, tls, reset, blocked, other). */
export const attemptsTotal = new client.Counter({
  name: 'hookyard_attempts_total',
  help: 'HTTP attempts made by this process, by outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const attemptDuration = new client.Histogram({
  name: 'hookyard_attempt_duration_seconds',
  help: 'Duration of HTTP attempts made by this process, by outcome.',
  labelNames: ['outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
  registers: [registry],
});

export const deliveriesFinishedTotal = new client.Counter({
  name: 'hookyard_deliveries_finished_total',
  help: 'Deliveries that reached a final status in this process (SUCCEEDED, FAILED, CANCELLED).',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const eventsPublishedTotal = new client.Counter({
  name: 'hookyard_events_published_total',
  help: 'Events published through this process (rate() of it is the publish rate).',
  registers: [registry],
});

export const deliveriesCreatedTotal = new client.Counter({
  name: 'hookyard_deliveries_created_total',
  help: 'Deliveries created by publishing through this process.',
  registers: [registry],
});

/** One attempt: `outcome` is 'success', 'http_error' or an attempt error kind. */
export function recordAttempt(outcome: string, durationMs: number): void {
  attemptsTotal.inc({ outcome });
  attemptDuration.observe({ outcome }, durationMs / 1000);
}

export function recordDeliveryFinished(status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', count = 1): void {
  deliveriesFinishedTotal.inc({ status }, count);
}

export function recordPublished(events: number, deliveries: number): void {
  eventsPublishedTotal.inc(events);
  deliveriesCreatedTotal.inc(deliveries);
}


export const circuitTransitionsTotal = new client.Counter({
  name: 'hookyard_circuit_transitions_total',
  help: 'Webhook circuit breaker moves made by this process, by the state entered (open, half_open, closed).',
  labelNames: ['to'] as const,
  registers: [registry],
});

export const sweeperRepairsTotal = new client.Counter({
  name: 'hookyard_sweeper_repairs_total',
  help: 'Open deliveries (and circuits, and bulk retries) the sweeper found with no way forward and repaired, by repair.',
  labelNames: ['repair'] as const,
  registers: [registry],
});

export const deliveriesInFlight = new client.Gauge({
  name: 'hookyard_deliveries_in_flight',
  help: 'Delivery jobs this worker process holds (fetched, not yet recorded); at most HOOKYARD_WORKER_MAX_IN_FLIGHT.',
  registers: [registry],
});

export function recordCircuitTransition(to: 'open' | 'half_open' | 'closed'): void {
  circuitTransitionsTotal.inc({ to });
}

export function recordSweeperRepairs(repair: string, count: number): void {
  if (count > 0) sweeperRepairsTotal.inc({ repair }, count);
}
