// The one error boundary of the HTTP edge: every route runs inside it, so no request,
// however malformed, ends the process. An unexpected error is logged with the request it
// came from and answered 500 with a generic body (no stack, no SQL); a request target
// that cannot name anything here is the client's mistake and answered 400 or 404; a
// database outage is answered 503 with Retry-After.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../infra/logger.ts';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../infra/database.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** The longest path segment any route or dashboard file has room for (a file name's limit). */
export const MAX_PATH_SEGMENT = 255;
/** The longest request path (before `?`) worth looking at. */
export const MAX_PATH_LENGTH = 2048;

function answer(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers })
    .end(JSON.stringify({ error: { code, message } }));
}

/** What the log may say about a request: its method and the start of its target. */
function requestContext(req: IncomingMessage) {
  return { method: req.method, url: (req.url ?? '').slice(0, 300) };
}

/**
 * Wraps the server's request listener: synchronous throws and rejected promises of any
 * route end as a logged 500 (or a cut connection when the answer had begun), never as an
 * uncaught exception.
 */
export function withErrorBoundary(log: Logger, handle: RouteHandler) {
  const failed = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    try {
      // An outage is not a bug: say so, and when to try again.
      if (isDatabaseUnavailable(error)) {
        log.warn({ err: error, request: requestContext(req) }, 'an HTTP request failed: the database is unavailable');
        answer(res, 503, 'UNAVAILABLE', `the database is unavailable; try again in ${RETRY_AFTER_SECONDS} s`, { 'retry-after': String(RETRY_AFTER_SECONDS) });
        return;
      }
      log.error({ err: error, request: requestContext(req) }, 'unexpected error in an HTTP request');
      answer(res, 500, 'INTERNAL_SERVER_ERROR', 'the server could not answer this request; try again');
    } catch {
      res.destroy();
    }
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const result = handle(req, res);
      if (result instanceof Promise) result.catch((error: unknown) => failed(req, res, error));
    } catch (error) {
      failed(req, res, error);
    }
  };
}

/**
 * The request's path (undecoded, without the query), or null once a malformed target was
 * answered: not a path (`*`, an absolute URL), bad percent-encoding or a NUL/control
 * character (400), a path or segment longer than anything here can be named (404).
 */
export function requestPath(req: IncomingMessage, res: ServerResponse): string | null {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) {
    answer(res, 400, 'BAD_REQUEST', 'the request target must be a path starting with /');
    return null;
  }
  const path = target.split('?')[0];
  if (path.length > MAX_PATH_LENGTH) {
    answer(res, 404, 'NOT_FOUND', `no route for a path of ${path.length} characters (the limit is ${MAX_PATH_LENGTH})`);
    return null;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    answer(res, 400, 'BAD_REQUEST', 'the path has invalid percent-encoding; encode it as UTF-8 (e.g. %C3%A9)');
    return null;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(decoded)) {
    answer(res, 400, 'BAD_REQUEST', 'the path contains a control character (such as %00); remove it');
    return null;
  }
  if (decoded.split('/').some((segment) => segment.length > MAX_PATH_SEGMENT)) {
    answer(res, 404, 'NOT_FOUND', `no route for a path segment longer than ${MAX_PATH_SEGMENT} characters`);
    return null;
  }
  return path;
}
