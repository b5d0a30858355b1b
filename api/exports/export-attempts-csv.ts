// GET /export/attempts.csv: the attempts log (the same filter and order as the GraphQL
// `attempts` query, as query parameters) as CSV, streamed in keyset batches through
// csv-stringify; pipeline() pauses the batches while the client is slow to read. Headers
// and bodies are left out (one response body may be 64 KiB); the drawer shows them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Services } from '../../core/services.ts';
import { checkAttemptFilter } from '../../core/delivery-log/attempt-log-input.ts';
import { attemptLogBatches } from '../../core/delivery-log/log-lists.ts';
import { loadDirectory, type Directory } from '../../core/delivery-log/delivery-log-query.ts';
import { parseAttemptExportQuery } from './attempt-export-params.ts';
import { exportFileName, openAnyExport } from './export-request.ts';

export const ATTEMPT_CSV_COLUMNS = [
  'id',
  'created_at',
  'delivery_id',
  'attempt_number',
  'trigger',
  'integrator_id',
  'integrator',
  'webhook_id',
  'webhook',
  'event_type',
  'request_url',
  'succeeded',
  'response_status',
  'error_kind',
  'error_message',
  'duration_ms',
] as const;

const time = (value: unknown) => (value instanceof Date ? value.toISOString() : '');

export function attemptCsvRecord(row: Record<string, unknown>, directory: Directory): Record<(typeof ATTEMPT_CSV_COLUMNS)[number], unknown> {
  return {
    id: row.id,
    created_at: time(row.created_at),
    delivery_id: row.delivery_id,
    attempt_number: row.attempt_number,
    trigger: row.trigger,
    integrator_id: row.integrator_id ?? '',
    integrator: directory.integrators.get(row.integrator_id as string) ?? '',
    webhook_id: row.webhook_id,
    webhook: directory.webhooks.get(row.webhook_id as string)?.name ?? '',
    event_type: row.event_type ?? '',
    request_url: row.request_url,
    succeeded: row.succeeded ? 'true' : 'false',
    response_status: row.response_status ?? '',
    error_kind: row.error_kind ?? '',
    error_message: row.error_message ?? '',
    duration_ms: row.duration_ms,
  };
}

export async function handleAttemptsCsvExport(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await openAnyExport(services, req, res, async (viewer, query) => ({
    tenantId: viewer.tenantId,
    filter: checkAttemptFilter(parseAttemptExportQuery(query), 'query'),
    directory: await loadDirectory(services.pool, viewer.tenantId),
  }));
  if (!request) return;
  const { tenantId, filter, directory } = request;
  async function* records() {
    for await (const batch of attemptLogBatches(services.pool, tenantId, filter, 1000)) {
      for (const row of batch) yield attemptCsvRecord(row, directory);
    }
  }
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${exportFileName('csv', new Date(), 'attempts')}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  try {
    // escape_formulas: an error message or URL starting with = + - @ shows as text in a spreadsheet.
    await pipeline(Readable.from(records()), stringify({ header: true, columns: [...ATTEMPT_CSV_COLUMNS], escape_formulas: true }), res);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') services.log.error({ err: error }, 'attempts CSV export failed midway');
  }
}
