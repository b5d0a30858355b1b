// Standard Webhooks signatures (https://www.standardwebhooks.com/), the scheme the
// `standardwebhooks` and `svix` verifiers check.
import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/**
 * The `webhook-signature` header value: one `v1,<base64 HMAC-SHA256>` entry per secret,
 * space-separated, so during a rotation a receiver holding either secret verifies it.
 * The signed content is `${messageId}.${timestampSeconds}.${body}`; `body` must be the
 * exact string sent.
 */
export function signPayload(args: {
  secrets: string[];
  messageId: string;
  timestamp: Date;
  body: string;
}): string {
  if (args.secrets.length === 0) throw new Error('signPayload needs at least one secret');
  const seconds = webhookTimestamp(args.timestamp);
  const content = `${args.messageId}.${seconds}.${args.body}`;
  return args.secrets
    .map((secret) => `v1,${createHmac('sha256', secretKey(secret)).update(content).digest('base64')}`)
    .join(' ');
}

/** The `webhook-timestamp` header value: whole seconds since the epoch. */
export function webhookTimestamp(at: Date): number {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new Error('signature timestamp is not a valid date');
  return Math.floor(ms / 1000);
}

function secretKey(secret: string): Buffer {
  // Fail loudly: a wrong key would sign "successfully" and every receiver would reject it.
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('webhook secret must start with "whsec_"');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  if (key.length === 0) throw new Error('webhook secret has no key after "whsec_"');
  return key;
}

/** How an HMAC_HEADER webhook signs (schema/entities/Webhook.ts HmacHeader). */
export interface HmacHeaderScheme {
  header: string;
  algorithm: 'sha256' | 'sha512';
  encoding: 'hex' | 'base64';
  prefix: string;
  signed: 'BODY' | 'TIMESTAMP_BODY';
  timestampHeader: string | null;
}

/**
 * The headers of the HMAC_HEADER scheme: `<header>: <prefix><HMAC>` with one value per
 * secret, newest first, separated by ", " (two only during the 24 h after a rotation),
 * and with TIMESTAMP_BODY the timestamp header. The key is the secret's bytes (a whsec_
 * secret's decoded key, as Standard Webhooks uses it).
 */
export function hmacHeaders(args: { scheme: HmacHeaderScheme; secrets: string[]; timestamp: Date; body: string }): Record<string, string> {
  if (args.secrets.length === 0) throw new Error('hmacHeaders needs at least one secret');
  const seconds = webhookTimestamp(args.timestamp);
  const content = args.scheme.signed === 'TIMESTAMP_BODY' ? `${seconds}.${args.body}` : args.body;
  const value = args.secrets
    .map((secret) => args.scheme.prefix + createHmac(args.scheme.algorithm, secretKey(secret)).update(content).digest(args.scheme.encoding))
    .join(', ');
  const headers: Record<string, string> = { [args.scheme.header]: value };
  if (args.scheme.signed === 'TIMESTAMP_BODY') headers[args.scheme.timestampHeader ?? 'x-webhook-timestamp'] = String(seconds);
  return headers;
}
