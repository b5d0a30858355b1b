// What an inbound hook's settings may be: each check names the input field to fix.
import ipaddr from 'ipaddr.js';
import { ValidationError } from '../errors.ts';
import type { AnswerMode, InboundHookKind, ProcessingMode } from '../../schema/entities/InboundHook.ts';
import { compilePayloadSchema } from '../rules/payload-schema.ts';

export const DEFAULT_QUEUE_LIMIT = 10_000;
export const MAX_QUEUE_LIMIT = 1_000_000;
export const DEFAULT_INBOUND_RATE_LIMIT = 30;
export const MAX_INBOUND_RATE_LIMIT = 100_000;
export const MAX_ALLOWLIST_ENTRIES = 100;
export const MIN_SCHEDULE_INTERVAL_SECONDS = 1;
export const MAX_SCHEDULE_INTERVAL_SECONDS = 7 * 24 * 3600;
export const MAX_SCHEDULE_BATCH_SIZE = 1000;
export const MAX_RESPONSE_BODY_LENGTH = 64 * 1024;
export const MAX_RESPONSE_HEADERS = 20;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the custom response may not set: HTTP framing belongs to the server. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te']);

function wholeNumber(field: string, value: number, min: number, max: number, example: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new ValidationError(field, `${field} must be a whole number from ${min} to ${max}, e.g. ${example}`);
  return value;
}

export function checkQueueLimit(field: string, value: number): number {
  return wholeNumber(field, value, 1, MAX_QUEUE_LIMIT, String(DEFAULT_QUEUE_LIMIT));
}

/** Requests per second per hook; null: no limit. */
export function checkInboundRateLimit(field: string, value: number | null): number | null {
  return value === null ? null : wholeNumber(field, value, 1, MAX_INBOUND_RATE_LIMIT, String(DEFAULT_INBOUND_RATE_LIMIT));
}

/** IPv4 and IPv6 addresses or CIDRs, normalized (`10.0.0.1` becomes `10.0.0.1/32`); empty: every address may call. */
export function checkIpAllowlist(field: string, entries: string[]): string[] {
  if (entries.length > MAX_ALLOWLIST_ENTRIES) throw new ValidationError(field, `at most ${MAX_ALLOWLIST_ENTRIES} entries; there are ${entries.length} (use wider CIDRs)`);
  const out: string[] = [];
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    try {
      if (entry.includes('/')) {
        const [address, bits] = ipaddr.parseCIDR(entry);
        out.push(`${address.toString()}/${bits}`);
      } else {
        const address = ipaddr.parse(entry);
        out.push(`${address.toString()}/${address.kind() === 'ipv6' ? 128 : 32}`);
      }
    } catch {
      throw new ValidationError(`${field}[${i}]`, `"${entry.slice(0, 100)}" is not an IP address or CIDR; write e.g. 203.0.113.0/24 or 2001:db8::/32`);
    }
  });
  return [...new Set(out)];
}

export interface ScheduleSettings {
  scheduleIntervalSeconds: number | null;
  scheduleBatchSize: number | null;
}

/** A SCHEDULED hook needs an interval and a batch size; the other modes have none. */
export function checkSchedule(field: string, mode: ProcessingMode, interval: number | null | undefined, batch: number | null | undefined): ScheduleSettings {
  if (mode !== 'SCHEDULED') return { scheduleIntervalSeconds: null, scheduleBatchSize: null };
  if (interval == null) throw new ValidationError(`${field}.scheduleIntervalSeconds`, 'a SCHEDULED hook needs scheduleIntervalSeconds: how often it runs, e.g. 900 for every 15 minutes');
  if (batch == null) throw new ValidationError(`${field}.scheduleBatchSize`, 'a SCHEDULED hook needs scheduleBatchSize: how many items one run takes at most, e.g. 100');
  return {
    scheduleIntervalSeconds: wholeNumber(`${field}.scheduleIntervalSeconds`, interval, MIN_SCHEDULE_INTERVAL_SECONDS, MAX_SCHEDULE_INTERVAL_SECONDS, '900'),
    scheduleBatchSize: wholeNumber(`${field}.scheduleBatchSize`, batch, 1, MAX_SCHEDULE_BATCH_SIZE, '100'),
  };
}

export interface CustomResponse {
  responseStatus: number | null;
  responseBody: string | null;
  responseHeaders: Record<string, string>;
}

