// One HTTP try of a delivery. Never throws: every way it can go wrong becomes an
// AttemptOutcome the attempt log can show.
import { request } from 'undici';
import type { Dispatcher } from 'undici';

/** The kinds of schema/entities/Attempt.ts; the last five are set before or after the request (delivery-request.ts, outcome-recorder.ts). */
export type AttemptErrorKind = 'timeout' | 'dns' | 'refused' | 'tls' | 'reset' | 'blocked' | 'headers_overflow' | 'secret' | 'signing' | 'payload' | 'unstorable' | 'other';

/** How a response body is stored and shown: as text, or as base64 of its bytes. */
export type BodyEncoding = 'utf8' | 'base64';

export type AttemptOutcome = {
  ok: boolean;
  status: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  responseBodyEncoding: BodyEncoding;
  responseTruncated: boolean;
  errorKind: AttemptErrorKind | null;
  errorMessage: string | null;
  durationMs: number;
};

export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/** undici's own timers sit behind our deadline so the abort, with its clear message, fires first. */
const UNDICI_TIMEOUT_SLACK_MS = 1_000;

/**
 * POSTs `body` to `url` once. Success is a 2xx whose response completes within
 * `timeoutMs`; that single deadline covers connecting, the headers and the body.
 * Redirects are not followed (a 3xx is a failure with its status). At most
 * `maxResponseBytes` of the response body are kept; the rest is never read.
 */
export async function sendAttempt(args: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  dispatcher: Dispatcher;
  maxResponseBytes?: number;
}): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // A timer cleared when the attempt ends, not AbortSignal.timeout: with tracing on, CPU
  // profiles showed every attempt's timeout signal alive until it fired (timeoutMs later),
  // holding what listened to it; a cleared timer frees the attempt as soon as it ends.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`Timed out after ${args.timeoutMs} ms`, 'TimeoutError')), args.timeoutMs);
  const signal = deadline.signal;
  let status: number | null = null;
  let responseHeaders: Record<string, string> | null = null;
  let partial: { chunks: Buffer[]; truncated: boolean } = { chunks: [], truncated: false };
  try {
    const response = await request(args.url, {
      method: 'POST',
      headers: args.headers,
      body: args.body,
      dispatcher: args.dispatcher,
      signal,
      headersTimeout: args.timeoutMs + UNDICI_TIMEOUT_SLACK_MS,
      bodyTimeout: args.timeoutMs + UNDICI_TIMEOUT_SLACK_MS,
    });
    status = response.statusCode;
    responseHeaders = flattenHeaders(response.headers);
    partial = await readCapped(response.body, args.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, partial);
    const stored = encodeResponseBody(Buffer.concat(partial.chunks), partial.truncated);
    return {
      ok: status >= 200 && status < 300,
      status,
      responseHeaders,
      responseBody: stored.body,
      responseBodyEncoding: stored.encoding,
      responseTruncated: partial.truncated,
      errorKind: null,
      errorMessage: null,
      durationMs: elapsed(),
    };
  } catch (error) {
    const kind = signal.aborted ? 'timeout' : classifyError(error);
    // A body cut short by the error is still worth showing, when there was a response.
    const stored = status === null ? null : encodeResponseBody(Buffer.concat(partial.chunks), true);
    return {
      ok: false,
      status,
      responseHeaders,
      responseBody: stored?.body ?? null,
      responseBodyEncoding: stored?.encoding ?? 'utf8',
      responseTruncated: partial.truncated,
      errorKind: kind,
      errorMessage: kind === 'timeout' ? `Timed out after ${args.timeoutMs} ms` : errorMessage(error),
      durationMs: elapsed(),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads at most `limit` bytes, then destroys the stream so the rest is dropped unread
 * (undici closes that connection). Progress goes into `into`, so a read that fails
 * half-way still leaves what arrived.
 */
async function readCapped(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  into: { chunks: Buffer[]; truncated: boolean },
): Promise<{ chunks: Buffer[]; truncated: boolean }> {
  let received = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const room = limit - received;
      if (chunk.length > room) {
        into.chunks.push(chunk.subarray(0, room));
        into.truncated = true;
        break;
      }
      received += chunk.length;
      into.chunks.push(chunk);
    }
  } finally {
    body.destroy();
  }
  return into;
}

/**
 * A response body as it can be stored and shown: UTF-8 text as it is, and anything a
 * text column cannot hold (a NUL byte, invalid UTF-8, a binary or compressed body) as
 * base64 of its bytes, so one odd answer never fails the record of a whole batch. A body
 * that was cut (`truncated`) may end in the middle of a character: that tail is dropped.
 */
export function encodeResponseBody(bytes: Buffer, truncated: boolean): { body: string; encoding: BodyEncoding } {
  try {
    // `stream: true` holds back a character split at the cut instead of refusing it.
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes, { stream: truncated });
    if (!text.includes('\u0000')) return { body: text, encoding: 'utf8' };
  } catch {
    // not UTF-8: kept as bytes below
  }
  return { body: bytes.toString('base64'), encoding: 'base64' };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

const CODES_BY_KIND: Partial<Record<AttemptErrorKind, string[]>> = {
  blocked: ['EBLOCKED'],
  timeout: ['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED'],
  dns: ['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME'],
  refused: ['ECONNREFUSED'],
  reset: ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'],
  headers_overflow: ['UND_ERR_HEADERS_OVERFLOW', 'HPE_HEADER_OVERFLOW'],
};
const KIND_BY_CODE = new Map(
  Object.entries(CODES_BY_KIND).flatMap(([kind, codes]) => codes.map((code) => [code, kind as AttemptErrorKind] as const)),
);

/** Maps an undici/net/tls/dns error (or one it wraps) to the kind the attempt log shows. */
export function classifyError(error: unknown): AttemptErrorKind {
  for (const candidate of errorChain(error)) {
    const code = (candidate as { code?: unknown }).code;
    if (typeof code === 'string') {
      const kind = KIND_BY_CODE.get(code);
      if (kind) return kind;
      if (/TLS|SSL|CERT|HOSTNAME_MISMATCH/.test(code)) return 'tls';
    }
    const name = (candidate as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  }
  return 'other';
}

/** The error, its causes and, for an AggregateError (one per address tried), its members. */
function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  const pending = [error];
  while (pending.length > 0 && chain.length < 16) {
    const next = pending.shift();
    if (next === null || typeof next !== 'object') continue;
    chain.push(next);
    if (next instanceof AggregateError) pending.push(...next.errors);
    if ('cause' in next) pending.push(next.cause);
  }
  return chain;
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return error.errors.map((e: unknown) => errorMessage(e)).join('; ');
  }
  if (!(error instanceof Error)) return String(error);
  // OpenSSL messages end in a newline and do not say their code; add it when missing.
  const message = error.message.trim() || error.name;
  const code = (error as NodeJS.ErrnoException).code;
  const informative = typeof code === 'string' && code !== 'EBLOCKED' && !message.includes(code);
  return informative ? `${message} (${code})` : message;
}
