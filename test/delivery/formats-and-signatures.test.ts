// Every request is what it says: a CloudEvents message the official SDK parses and
// validates (structured and binary mode, payloads of every JSON type), signed in the
// webhook's scheme and verified by outside code: standardwebhooks, @octokit/webhooks-methods
// for the GitHub preset, and Node's crypto the way a receiver checks the other HMAC shapes.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HTTP, type CloudEvent } from 'cloudevents';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { verify as verifyGithub } from '@octokit/webhooks-methods';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, ERROR, publish, run } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';

// A whsec_ secret whose key bytes are printable text: GitHub-style receivers key their
// HMAC with a string's UTF-8 bytes, and this one's are the same as the decoded key.
const TEXT_KEY = 'hookyard-test-key-0123456789-abcdef';
const SECRET = 'whsec_' + Buffer.from(TEXT_KEY).toString('base64');
const PAYLOADS: unknown[] = [{ invoice: 'inv_1', lines: [{ amount: 5 }] }, [1, 'two', { three: 3 }], 'just text', 42.5, true, { name: 'Zoë 東京 🚀', empty: {} }];

describe('body formats and signature schemes', () => {
  const hy = useTestHookyard();
  const receivers: Receiver[] = [];
  afterAll(async () => {
    for (const r of receivers) await r.close();
  });

  /** A webhook on its own receiver and event type; publishes every payload and returns the requests, in order. */
  async function deliver(webhook: Record<string, unknown>, name: string): Promise<ReceivedRequest[]> {
    const r = await startReceiver();
    receivers.push(r);
    const { eventType } = await createWebhookSetup(hy.admin, r.url, { eventType: `format.${name}`, webhook: { secret: SECRET, ...webhook } });
    // One at a time, so the requests come in the order of PAYLOADS.
    for (const [i, payload] of PAYLOADS.entries()) {
      expect((await publish(hy.admin, { type: eventType, payload })).__typename).toBe('PublishedEvent');
      await r.waitFor(i + 1);
    }
    return r.requests;
  }
  const toEvent = (request: ReceivedRequest) => HTTP.toEvent({ headers: request.headers as Record<string, string>, body: request.body }) as CloudEvent<unknown>;

  it('sends structured CloudEvents (application/cloudevents+json) that the SDK parses and validates, signed by Standard Webhooks', async () => {
    const requests = await deliver({}, 'structured');
    for (const [i, request] of requests.entries()) {
      expect(request.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
      const event = toEvent(request);
      expect(event.validate()).toBe(true);
      expect(event).toMatchObject({ specversion: '1.0', type: 'format.structured', source: 'hookyard' });
      expect(event.data).toEqual(PAYLOADS[i]);
      expect(new StandardWebhook(SECRET).verify(request.body, request.headers as Record<string, string>)).toEqual(JSON.parse(request.body));
    }
  });

  it('sends binary CloudEvents (the data as the body, ce-* headers) that the SDK parses and validates', async () => {
    const requests = await deliver({ bodyFormat: 'CLOUDEVENTS_BINARY' }, 'binary');
    for (const [i, request] of requests.entries()) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['ce-specversion']).toBe('1.0');
      expect(JSON.parse(request.body)).toEqual(PAYLOADS[i]);
      const event = toEvent(request);
      expect(event.validate()).toBe(true);
      expect(event).toMatchObject({ type: 'format.binary', source: 'hookyard', id: request.headers['ce-id'] });
      // The SDK's binary-mode parser hands a bare JSON number or boolean back as its text
      // (it quotes what does not start with [, { or "); the body itself is the JSON above.
      const scalar = typeof PAYLOADS[i] === 'number' || typeof PAYLOADS[i] === 'boolean';
      expect(event.data).toEqual(scalar ? String(PAYLOADS[i]) : PAYLOADS[i]);
      // Standard Webhooks signs the body as sent: here, the data.
      expect(new StandardWebhook(SECRET).verify(request.body, request.headers as Record<string, string>)).toEqual(PAYLOADS[i]);
    }
    // The attempt log shows the body as sent.
    const shown = await hy.admin(`{ attempts(first: 1, filter: { deliveryId: "${requests[0].headers['webhook-id']}" }) { edges { node { request { body headers } } } } }`);
    expect(shown.data.attempts.edges[0].node.request.body).toBe(requests[0].body);
  });

  it('signs GitHub-style (the preset), verified by @octokit/webhooks-methods', async () => {
    const requests = await deliver({ signature: { scheme: 'HMAC_HEADER', preset: 'GITHUB' } }, 'github');
    for (const request of requests) {
      expect(request.headers['webhook-signature']).toBeUndefined();
      const signature = String(request.headers['x-hub-signature-256']);
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(await verifyGithub(TEXT_KEY, request.body, signature)).toBe(true);
      expect(await verifyGithub('another secret', request.body, signature)).toBe(false);
    }
  });

  it('signs Qlik-style and with a custom header (SHA-512, base64, prefix, timestamp.body), both checked as a receiver would', async () => {
    const check = (value: string, key: Buffer | string, algorithm: string, encoding: 'hex' | 'base64', content: string, prefix = '') => {
      const expected = Buffer.from(prefix + createHmac(algorithm, key).update(content).digest(encoding));
      const got = Buffer.from(value);
      return expected.length === got.length && timingSafeEqual(expected, got);
    };
    for (const request of await deliver({ signature: { scheme: 'HMAC_HEADER', preset: 'QLIK' } }, 'qlik')) {
      expect(check(String(request.headers['qlik-signature']), TEXT_KEY, 'sha256', 'hex', request.body)).toBe(true);
    }
    const custom = { scheme: 'HMAC_HEADER', header: 'X-Acme-Signature', algorithm: 'SHA512', encoding: 'BASE64', prefix: 'v1=', signed: 'TIMESTAMP_BODY', timestampHeader: 'X-Acme-Timestamp' };
    for (const request of await deliver({ signature: custom }, 'custom')) {
      const timestamp = String(request.headers['x-acme-timestamp']);
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
      expect(check(String(request.headers['x-acme-signature']), TEXT_KEY, 'sha512', 'base64', `${timestamp}.${request.body}`, 'v1=')).toBe(true);
      expect(check(String(request.headers['x-acme-signature']), TEXT_KEY, 'sha512', 'base64', request.body, 'v1=')).toBe(false);
    }
  });

  it('signs with both secrets during a rotation, newest first, in the HMAC header', async () => {
    const r = await startReceiver();
    receivers.push(r);
    const { eventType, webhookId } = await createWebhookSetup(hy.admin, r.url, { eventType: 'format.rotated', webhook: { secret: SECRET, signature: { scheme: 'HMAC_HEADER', preset: 'GITHUB' } } });
    const rotated = await mutate(hy.admin, `mutation { rotateWebhookSecret(input: { id: "${webhookId}" }) { __typename ... on WebhookWithSecretPayload { secret } ${ERROR} } }`);
    const newKey = Buffer.from(rotated.secret.slice('whsec_'.length), 'base64');
    await publish(hy.admin, { type: eventType, payload: { n: 1 } });
    await r.waitFor(1);
    const [request] = r.requests;
    const values = String(request.headers['x-hub-signature-256']).split(', ');
    expect(values).toHaveLength(2);
    expect(values[0]).toBe('sha256=' + createHmac('sha256', newKey).update(request.body).digest('hex'));
    expect(await verifyGithub(TEXT_KEY, request.body, values[1])).toBe(true);
  });

  it('refuses a signature scheme that cannot work, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ scheme: 'HMAC_HEADER' }, 'input.signature.header'],
      [{ scheme: 'HMAC_HEADER', header: 'webhook-signature' }, 'input.signature.header'],
      [{ scheme: 'HMAC_HEADER', header: 'ce-id' }, 'input.signature.header'],
      [{ scheme: 'HMAC_HEADER', header: 'x sig' }, 'input.signature.header'],
      [{ scheme: 'HMAC_HEADER', preset: 'GITHUB', timestampHeader: 'x-ts' }, 'input.signature.timestampHeader'],
      [{ scheme: 'HMAC_HEADER', header: 'x-sig', signed: 'TIMESTAMP_BODY', timestampHeader: 'x-sig' }, 'input.signature.timestampHeader'],
      [{ scheme: 'HMAC_HEADER', header: 'x-sig', prefix: 'has space' }, 'input.signature.prefix'],
      [{ scheme: 'STANDARD_WEBHOOKS', header: 'x-sig' }, 'input.signature.header'],
    ];
    const r = await startReceiver();
    receivers.push(r);
    const { webhookId } = await createWebhookSetup(hy.admin, r.url, { eventType: 'format.refused' });
    for (const [signature, field] of cases) {
      expect(await run(hy.admin, 'updateWebhook', { id: webhookId, signature }), JSON.stringify(signature)).toMatchObject({ __typename: 'ValidationError', field });
    }
    const shown = (await hy.admin(`{ node(id: "${webhookId}") { ... on Webhook { bodyFormat signature { scheme header } } } }`)).data.node;
    expect(shown).toEqual({ bodyFormat: 'CLOUDEVENTS_STRUCTURED', signature: { scheme: 'STANDARD_WEBHOOKS', header: null } });
  });
});
