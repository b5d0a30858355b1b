// The parsed item of an inbound request: what it publishes as the event's payload. One
// object merged from the body's fields (JSON or form) and the query string, the query
// string winning on a duplicate key; a body that is neither stays one string.

/** A file of a multipart form: described, not kept in the item. */
export interface ReceivedFile {
  filename: string;
  contentType: string;
  size: number;
}

/** What the transport (HTTP route, or the mail listener) made of the request. */
export type ReceivedBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; text: string }
  | { kind: 'form'; fields: [string, string | ReceivedFile][] }
  | { kind: 'raw'; text: string };

export interface ItemOptions {
  includeHeaders: boolean;
  includeMethod: boolean;
  jsonPassthrough: boolean;
}

/** The key the request headers go under (option "put the headers in the item"). */
export const HEADERS_KEY = '__headers';
/** The key the HTTP method goes under (option "put the method in the item"). */
export const METHOD_KEY = '__method';
/** The key a body that has no fields goes under (raw text, a JSON array or scalar, or JSON pass-through). */
export const BODY_KEY = 'body';

/** Sets an own property, also for keys such as `__proto__` that plain assignment would treat specially. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Pairs as an object; a repeated name collects its values in a list, in order. */
function collect(target: Record<string, unknown>, pairs: Iterable<[string, unknown]>): Record<string, unknown> {
  const repeated = new Set<string>();
  for (const [key, value] of pairs) {
    if (!Object.hasOwn(target, key)) put(target, key, value);
    else if (repeated.has(key)) (target[key] as unknown[]).push(value);
    else {
      put(target, key, [target[key], value]);
      repeated.add(key);
    }
  }
  return target;
}

/** Query pairs as an object; a repeated name becomes a list. */
export function queryObject(pairs: Iterable<[string, string]>): Record<string, unknown> {
  return collect({}, pairs);
}

export function buildItem(input: { method: string; headers: Record<string, string | string[]>; query: Record<string, unknown>; body: ReceivedBody }, options: ItemOptions): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  const { body } = input;
  if (body.kind === 'json') {
    if (options.jsonPassthrough) put(item, BODY_KEY, body.text);
    else if (typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)) for (const [k, v] of Object.entries(body.value)) put(item, k, v);
    else put(item, BODY_KEY, body.value);
  } else if (body.kind === 'form') {
    collect(item, body.fields);
  } else if (body.kind === 'raw') {
    put(item, BODY_KEY, body.text);
  }
  // The query string wins on a duplicate key.
  for (const [k, v] of Object.entries(input.query)) put(item, k, v);
  if (options.includeHeaders) put(item, HEADERS_KEY, input.headers);
  if (options.includeMethod) put(item, METHOD_KEY, input.method);
  return item;
}

