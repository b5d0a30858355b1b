// Hookyard's spans, through the OpenTelemetry API only (pg-boss loads the API anyway; the
// SDK is loaded by infra/tracing.ts when an OTLP endpoint is set). While tracing is off,
// every helper here returns at once: no span, no context switch, no header.
import { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, type Attributes, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';

export { SpanKind, type Span };

let enabled = false;
let tracer: Tracer = trace.getTracer('hookyard');

/** Called once the SDK is registered (infra/tracing-sdk.ts); `serviceVersion` names the tracer's version. */
export function enableTracing(serviceVersion: string): void {
  enabled = true;
  // Once, not per span: the provider looks a tracer up by a key string it builds at each call.
  tracer = trace.getTracer('hookyard', serviceVersion);
}

export function tracingEnabled(): boolean {
  return enabled;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The W3C `traceparent` of the active span (or of `ctx`), or null when tracing is off or nothing is traced. */
export function activeTraceparent(ctx: Context = context.active()): string | null {
  if (!enabled) return null;
  const span = trace.getSpanContext(ctx);
  if (!span || !trace.isSpanContextValid(span)) return null;
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The trace id inside a stored `traceparent`, for log lines; null when there is none. */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  return traceparent ? (TRACEPARENT.exec(traceparent)?.[1] ?? null) : null;
}

/** A context whose parent is the span a stored `traceparent` names (a new trace when null or malformed). */
export function contextOf(traceparent: string | null | undefined): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16) & TraceFlags.SAMPLED, isRemote: true });
}

/**
 * Runs `fn` in a new span (child of `parent`, else of the active span) and ends it when
 * `fn` settles; a thrown error marks it failed. With tracing off, `fn(null)` runs as it is.
 */
export async function inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes; parent?: Context; links?: Link[] }, fn: (span: Span | null) => Promise<T>): Promise<T> {
  if (!enabled) return fn(null);
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

export function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Serves one HTTP request in a SERVER span that continues the caller's trace (its
 * `traceparent`, or whatever OTEL_PROPAGATORS reads), named by the route, not the URL
 * (an inbound URL holds its token).
 */
export function serveTraced<T>(req: IncomingMessage, route: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  return inSpan(`${req.method} ${route}`, { kind: SpanKind.SERVER, parent, attributes: { 'http.request.method': req.method ?? '', 'http.route': route } }, fn);
}

/** Sets attributes on the active span, when there is one. */
export function annotateActiveSpan(attributes: Attributes, name?: string): void {
  if (!enabled) return;
  const span = trace.getActiveSpan();
  if (!span) return;
  span.setAttributes(attributes);
  if (name) span.updateName(name);
}

/** The active span's ids for a log line (pino's mixin); nothing when tracing is off. */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  if (!enabled) return {};
  const span = trace.getSpanContext(context.active());
  return span && trace.isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}
