// Which extra headers a webhook may add to its requests. Refused: what would break the
// HTTP exchange or the signature, or hide that the request comes from Hookyard.

export const MAX_CUSTOM_HEADERS = 20;
export const MAX_CUSTOM_HEADER_NAME_LENGTH = 256;
export const MAX_CUSTOM_HEADER_VALUE_LENGTH = 4096;

/** RFC 9110 token: the only characters a header name may have. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** RFC 9110 field-value characters: tab, visible ASCII, space and obs-text; no CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Lower-case names refused, with why, for the message. */
const RESERVED = new Map<string, string>(Object.entries({
  // Hop-by-hop (RFC 9110 §7.6.1): they describe one connection, which Hookyard owns.
  connection: 'is hop-by-hop and managed by Hookyard',
  'keep-alive': 'is hop-by-hop and managed by Hookyard',
  'proxy-authenticate': 'is hop-by-hop and managed by Hookyard',
  'proxy-authorization': 'is hop-by-hop and managed by Hookyard',
  'proxy-connection': 'is hop-by-hop and managed by Hookyard',
  te: 'is hop-by-hop and managed by Hookyard',
  trailer: 'is hop-by-hop and managed by Hookyard',
  'transfer-encoding': 'is hop-by-hop and managed by Hookyard',
  upgrade: 'is hop-by-hop and managed by Hookyard',
  // Framing and body description: Hookyard sends an uncompressed JSON body of known length.
  host: 'is set from the webhook URL',
  'content-length': 'is set from the body',
  'content-type': 'is always application/json (the body is a CloudEvents JSON envelope)',
  'content-encoding': 'would misdescribe the body, which is sent uncompressed',
  expect: 'changes how the request is sent and is not supported',
  // Kept so receivers can always tell, and allowlist, that a request comes from Hookyard.
  'user-agent': 'is always Hookyard/<version> so receivers can identify the sender',
}));

export type HeadersCheck = { ok: true } | { ok: false; message: string; header: string };

/** Checks a webhook's custom headers; on failure `header` names the offending one. */
export function checkCustomHeaders(headers: Record<string, string>): HeadersCheck {
  const names = Object.keys(headers);
  if (names.length > MAX_CUSTOM_HEADERS) {
    const header = names[MAX_CUSTOM_HEADERS];
    return { ok: false, header, message: `at most ${MAX_CUSTOM_HEADERS} custom headers are allowed; there are ${names.length}` };
  }
  const seen = new Set<string>();
  for (const name of names) {
    const fail = (why: string): HeadersCheck => ({ ok: false, header: name, message: `header "${name}" ${why}` });
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) {
      return fail("is not a valid header name; use letters, digits and - (e.g. X-Tenant-Id)");
    }
    if (name.length > MAX_CUSTOM_HEADER_NAME_LENGTH) {
      return fail(`has a name of ${name.length} characters; the limit is ${MAX_CUSTOM_HEADER_NAME_LENGTH}`);
    }
    if (seen.has(lower)) return fail('appears twice (header names are case-insensitive)');
    seen.add(lower);
    const reserved = RESERVED.get(lower);
    if (reserved) return fail(`cannot be set: it ${reserved}`);
    if (lower.startsWith('webhook-')) {
      return fail('cannot be set: webhook-* headers carry the Standard Webhooks id, timestamp and signature');
    }
    const value: unknown = headers[name];
    if (typeof value !== 'string') return fail('must have a string value');
    if (value.length > MAX_CUSTOM_HEADER_VALUE_LENGTH) {
      return fail(`has a value of ${value.length} characters; the limit is ${MAX_CUSTOM_HEADER_VALUE_LENGTH}`);
    }
    if (!FIELD_VALUE.test(value)) {
      return fail('has a value with a line break, NUL, another control character or a character outside Latin-1; remove it');
    }
  }
  return { ok: true };
}
