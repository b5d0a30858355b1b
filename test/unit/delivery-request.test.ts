import { describe, expect, it } from 'vitest';
import { prepareRequest, SECRET_HEADER_MASK } from '../../worker/delivery/delivery-request.ts';
import { cloudEventBody } from '../../core/delivery/cloud-event.ts';
import { encryptSecret } from '../../core/rules/secret.ts';
import type { DeliveryRow, EventRow } from '../../core/sql/deliveries.ts';
import { Webhook } from 'standardwebhooks';

const KEY = Buffer.alloc(32, 7);
const SECRET = 'whsec_' + Buffer.alloc(32, 1).toString('base64');
const now = new Date('2026-11-28T10:00:00Z');
const event: EventRow = { id: 'evt_1', type: 'invoice.paid', source: '/billing', payload: { amount: 5 }, occurred_at: now };
const bodyOf = (e: EventRow) => cloudEventBody({ id: e.id, source: e.source, type: e.type, occurredAt: e.occurred_at, payload: e.payload });
const row = (over: Partial<DeliveryRow> = {}): DeliveryRow =>
  ({
    id: 'dlv_1',
    tenant_id: 'ten_1',
    event_id: 'evt_1',
    webhook_id: 'whk_1',
    secret_encrypted: encryptSecret(SECRET, KEY),
    previous_secret_encrypted: null,
    previous_secret_expires_at: null,
    headers: { 'x-plain': 'p' },
    secret_headers: { authorization: encryptSecret('Bearer s3cret', KEY) },
    ...over,
  }) as DeliveryRow;

describe('a delivery request', () => {
  it('is signed so a Standard Webhooks verifier accepts it, sends secret headers and logs them masked', () => {
    const prepared = prepareRequest(row(), bodyOf, event, KEY, new Date());
    if (!prepared.ok) throw new Error(prepared.outcome.errorMessage ?? 'not prepared');
    const { request } = prepared;
    expect(request.headers.authorization).toBe('Bearer s3cret');
    expect(request.loggedHeaders.authorization).toBe(SECRET_HEADER_MASK);
    expect(request.loggedHeaders['x-plain']).toBe('p');
    expect(new Webhook(SECRET).verify(request.body, request.headers)).toEqual(JSON.parse(request.body));
    expect(request.headers['webhook-signature']).toMatch(/^v1,/);
    expect(request.headers['webhook-id']).toBe('dlv_1');
  });

  it('turns a secret the key cannot decrypt, a secret that cannot sign and a missing event into failed attempts that say what to fix', () => {
    const wrongKey = prepareRequest(row({ secret_encrypted: encryptSecret(SECRET, Buffer.alloc(32, 9)) }), bodyOf, event, KEY, now);
    expect(wrongKey).toMatchObject({ ok: false, outcome: { ok: false, errorKind: 'secret', errorMessage: expect.stringMatching(/HOOKYARD_SECRET_KEY/) } });
    const badHeader = prepareRequest(row({ secret_headers: { authorization: 'v1:garbage' } }), bodyOf, event, KEY, now);
    expect(badHeader).toMatchObject({ ok: false, outcome: { errorKind: 'secret' } });
    const unsignable = prepareRequest(row({ secret_encrypted: encryptSecret('whsec_', KEY) }), bodyOf, event, KEY, now);
    expect(unsignable).toMatchObject({ ok: false, outcome: { errorKind: 'signing', errorMessage: expect.stringMatching(/rotateWebhookSecret/) } });
    const noEvent = prepareRequest(row(), bodyOf, undefined, KEY, now);
    expect(noEvent).toMatchObject({ ok: false, outcome: { errorKind: 'payload' } });
    const unencodable = prepareRequest(row(), () => {
      throw new TypeError('Do not know how to serialize a BigInt');
    }, event, KEY, now);
    expect(unencodable).toMatchObject({ ok: false, outcome: { errorKind: 'payload', errorMessage: expect.stringMatching(/BigInt/) } });
    // A failure before sending never logs a secret header's value.
    for (const p of [wrongKey, unsignable, noEvent]) if (!p.ok) expect(JSON.stringify(p.loggedHeaders)).not.toMatch(/s3cret/);
  });
});
