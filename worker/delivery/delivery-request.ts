// The HTTP request of one delivery attempt: body, headers and signature. Building it can
// fail for that delivery alone (a secret the key cannot decrypt, a request that cannot be
// signed, an event that cannot be encoded); such a failure is the attempt's outcome.
import { VERSION } from '../../core/version.ts';
import { decryptSecret } from '../../core/rules/secret.ts';
import type { DeliveryRow, EventRow } from '../../core/sql/deliveries.ts';
import { BINARY_CONTENT_TYPE, STRUCTURED_CONTENT_TYPE, cloudEventHeaders } from '../../core/delivery/cloud-event.ts';
import { hmacHeaders, signPayload, webhookTimestamp } from './signature.ts';
import type { AttemptErrorKind, AttemptOutcome } from './send-attempt.ts';

/** What the attempt log shows in place of a secret header's value. */
export const SECRET_HEADER_MASK = '[secret]';

export interface DeliveryRequest {
  body: string;
  /** As sent, secret header values included. */
  headers: Record<string, string>;
  /** As logged: secret header values masked. */
  loggedHeaders: Record<string, string>;
}

export type PreparedRequest = { ok: true; request: DeliveryRequest } | { ok: false; outcome: AttemptOutcome; body: string; loggedHeaders: Record<string, string> };

/** A failure before any byte was sent, as an attempt outcome that says what to fix. */
export function failedBeforeSending(errorKind: AttemptErrorKind, errorMessage: string): AttemptOutcome {
  return { ok: false, status: null, responseHeaders: null, responseBody: null, responseBodyEncoding: 'utf8', responseTruncated: false, errorKind, errorMessage, durationMs: 0 };
}

/**
 * Builds the request of `row` for `event` at `now`, in the webhook's body format and
 * signature scheme. `bodyOf` gives the event's body in a format, built once per event
 * and shared by its deliveries. Secrets are decrypted here and dropped with the request:
 * none is cached.
 */
export function prepareRequest(
  row: DeliveryRow,
  bodyOf: (event: EventRow, format: DeliveryRow['body_format']) => string,
  event: EventRow | undefined,
  secretKey: Buffer,
  now: Date,
): PreparedRequest {
  const binary = row.body_format === 'CLOUDEVENTS_BINARY';
  let fixed: Record<string, string> = { 'content-type': binary ? BINARY_CONTENT_TYPE : STRUCTURED_CONTENT_TYPE, 'user-agent': `Hookyard/${VERSION}`, 'webhook-id': row.id };
  let plainHeaders = { ...row.headers, ...fixed };
  let body = '';
  try {
    if (!event) throw new Error(`event ${row.event_id} no longer exists`);
    body = bodyOf(event, row.body_format);
    if (binary) {
      fixed = { ...fixed, ...cloudEventHeaders({ id: event.id, source: event.source, type: event.type, occurredAt: event.occurred_at, payload: event.payload }) };
      plainHeaders = { ...row.headers, ...fixed };
    }
  } catch (error) {
    return { ok: false, body, loggedHeaders: plainHeaders, outcome: failedBeforeSending('payload', `the event could not be encoded as a CloudEvent: ${message(error)}`) };
  }
  let secrets: string[];
  let secretHeaders: Record<string, string>;
  try {
    secrets = [decryptSecret(row.secret_encrypted, secretKey)];
    if (row.previous_secret_encrypted && row.previous_secret_expires_at && row.previous_secret_expires_at > now) {
      secrets.push(decryptSecret(row.previous_secret_encrypted, secretKey));
    }
    secretHeaders = Object.fromEntries(Object.entries(row.secret_headers ?? {}).map(([name, stored]) => [name, decryptSecret(stored, secretKey)]));
  } catch {
    return {
      ok: false,
      body,
      loggedHeaders: plainHeaders,
      outcome: failedBeforeSending(
        'secret',
        "the webhook's secret (or a secret header) cannot be decrypted with this HOOKYARD_SECRET_KEY: start Hookyard with the key it was stored under, or give the webhook a new secret (rotateWebhookSecret) and re-enter its secret headers",
      ),
    };
  }
  let signed: Record<string, string>;
  try {
    signed =
      row.signature_scheme === 'HMAC_HEADER' && row.signature_hmac
        ? hmacHeaders({ scheme: row.signature_hmac, secrets, timestamp: now, body })
        : { 'webhook-timestamp': String(webhookTimestamp(now)), 'webhook-signature': signPayload({ secrets, messageId: row.id, timestamp: now, body }) };
  } catch (error) {
    return { ok: false, body, loggedHeaders: plainHeaders, outcome: failedBeforeSending('signing', `the request could not be signed: ${message(error)}; give the webhook a new secret (rotateWebhookSecret)`) };
  }
  const masked = Object.fromEntries(Object.keys(secretHeaders).map((name) => [name, SECRET_HEADER_MASK]));
  return {
    ok: true,
    request: {
      body,
      headers: { ...row.headers, ...secretHeaders, ...fixed, ...signed },
      loggedHeaders: { ...row.headers, ...masked, ...fixed, ...signed },
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
