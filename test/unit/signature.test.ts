import { afterEach, describe, expect, it, vi } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { signPayload, webhookTimestamp } from '../../worker/delivery/signature.ts';
import { generateWebhookSecret } from '../../core/rules/secret.ts';

const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TIME = new Date(1614265330 * 1000);
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

function headers(id: string, at: Date, signature: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(webhookTimestamp(at)), 'webhook-signature': signature };
}

function verifiesWith(secret: string, body: string, hdrs: Record<string, string>): { standard: boolean; svix: boolean } {
  const attempt = (fn: () => unknown) => {
    try {
      fn();
      return true;
    } catch {
      return false;
    }
  };
  return {
    standard: attempt(() => new StandardWebhook(secret).verify(body, hdrs)),
    svix: attempt(() => new SvixWebhook(secret).verify(body, hdrs)),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('signPayload', () => {
  it('matches the Standard Webhooks specification test vector', () => {
    expect(signPayload({ secrets: [SPEC_SECRET], messageId: SPEC_ID, timestamp: SPEC_TIME, body: SPEC_BODY })).toBe(SPEC_SIGNATURE);
  });

  it('produces the spec vector that both verifiers accept at its own time', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(SPEC_TIME);
    const sig = signPayload({ secrets: [SPEC_SECRET], messageId: SPEC_ID, timestamp: SPEC_TIME, body: SPEC_BODY });
    expect(verifiesWith(SPEC_SECRET, SPEC_BODY, headers(SPEC_ID, SPEC_TIME, sig))).toEqual({ standard: true, svix: true });
  });

  it('verifies with standardwebhooks and svix for a fresh secret and a CloudEvents body', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ specversion: '1.0', id: 'evt_1', data: { total: 12.5, note: 'café ☕' } });
    const now = new Date();
    const sig = signPayload({ secrets: [secret], messageId: 'dlv_abc', timestamp: now, body });
    expect(sig).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifiesWith(secret, body, headers('dlv_abc', now, sig))).toEqual({ standard: true, svix: true });
  });

  it('signs with every secret during a rotation, so either secret alone verifies', () => {
    const oldSecret = generateWebhookSecret(24);
    const newSecret = generateWebhookSecret(64);
    const body = '{"a":1}';
    const now = new Date();
    const sig = signPayload({ secrets: [newSecret, oldSecret], messageId: 'msg_1', timestamp: now, body });
    expect(sig.split(' ')).toHaveLength(2);
    expect(verifiesWith(oldSecret, body, headers('msg_1', now, sig))).toEqual({ standard: true, svix: true });
    expect(verifiesWith(newSecret, body, headers('msg_1', now, sig))).toEqual({ standard: true, svix: true });
    expect(verifiesWith(generateWebhookSecret(), body, headers('msg_1', now, sig))).toEqual({ standard: false, svix: false });
  });

  it('fails verification when the body is changed by one byte', () => {
    const secret = generateWebhookSecret();
    const now = new Date();
    const sig = signPayload({ secrets: [secret], messageId: 'msg_2', timestamp: now, body: '{"a":1}' });
    expect(verifiesWith(secret, '{"a":2}', headers('msg_2', now, sig))).toEqual({ standard: false, svix: false });
  });

  it('signs whole seconds, ignoring milliseconds', () => {
    const a = signPayload({ secrets: [SPEC_SECRET], messageId: SPEC_ID, timestamp: new Date(1614265330_999), body: SPEC_BODY });
    expect(a).toBe(SPEC_SIGNATURE);
  });

  it('refuses to sign without a secret, or with one lacking the whsec_ prefix', () => {
    const args = { messageId: 'm', timestamp: new Date(), body: '{}' };
    expect(() => signPayload({ ...args, secrets: [] })).toThrow(/at least one secret/);
    expect(() => signPayload({ ...args, secrets: ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] })).toThrow(/whsec_/);
    expect(() => signPayload({ ...args, secrets: ['whsec_'] })).toThrow(/no key/);
  });

  it('refuses an invalid timestamp', () => {
    expect(() => signPayload({ secrets: [SPEC_SECRET], messageId: 'm', timestamp: new Date(NaN), body: '{}' })).toThrow(/valid date/);
  });
});
