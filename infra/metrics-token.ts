// HOOKYARD_METRICS_TOKEN: when set, every /metrics (the API's and a worker-only
// process's) wants `Authorization: Bearer <token>`; unset, /metrics is open.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * True when the request may read metrics; otherwise answers 401 and returns false. The
 * comparison takes the same time whatever the header holds.
 */
export function metricsAllowed(token: string | null, req: IncomingMessage, res: ServerResponse): boolean {
  if (token === null) return true;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (match && timingSafeEqual(digest(match[1]), digest(token))) return true;
  res
    .writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"', 'cache-control': 'no-store' })
    .end(match ? 'the metrics token is wrong\n' : 'send the header Authorization: Bearer <HOOKYARD_METRICS_TOKEN>\n');
  return false;
}
