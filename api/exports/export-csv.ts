// GET /export/deliveries.csv: the delivery log (current filter and sort, or selected
// ids) as CSV, streamed. Rows come from the database in keyset batches and go through
// csv-stringify into the response; pipeline() pauses the batches while the client is
// slow to read, so 100,000 rows cost the memory of one batch.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Services } from '../../core/services.ts';
import { deliveryLogBatches, type Directory, type LogRow } from '../../core/delivery-log/delivery-log-query.ts';
import { exportFileName, openExport } from './export-request.ts';

export const CSV_COLUMNS = [
  'id',
  'created_at',
  'integrator_id',
  'integrator',
  'webhook_id',
  'webhook',
  'webhook_url',
  'event_id',
  'event_type',
  'status',
  'succeeded',
  'attempts',
  'last_attempt_at',
  'next_attempt_at',
  'delivered_at',
  'last_response_status',
  'last_duration_ms',
  'last_error',
] as const;

const time = (value: unknown) => (value instanceof Date ? value.toISOString() : '');

export function csvRecord(row: LogRow, directory: Directory): Record<(typeof CSV_COLUMNS)[number], unknown> {
  const webhook = directory.webhooks.get(row.webhook_id as string);
  return {
    id: row.id,
    created_at: time(row.created_at),
    integrator_id: row.integrator_id,
    integrator: directory.integrators.get(row.integrator_id as string) ?? '',
    webhook_id: row.webhook_id,
    webhook: webhook?.name ?? '',
    webhook_url: webhook?.url ?? '',
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    succeeded: row.status === 'SUCCEEDED' ? 'true' : 'false',
    attempts: row.attempt_count,
    last_attempt_at: time(row.last_attempt_at),
    next_attempt_at: time(row.next_attempt_at),
    delivered_at: time(row.delivered_at),
    last_response_status: row.last_response_status ?? '',
    last_duration_ms: row.last_duration_ms ?? '',
    last_error: row.last_error ?? '',
  };
}

export async function handleCsvExport(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await openExport(services, req, res);
  if (!request) return;
  const { log, directory } = request;
  async function* records() {
    for await (const batch of deliveryLogBatches(services.pool, log, 1000)) {
      for (const row of batch) yield csvRecord(row, directory);
    }
  }
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${exportFileName('csv')}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  try {
    // escape_formulas: a cell starting with = + - @ is prefixed with ' so a spreadsheet
    // shows it as text instead of running it (an integrator name is user input).
    await pipeline(Readable.from(records()), stringify({ header: true, columns: [...CSV_COLUMNS], escape_formulas: true }), res);
  } catch (error) {
    // Headers are gone; the client sees a cut-off download. A client that left is no news.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') services.log.error({ err: error }, 'CSV export failed midway');
  }
}
