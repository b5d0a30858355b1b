// CORS for every HTTP route, in one place: only the origins in HOOKYARD_CORS_ORIGINS get
// Access-Control-* headers (the dashboard is same-origin and needs none). The Origin
// header is never reflected unless listed, never answered with `*`, and credentials are
// never allowed: the API authenticates with a Bearer header, not cookies.
import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';
const ALLOWED_HEADERS = 'authorization, content-type, accept, x-graphql-yoga-csrf';
const EXPOSED_HEADERS = 'content-disposition';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/**
 * Returns a function that adds the CORS headers a request's origin is due (none for an
 * origin not listed) and answers a preflight (OPTIONS) itself: true when it did.
 */
export function createCors(origins: readonly string[]) {
  const allowed = new Set(origins);
  return function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    // Answers differ by Origin once any origin is allowed: caches must keep them apart.
    if (allowed.size > 0) res.setHeader('vary', 'Origin');
    const permitted = typeof origin === 'string' && allowed.has(origin);
    if (permitted) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    }
    if (req.method !== 'OPTIONS') return false;
    // A preflight, or a plain OPTIONS: say what is allowed, run nothing.
    const headers: Record<string, string> = { allow: ALLOWED_METHODS, 'content-length': '0', 'cache-control': 'no-store' };
    if (permitted && req.headers['access-control-request-method']) {
      headers['access-control-allow-methods'] = ALLOWED_METHODS;
      headers['access-control-allow-headers'] = ALLOWED_HEADERS;
      headers['access-control-max-age'] = PREFLIGHT_MAX_AGE_SECONDS;
    }
    res.writeHead(204, headers).end();
    return true;
  };
}