/** The answer a hook gives instead of 200 `Accepted`: status 200 to 499, a body, headers (a 3xx needs Location). */
export function checkCustomResponse(field: string, status: number | null, body: string | null, headers: Record<string, unknown>): CustomResponse {
  if (status !== null) wholeNumber(`${field}.responseStatus`, status, 200, 499, '200, 302 or 400');
  if (body !== null && body.length > MAX_RESPONSE_BODY_LENGTH) throw new ValidationError(`${field}.responseBody`, `the response body is ${body.length} characters; the limit is ${MAX_RESPONSE_BODY_LENGTH}`);
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw new ValidationError(`${field}.responseHeaders`, 'responseHeaders must be an object of header names to values, e.g. {"Content-Type":"application/json"}');
  const names = Object.keys(headers);
  if (names.length > MAX_RESPONSE_HEADERS) throw new ValidationError(`${field}.responseHeaders`, `at most ${MAX_RESPONSE_HEADERS} headers; there are ${names.length}`);
  const seen = new Set<string>();
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    const lower = name.toLowerCase();
    const fail = (why: string) => new ValidationError(`${field}.responseHeaders`, `header "${name.slice(0, 100)}" ${why}`);
    if (!TOKEN.test(name) || name.length > 256) throw fail('is not a valid header name; use letters, digits and - (e.g. Content-Type)');
    if (seen.has(lower)) throw fail('appears twice (header names are case-insensitive)');
    seen.add(lower);
    if (FRAMING.has(lower)) throw fail('cannot be set: it belongs to the HTTP connection, which Hookyard manages');
    if (typeof value !== 'string') throw fail('must have a string value');
    if (value.length > 4096 || !FIELD_VALUE.test(value)) throw fail('has a value that is too long or has a line break or control character');
    out[name] = value;
  }
  if (status !== null && status >= 300 && status < 400 && !names.some((n) => n.toLowerCase() === 'location')) {
    throw new ValidationError(`${field}.responseHeaders`, `a ${status} redirect needs a Location header, e.g. {"Location":"https://example.com/thanks"}`);
  }
  return { responseStatus: status, responseBody: body, responseHeaders: out };
}

/**
 * Whether two data structures are the same JSON (keys in any order): saving the structure a
 * hook already has is no change to it. JSON only: a literal's objects may lack a prototype.
 */
export function sameDataStructure(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}

/** A hand-written data structure: a JSON Schema object ajv can compile. */
export function checkDataStructure(field: string, schema: unknown): Record<string, unknown> {
  compilePayloadSchema(field, schema);
  return schema as Record<string, unknown>;
}

/** The 500's body when a hook that answers from processing cannot publish, unless the hook has its own. */
export const DEFAULT_FAILURE_RESPONSE_BODY = 'The scenario did not complete.';

export interface AnswerSettings {
  answerMode: AnswerMode;
  failureResponseBody: string | null;
}

/**
 * How a hook answers: STATIC (200 `Accepted` or the custom response), or FROM_PROCESSING,
 * which only an IMMEDIATE HTTP hook can do (any other processes the item later, so there
 * is no result to answer with) and which has no static custom response to send instead.
 */
export function checkAnswerMode(field: string, hook: { kind: InboundHookKind; processingMode: ProcessingMode } & CustomResponse, answer: AnswerSettings): AnswerSettings {
  if (answer.failureResponseBody !== null && answer.failureResponseBody.length > MAX_RESPONSE_BODY_LENGTH) {
    throw new ValidationError(`${field}.failureResponseBody`, `the failure response body is ${answer.failureResponseBody.length} characters; the limit is ${MAX_RESPONSE_BODY_LENGTH}`);
  }
  if (answer.answerMode === 'STATIC') {
    if (answer.failureResponseBody !== null) {
      throw new ValidationError(`${field}.failureResponseBody`, 'failureResponseBody is the text of the 500 that a hook answering FROM_PROCESSING sends when publishing fails; set answerMode FROM_PROCESSING, or leave failureResponseBody out');
    }
    return answer;
  }
  if (hook.kind !== 'HTTP') throw new ValidationError(`${field}.answerMode`, 'a mail hook answers over SMTP, not with the result of processing; set answerMode STATIC');
  if (hook.processingMode !== 'IMMEDIATE') {
    throw new ValidationError(
      `${field}.answerMode`,
      `only an IMMEDIATE hook can answer from processing: a ${hook.processingMode} hook processes the item later, so the answer cannot wait for it; set processingMode IMMEDIATE, or answerMode STATIC`,
    );
  }
  if (hook.responseStatus !== null || hook.responseBody !== null || Object.keys(hook.responseHeaders).length > 0) {
    throw new ValidationError(
      `${field}.answerMode`,
      'a hook that answers from processing sends the event id (or the failure text) instead of a custom response; remove responseStatus, responseBody and responseHeaders, or set answerMode STATIC',
    );
  }
  return answer;
}
