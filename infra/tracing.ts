// OpenTelemetry tracing, on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT, or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and off otherwise: then the SDK is never imported,
// and infra/trace.ts's helpers do nothing. Everything else follows the standard OTEL_*
// variables (protocol, headers, sampler, service name, batch delays).
import type { Logger } from './logger.ts';

/** Whether `env` asks for traces. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (/^true$/i.test(env.OTEL_SDK_DISABLED?.trim() ?? '')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Starts the SDK when `env` asks for traces (`version`: Hookyard's, for service.version); resolves with the function that flushes and
 * stops it (a no-op when off). Call once per process, before any traced work.
 */
export async function startTracing(log: Logger, version: string, env: NodeJS.ProcessEnv = process.env): Promise<() => Promise<void>> {
  if (!tracingRequested(env)) return async () => {};
  const { startSdk } = await import('./tracing-sdk.ts');
  return startSdk(log, env, version);
}
