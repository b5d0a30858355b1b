// Reads an inbound request's body within the limit, and parses it by its Content-Type:
// JSON, urlencoded and multipart forms (busboy: fields, and files' name, type and size),
// anything else kept as one string.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import type { ReceivedBody, ReceivedFile } from '../../core/inbound/inbound-item.ts';
import { escapeUnstorable } from '../../core/rules/text.ts';

export type BodyRead = { ok: true; body: Buffer } | { ok: false; size: number };

/** Past the limit, up to this much more is read and dropped so the client sees the 413; beyond it the connection is cut. */
const DRAIN_FACTOR = 2;

/**
 * The whole body if it is at most `limit` bytes. A larger one (declared or streamed) is
 * not kept: reading stops at once, and the rest is drained (up to twice the limit) so
 * the client can read the 413 before the connection closes.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > limit;
    const finishOver = () => {
      if (declared > limit * DRAIN_FACTOR) req.destroy();
      resolve({ ok: false, size: Number.isFinite(declared) ? declared : size });
    };
    if (over && declared > limit * DRAIN_FACTOR) {
      req.pause();
      return finishOver();
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > limit * DRAIN_FACTOR) req.destroy();
        return;
      }
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => (over ? finishOver() : resolve({ ok: true, body: Buffer.concat(chunks, size) })));
    req.on('error', (error) => (over ? finishOver() : reject(error)));
    req.on('aborted', () => (over ? finishOver() : reject(new Error('the client aborted the request'))));
  });
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export type ParsedBody = { ok: true; body: ReceivedBody } | { ok: false; message: string };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function text(body: Buffer): string | null {
  try {
    return UTF8.decode(body);
  } catch {
    return null;
  }
}

function parseMultipart(headers: IncomingMessage['headers'], body: Buffer): Promise<ParsedBody> {
  return new Promise((settle) => {
    let settled = false;
    const resolve = (result: ParsedBody) => {
      if (!settled) settle(result);
      settled = true;
    };
    const fields: [string, string | ReceivedFile][] = [];
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { fieldSize: body.length + 1, fields: 10_000, files: 1000, parts: 11_000 }, defParamCharset: 'utf8' });
    } catch (error) {
      return resolve({ ok: false, message: `the multipart body cannot be read: ${(error as Error).message}` });
    }
    parser.on('field', (name, value) => fields.push([name, value]));
    parser.on('file', (name, stream, info) => {
      const file: ReceivedFile = { filename: info.filename ?? '', contentType: info.mimeType, size: 0 };
      fields.push([name, file]);
      stream.on('data', (chunk: Buffer) => (file.size += chunk.length));
      // A form cut off inside a file fails the file's stream as well as the parser; the parser's error answers.
      stream.on('error', () => undefined);
    });
    parser.on('error', (error: Error) => resolve({ ok: false, message: `the multipart body cannot be read: ${error.message}` }));
    parser.on('close', () => resolve({ ok: true, body: { kind: 'form', fields } }));
    Readable.from([body]).pipe(parser);
  });
}

/** V8 quotes the body in a JSON.parse error ("…" is not valid JSON). */
const EXCERPT = /,? ?"[\s\S]*"(\.\.\.)? is not valid JSON$/;

/**
 * JSON.parse's error without its quote of the body: the log keeps the body itself (or, for
 * a confidential hook, must keep none of it). What is left (an unexpected character, a
 * position) can still be a NUL: escaped, so the refusal can be logged.
 */
function jsonErrorWithoutExcerpt(message: string): string {
  return escapeUnstorable(message.replace(EXCERPT, '') || 'it is not valid JSON');
}

/** The body by its Content-Type; a body that says it is JSON or a form and is not, is the caller's mistake. */
export async function parseBody(headers: IncomingMessage['headers'], body: Buffer): Promise<ParsedBody> {
  if (body.length === 0) return { ok: true, body: { kind: 'none' } };
  const type = mediaType(headers['content-type']);
  if (type === 'application/json' || type.endsWith('+json')) {
    const source = text(body);
    if (source === null) return { ok: false, message: 'the body says it is JSON but is not valid UTF-8' };
    try {
      return { ok: true, body: { kind: 'json', value: JSON.parse(source), text: source } };
    } catch (error) {
      return { ok: false, message: `the body says it is JSON but is not: ${jsonErrorWithoutExcerpt((error as Error).message)}` };
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const source = text(body);
    if (source === null) return { ok: false, message: 'the form body is not valid UTF-8' };
    return { ok: true, body: { kind: 'form', fields: [...new URLSearchParams(source)] } };
  }
  if (type === 'multipart/form-data') return parseMultipart(headers, body);
  // Text is kept as text; bytes that are not UTF-8, or text with NUL characters, as base64.
  const source = text(body);
  return { ok: true, body: { kind: 'raw', text: source !== null && !source.includes('\u0000') ? source : body.toString('base64') } };
}
