// ANY /in/<token>: an inbound hook's URL. Answers in this order: 404 unknown token, 410
// deleted or expired hook, 403 outside the IP allowlist, 429 past the rate limit, 413 past
// the body limit, 400 for a body that is not what it says, then core/inbound/accept-inbound.ts
// (400 data structure, 400 queue full, else 200 or the custom response). Every answer
// after the token is found is logged; only accepted requests are queued.
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import type { Services } from '../../core/services.ts';
import * as sql from '../../core/sql/inbound.ts';
import { acceptItem, goneAnswer, logRefusal, textAnswer, type Answer, type HookRow, type ReceivedCall } from '../../core/inbound/accept-inbound.ts';
import { addressAllowed, clientAddress } from '../../core/inbound/ip-allowlist.ts';
import { buildItem, queryObject } from '../../core/inbound/inbound-item.ts';
import { parseBody, readBody } from './read-body.ts';
import type { InboundRateLimiter } from './inbound-rate-limiter.ts';

/** `/in/<token>`: the token is base64url, 20 to 100 characters. */
export const INBOUND_PATH = /^\/in\/([A-Za-z0-9_-]{20,100})\/?$/;

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, { 'cache-control': 'no-store', ...answer.headers }).end(answer.body);
}

function requestHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) out[name] = value;
  return out;
}

/** Connections of the inbound route's own pool (beside the shared pool of 10). */
export const INBOUND_POOL_SIZE = 16;

/**
 * The route, with its own pool (the same database and client class as the shared one), so
 * a burst of inbound calls neither waits behind GraphQL nor makes GraphQL wait behind it.
 */
export function createInboundRoute(services: Services, rateLimiter: InboundRateLimiter) {
  const { config } = services;
  const pool = new pg.Pool({ ...services.pool.options, max: INBOUND_POOL_SIZE });
  pool.on('error', (error) => services.log.warn({ err: error }, 'idle inbound database connection failed'));
  const deps = { ...services, pool };
  const handleInbound = async function handleInbound(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const match = INBOUND_PATH.exec(path);
    const hook = match ? (await pool.query<HookRow>(sql.hookByToken(match[1]))).rows[0] : undefined;
    if (!hook || hook.kind !== 'HTTP') {
      req.resume();
      return send(res, textAnswer(404, 'Not Found: no inbound hook has this URL. Check the URL, or regenerate it in Hookyard if its token changed.'));
    }
    const target = req.url ?? path;
    const query = queryObject(new URLSearchParams(target.includes('?') ? target.slice(target.indexOf('?') + 1) : ''));
    const call: ReceivedCall = {
      kind: 'HTTP',
      receivedAt: new Date(),
      method: req.method ?? 'GET',
      url: target,
      remoteAddress: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], config.trustedProxies),
      headers: requestHeaders(req),
      query,
      body: null,
      bodySize: Number(req.headers['content-length'] ?? 0) || 0,
    };
    const refuse = async (answer: Answer, message: string) => {
      req.resume();
      send(res, await logRefusal(deps, hook, call, answer, message));
    };

    const gone = goneAnswer(hook);
    if (gone) return refuse(gone, gone.body);
    if (!addressAllowed(hook.ip_allowlist, call.remoteAddress)) {
      return refuse(textAnswer(403, `Forbidden: ${call.remoteAddress ?? 'this address'} is not in this hook's IP allowlist.`), `${call.remoteAddress} is outside the IP allowlist`);
    }
    if (hook.rate_limit_per_second !== null) {
      const waitMs = await rateLimiter.waitMs(hook.id, hook.rate_limit_per_second);
      if (waitMs > 0) {
        const seconds = Math.max(1, Math.ceil(waitMs / 1000));
        return refuse(
          textAnswer(429, `Too Many Requests: this hook accepts ${hook.rate_limit_per_second} requests per second; retry after ${seconds} s.`, { 'retry-after': String(seconds) }),
          `past the rate limit of ${hook.rate_limit_per_second} requests per second`,
        );
      }
    }
    const read = await readBody(req, config.inboundBodyLimitBytes);
    if (!read.ok) {
      call.bodySize = read.size;
      const answer = textAnswer(413, `Payload Too Large: the body is ${read.size} bytes; the limit is ${config.inboundBodyLimitBytes} bytes.`, { connection: 'close' });
      return send(res, await logRefusal(deps, hook, call, answer, answer.body));
    }
    call.body = read.body;
    call.bodySize = read.body.length;
    const parsed = await parseBody(req.headers, read.body);
    if (!parsed.ok) {
      const answer = textAnswer(400, `Bad Request: ${parsed.message}.`);
      return send(res, await logRefusal(deps, hook, call, answer, parsed.message));
    }
    const item = buildItem(
      { method: call.method, headers: call.headers, query, body: parsed.body },
      { includeHeaders: hook.include_headers, includeMethod: hook.include_method, jsonPassthrough: hook.json_passthrough },
    );
    send(res, await acceptItem(deps, hook, call, item));
  };
  return { handle: handleInbound, close: () => pool.end() };
}
