// A webhook's signature scheme: Standard Webhooks, or one HMAC header as GitHub- or
// Qlik-style receivers check it. Checked when saved, with errors that name the field.
import { ValidationError } from '../errors.ts';
import type { HmacHeader, SignatureScheme } from '../../schema/entities/Webhook.ts';

/** Receivers Hookyard replaces or imitates, by the header they check. */
export const HMAC_PRESETS = {
  /** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` (verify with @octokit/webhooks-methods). */
  GITHUB: { header: 'x-hub-signature-256', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', signed: 'BODY', timestampHeader: null },
  /** Qlik: one `Qlik-Signature` header with the hex HMAC-SHA256 of the body. */
  QLIK: { header: 'qlik-signature', algorithm: 'sha256', encoding: 'hex', prefix: '', signed: 'BODY', timestampHeader: null },
} as const satisfies Record<string, HmacHeader>;
export type HmacPreset = keyof typeof HMAC_PRESETS;

/** Headers Hookyard sets itself: a signature may not take their names. */
const RESERVED = /^(content-type|content-length|host|user-agent|webhook-id|webhook-timestamp|webhook-signature|ce-.*|transfer-encoding|connection)$/;
const TOKEN = /^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

export interface SignatureInput {
  scheme: SignatureScheme;
  preset?: HmacPreset | null;
  header?: string | null;
  algorithm?: 'sha256' | 'sha512' | null;
  encoding?: 'hex' | 'base64' | null;
  prefix?: string | null;
  signed?: 'BODY' | 'TIMESTAMP_BODY' | null;
  timestampHeader?: string | null;
}

/** The scheme and its HMAC header (null for Standard Webhooks), from the input as given. */
export function checkSignatureScheme(field: string, input: SignatureInput): { scheme: SignatureScheme; hmac: HmacHeader | null } {
  if (input.scheme === 'STANDARD_WEBHOOKS') {
    const extra = (['preset', 'header', 'algorithm', 'encoding', 'prefix', 'signed', 'timestampHeader'] as const).find((k) => input[k] != null);
    if (extra) throw new ValidationError(`${field}.${extra}`, `${extra} belongs to the HMAC_HEADER scheme; leave it out for STANDARD_WEBHOOKS`);
    return { scheme: 'STANDARD_WEBHOOKS', hmac: null };
  }
  const base: HmacHeader = input.preset ? { ...HMAC_PRESETS[input.preset] } : { header: '', algorithm: 'sha256', encoding: 'hex', prefix: '', signed: 'BODY', timestampHeader: null };
  const hmac: HmacHeader = {
    header: (input.header ?? base.header).trim().toLowerCase(),
    algorithm: input.algorithm ?? base.algorithm,
    encoding: input.encoding ?? base.encoding,
    prefix: input.prefix ?? base.prefix,
    signed: input.signed ?? base.signed,
    timestampHeader: input.timestampHeader?.trim().toLowerCase() ?? base.timestampHeader,
  };
  if (!hmac.header) throw new ValidationError(`${field}.header`, 'name the header that carries the signature, e.g. x-signature, or pick a preset (GITHUB, QLIK)');
  for (const [name, value] of [['header', hmac.header], ['timestampHeader', hmac.timestampHeader]] as const) {
    if (value === null) continue;
    if (!TOKEN.test(value)) throw new ValidationError(`${field}.${name}`, `"${value.slice(0, 100)}" is not a header name: letters, digits and - _ . only, up to 100`);
    if (RESERVED.test(value)) throw new ValidationError(`${field}.${name}`, `${value} is a header Hookyard sets itself; choose another name`);
  }
  if (hmac.signed === 'TIMESTAMP_BODY') {
    hmac.timestampHeader ??= 'x-webhook-timestamp';
    if (hmac.timestampHeader === hmac.header) throw new ValidationError(`${field}.timestampHeader`, 'the timestamp needs a header of its own, not the signature header');
  } else if (input.timestampHeader != null) {
    throw new ValidationError(`${field}.timestampHeader`, 'a timestamp header goes with signed: TIMESTAMP_BODY only');
  } else hmac.timestampHeader = null;
  if (!/^[\x21-\x7e]{0,50}$/.test(hmac.prefix)) throw new ValidationError(`${field}.prefix`, 'a prefix is up to 50 printable characters without spaces, e.g. sha256=');
  return { scheme: 'HMAC_HEADER', hmac };
}
