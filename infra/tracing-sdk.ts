// The OpenTelemetry Node SDK, imported only when tracing is on (infra/tracing.ts). Traces
// only by default: Hookyard's metrics are on /metrics (Prometheus); OTEL_METRICS_EXPORTER
// or OTEL_LOGS_EXPORTER, when set, still turn the SDK's own on.
import { createRequire } from 'node:module';
import { startNodeSdk } from '@opentelemetry/sdk-node';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { Logger } from './logger.ts';
import { enableTracing } from './trace.ts';

export function startSdk(log: Logger, env: NodeJS.ProcessEnv, version: string): () => Promise<void> {
  const sdk = startNodeSdk({
    resourceAttributes: { 'service.name': env.OTEL_SERVICE_NAME?.trim() || 'hookyard', 'service.version': version },
    instrumentations: [
      // SQL only beneath a traced operation: the workers' polls and pg-boss's upkeep start no traces.
      // Statement text is recorded, never the values bound to it (payloads, secrets).
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
    ...(env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
  });
  // pg was imported (as ESM) before the SDK started; requiring it hands the loaded module
  // to the instrumentation's require hook, which patches its Client in place.
  createRequire(import.meta.url)('pg');
  enableTracing(version);
  log.info({ endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT, protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf' }, 'OpenTelemetry tracing on');
  return async () => {
    await sdk.shutdown().catch((error) => log.warn({ err: error }, 'could not flush the last spans'));
  };
}
