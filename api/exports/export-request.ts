// What every export does before the first byte: authenticate the Bearer key, parse and
// check the filter, open the list. Failures answer 401 or 400 with a JSON body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../core/services.ts';
import type { Viewer } from '../../core/auth/viewer.ts';
import { HookyardError, ValidationError } from '../../core/errors.ts';
import { loadDirectory, openDeliveryLog, type DeliveryLog, type Directory } from '../../core/delivery-log/delivery-log-query.ts';
import { authenticate, bearerToken } from '../auth.ts';
import { describeQuery, parseExportQuery } from './export-params.ts';

export interface ExportRequest {
  viewer: Viewer;
  log: DeliveryLog;
  directory: Directory;
  /** The filter in words, for headings. */
  summary: string;
}

function fail(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): null {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
  return null;
}

/**
 * The checks every export makes before the first byte: GET, a valid Bearer key, and a
 * query `open` accepts (a HookyardError it throws answers 400 naming the parameter).
 * Null when it already answered.
 */
export async function openAnyExport<T>(services: Services, req: IncomingMessage, res: ServerResponse, open: (viewer: Viewer, query: URLSearchParams) => Promise<T>): Promise<T | null> {
  if (req.method !== 'GET') return fail(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use GET' } }, { allow: 'GET' });
  const token = bearerToken(req.headers.authorization);
  const viewer = token ? await authenticate(services.pool, token) : null;
  if (!viewer) {
    return fail(res, 401, { error: { code: 'UNAUTHENTICATED', message: token ? 'the API key is unknown or revoked' : 'send the header Authorization: Bearer <api key>' } }, { 'www-authenticate': 'Bearer' });
  }
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  try {
    return await open(viewer, query);
  } catch (error) {
    if (error instanceof HookyardError) {
      // Field names are the query parameter names (`query.createdTo` → `createdTo`).
      const field = error instanceof ValidationError ? error.field.replace(/^query\./, '') : undefined;
      return fail(res, 400, { error: { code: error.code, message: error.message, ...(field ? { field } : {}) } });
    }
    throw error;
  }
}

/** The delivery log's exports: the log opened with the query's filter and sort. */
export function openExport(services: Services, req: IncomingMessage, res: ServerResponse): Promise<ExportRequest | null> {
  return openAnyExport(services, req, res, async (viewer, query) => {
    const input = parseExportQuery(query);
    const log = await openDeliveryLog(services.pool, viewer.tenantId, input, { filter: 'query', orderBy: 'orderBy' });
    const directory = await loadDirectory(services.pool, viewer.tenantId);
    return { viewer, log, directory, summary: describeQuery(query) };
  });
}

/** `deliveries-2026-01-31T12-00-00Z.csv`: a file name that sorts and says when it was made. */
export function exportFileName(extension: string, now = new Date(), list = 'deliveries'): string {
  return `${list}-${now.toISOString().slice(0, 19).replace(/:/g, '-')}Z.${extension}`;
}
