import { pino, type Logger } from 'pino';
import { activeTraceFields } from './trace.ts';

export type { Logger };

/**
 * JSON log lines. While tracing is on, a line written inside a span carries its trace_id
 * and span_id (the names OpenTelemetry's log data model uses), so a log search and a trace
 * meet; a line's own fields win, so one about another delivery keeps that delivery's.
 */
export function createLogger(level: string, name = 'hookyard'): Logger {
  return pino({ name, level, mixin: activeTraceFields });
}
