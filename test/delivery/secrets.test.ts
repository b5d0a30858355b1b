import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish, run } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';

/** Whether each verifier accepts `request` with `secret` (raw: a plain secret, { format: "raw" }). */
function verifies(request: ReceivedRequest, secret: string) {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  const options = secret.startsWith('whsec_') ? undefined : ({ format: 'raw' } as const);
  const attempt = (verify: () => unknown) => {
    try {
      verify();
      return true;
    } catch {
      return false;
    }
  };
  return {
    standardwebhooks: attempt(() => new StandardWebhook(secret, options).verify(request.body, headers)),
    svix: attempt(() => new SvixWebhook(secret, options).verify(request.body, headers)),
  };
}

const BOTH = { standardwebhooks: true, svix: true };
const NEITHER = { standardwebhooks: false, svix: false };

describe('secrets as integrators bring them', () => {
  let hy: TestHookyard;
  let db: ReturnType<typeof sqlClient>;
  const receivers: Receiver[] = [];
  let n = 0;
  beforeAll(async () => {
    hy = await startTestHookyard();
    db = sqlClient(hy.databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    for (const r of receivers) await r.close();
    await hy?.stop();
  });
  const setup = async (webhook: Record<string, unknown> = {}) => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const created = await createWebhookSetup(hy.admin, receiver.url, { eventType: `secret${++n}.tested`, webhook });
    let sent = 0;
    /** Publishes one event and returns the request the receiver got for it. */
    const deliver = async () => {
      await publish(hy.admin, { type: created.eventType, payload: { n: sent } });
      await receiver.waitFor(++sent);
      return receiver.requests[sent - 1];
    };
    return { ...created, deliver };
  };

  it('signs with a plain secret of 32 and of 64 printable ASCII characters, which both verifiers check with { format: "raw" }', async () => {
    for (const secret of ['p'.repeat(31) + '!', 'A1 ~!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}'.padEnd(64, 'z')]) {
      const { secret: shown, deliver } = await setup({ secret });
      expect(shown).toBe(secret);
      const request = await deliver();
      expect(verifies(request, secret)).toEqual(BOTH);
      // Its UTF-8 bytes are the key: the same bytes as a whsec_ secret verify too, and a near miss does not.
      expect(verifies(request, `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`)).toEqual(BOTH);
      expect(verifies(request, `${secret.slice(0, -1)}#`)).toEqual(NEITHER);
    }
  });

  it('refuses a plain secret of 31 or 65 characters, outside printable ASCII, or with a space at an end, saying what a secret is', async () => {
    const { webhookId } = await setup();
    for (const secret of ['p'.repeat(31), 'p'.repeat(65), `${'p'.repeat(31)}é`, ` ${'p'.repeat(32)}`, `${'p'.repeat(31)}\n`, `whsec_${'p'.repeat(41)}`]) {
      const rotated = await run(hy.admin, 'rotateWebhookSecret', { id: webhookId, secret });
      expect(rotated, JSON.stringify(secret)).toMatchObject({ __typename: 'ValidationError', field: 'input.secret' });
      expect(rotated.message).toMatch(/whsec_/);
    }
    expect((await run(hy.admin, 'rotateWebhookSecret', { id: webhookId, secret: 'q'.repeat(64) })).__typename).toBe('WebhookWithSecretPayload');
  });

  it('rotates from a whsec_ secret to a plain one and back: for 24 hours the old and the new one each verify alone', async () => {
    const { webhookId, secret: first, deliver } = await setup();
    expect(verifies(await deliver(), first)).toEqual(BOTH);

    const plain = 'rotated-plain-secret-of-36-chars!!!!';
    expect((await run(hy.admin, 'rotateWebhookSecret', { id: webhookId, secret: plain })).secret).toBe(plain);
    const during = await deliver();
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(during, first)).toEqual(BOTH);
    expect(verifies(during, plain)).toEqual(BOTH);

    const generated = (await run(hy.admin, 'rotateWebhookSecret', { id: webhookId })).secret;
    const after = await deliver();
    // Only the last rotation counts: the plain secret it replaced signs beside the new one; the first no longer does.
    expect(verifies(after, generated)).toEqual(BOTH);
    expect(verifies(after, plain)).toEqual(BOTH);
    expect(verifies(after, first)).toEqual(NEITHER);
  });

  it('serialises concurrent rotations: of two at once, the second replaces the secret the first set, so none is lost', async () => {
    const { webhookId, secret: original, deliver } = await setup();
    const stored = async () => (await db.one('select secret_encrypted, previous_secret_encrypted from webhook where id = $1', [webhookId]));
    let last: string[] = [];
    for (let round = 0; round < 8; round++) {
      const before = (await stored()).secret_encrypted;
      const given = [0, 1].map((i) => `concurrent-rotation-${round}-${i}-`.padEnd(40, 'xyz'[i]));
      const results = await Promise.all(given.map((secret) => run(hy.admin, 'rotateWebhookSecret', { id: webhookId, secret })));
      expect(results.map((r) => r.__typename)).toEqual(['WebhookWithSecretPayload', 'WebhookWithSecretPayload']);
      // Had both read the row before either wrote, both would have moved the same old secret to previous.
      expect((await stored()).previous_secret_encrypted, `round ${round}`).not.toBe(before);
      last = given;
    }
    const request = await deliver();
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(last.map((secret) => verifies(request, secret))).toEqual([BOTH, BOTH]);
    expect(verifies(request, original)).toEqual(NEITHER);
  });
});
