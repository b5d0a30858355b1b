// The spans of a delivery attempt (infra/trace.ts): one `deliver` span per attempt, child
// of the span that published the event (stored with the delivery, so a retry hours later
// joins the same trace), and beneath it the HTTP client span of the request. Attributes
// are Hookyard's ids and the outcome: never a URL (its path or query may hold a token),
// a header value or a body.
import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Link } from '@opentelemetry/api';
import type { DeliveryRow } from '../../core/sql/deliveries.ts';
import { activeTraceparent, contextOf, inSpan, SpanKind, tracingEnabled, type Span } from '../../infra/trace.ts';
import type { DeliveryRequest } from './delivery-request.ts';
import type { AttemptOutcome } from './send-attempt.ts';

/** Ids of a delivery, for a span or a log line. */
export function deliveryIds(row: DeliveryRow): Record<string, string> {
  return {
    'hookyard.tenant.id': row.tenant_id,
    'hookyard.event.id': row.event_id,
    'hookyard.delivery.id': row.id,
    'hookyard.webhook.id': row.webhook_id,
    'hookyard.integrator.id': row.integrator_id,
  };
}

/** Runs one attempt of `row` (its request and its record) in a `deliver` span of the event's trace. */
export function inAttemptSpan<T>(row: DeliveryRow, manual: boolean, fn: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return fn();
  return inSpan(
    `deliver ${row.event_type}`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextOf(row.trace_parent),
      attributes: {
        ...deliveryIds(row),
        'hookyard.event.type': row.event_type,
        'hookyard.attempt.number': row.attempt_count + 1,
        'hookyard.attempt.trigger': manual ? 'MANUAL' : 'SCHEDULED',
        'messaging.system': 'pg-boss',
        'messaging.destination.name': 'deliver',
      },
    },
    fn,
  );
}

/**
 * Sends `request` in an HTTP client span. While tracing is on and the webhook allows it,
 * the request carries that span's W3C `traceparent` (sent and shown in the attempt log).
 */
export function inRequestSpan(row: DeliveryRow, request: DeliveryRequest, send: () => Promise<AttemptOutcome>): Promise<AttemptOutcome> {
  if (!tracingEnabled()) return send();
  const target = safeTarget(row.url);
  return inSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', ...target, 'hookyard.delivery.id': row.id } }, async (span) => {
    const traceparent = row.send_trace_context ? activeTraceparent() : null;
    if (traceparent) {
      request.headers.traceparent = traceparent;
      request.loggedHeaders.traceparent = traceparent;
    }
    const outcome = await send();
    describeOutcome(span!, outcome);
    return outcome;
  });
}

function describeOutcome(span: Span, outcome: AttemptOutcome): void {
  span.setAttribute('hookyard.attempt.duration_ms', outcome.durationMs);
  if (outcome.status !== null) span.setAttribute('http.response.status_code', outcome.status);
  if (outcome.errorKind) span.setAttribute('error.type', outcome.errorKind);
  else if (!outcome.ok) span.setAttribute('error.type', String(outcome.status));
  if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorMessage ?? `HTTP ${outcome.status}` });
}

/** The receiver's host and port: what a trace may show of its URL. */
function safeTarget(url: string): Record<string, string | number> {
  try {
    const parsed = new URL(url);
    return { 'server.address': parsed.hostname, 'server.port': Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80), 'url.scheme': parsed.protocol.replace(':', '') };
  } catch {
    return {};
  }
}

/** The trace context an attempt is recorded in (its `deliver` span), kept by the recorder. */
export function attemptContext(): Context | null {
  return tracingEnabled() ? context.active() : null;
}

/**
 * Runs the record of a group of attempts: within the attempt's own span when the group
 * holds one attempt (its SQL then shows in the event's trace), else in a span of its own
 * linked to each attempt's.
 */
export function inRecordingSpan<T>(contexts: (Context | null)[], fn: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return fn();
  if (contexts.length === 1 && contexts[0]) return context.with(contexts[0], fn);
  const links: Link[] = contexts.flatMap((c) => {
    const span = c ? trace.getSpanContext(c) : undefined;
    return span ? [{ context: span }] : [];
  });
  return inSpan('hookyard record attempts', { parent: ROOT_CONTEXT, links, attributes: { 'hookyard.attempt.count': contexts.length } }, fn);
}

/** Marks the attempt's `deliver` span with what its record decided (a retry, and when). */
export function markRecorded(ctx: Context | null, status: string, nextAttemptAt: Date | null): void {
  const span = ctx ? trace.getSpan(ctx) : undefined;
  if (!span) return;
  span.setAttribute('hookyard.delivery.status', status);
  if (nextAttemptAt) span.addEvent('retry scheduled', { 'hookyard.retry.at': nextAttemptAt.toISOString() });
}
