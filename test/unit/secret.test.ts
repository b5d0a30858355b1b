import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkWebhookSecret,
  decryptSecret,
  encryptSecret,
  generateWebhookSecret,
  signingSecret,
  webhookSecretFormat,
  webhookSecretProblem,
} from '../../core/rules/secret.ts';
import { parseSecretKey } from '../../infra/secret-key.ts';

const secretOf = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

describe('generateWebhookSecret', () => {
  it('makes whsec_ plus the base64 of 32 random bytes by default', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('makes secrets of 24 to 64 bytes and refuses other sizes', () => {
    expect(checkWebhookSecret(generateWebhookSecret(24))).toBe(true);
    expect(checkWebhookSecret(generateWebhookSecret(64))).toBe(true);
    expect(() => generateWebhookSecret(23)).toThrow(/24 to 64 bytes, not 23/);
    expect(() => generateWebhookSecret(65)).toThrow(/24 to 64 bytes, not 65/);
  });
});

describe('checkWebhookSecret', () => {
  it('answers false, without throwing, for a value that is not a string (JSON input)', () => {
    for (const value of [42, null, undefined, { startsWith: () => true }]) expect(checkWebhookSecret(value as unknown as string)).toBe(false);
  });

  it('accepts 24 and 64 bytes and refuses 23 and 65', () => {
    expect(checkWebhookSecret(secretOf(24))).toBe(true);
    expect(checkWebhookSecret(secretOf(64))).toBe(true);
    expect(checkWebhookSecret(secretOf(23))).toBe(false);
    expect(checkWebhookSecret(secretOf(65))).toBe(false);
  });

  it('accepts the Standard Webhooks example secret', () => {
    expect(checkWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(true);
  });

  it('refuses a secret without the whsec_ prefix', () => {
    expect(checkWebhookSecret(secretOf(32).slice(6))).toBe(false);
    expect(checkWebhookSecret(secretOf(32).replace('whsec_', 'WHSEC_'))).toBe(false);
  });

  it('refuses base64 that is malformed, unpadded, URL-safe or padded with junk', () => {
    const valid = secretOf(32); // 44 chars with one "="
    expect(checkWebhookSecret(valid.slice(0, -1))).toBe(false); // padding removed
    expect(checkWebhookSecret(`${valid} `)).toBe(false);
    expect(checkWebhookSecret(`whsec_${'-_'.repeat(22)}`)).toBe(false);
    expect(checkWebhookSecret(`whsec_${'$'.repeat(44)}`)).toBe(false);
    expect(checkWebhookSecret('whsec_')).toBe(false);
  });
});

describe('encryptSecret and decryptSecret', () => {
  const key = randomBytes(32);

  it('round-trips a secret through the compact v1 format', () => {
    const secret = generateWebhookSecret();
    const stored = encryptSecret(secret, key);
    expect(stored).toMatch(/^v1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]+$/);
    expect(stored).not.toContain(secret.slice(6));
    expect(decryptSecret(stored, key)).toBe(secret);
  });

  it('uses a fresh IV each time, so equal secrets give different ciphertexts', () => {
    const secret = generateWebhookSecret();
    expect(encryptSecret(secret, key)).not.toBe(encryptSecret(secret, key));
  });

  it('refuses to decrypt with the wrong key, naming HOOKYARD_SECRET_KEY', () => {
    const stored = encryptSecret(generateWebhookSecret(), key);
    expect(() => decryptSecret(stored, randomBytes(32))).toThrow(/HOOKYARD_SECRET_KEY is not the key/);
  });

  it('refuses a value whose ciphertext or tag was altered', () => {
    const [version, iv, tag, data] = encryptSecret('whsec_abc', key).split(':');
    const flipped = Buffer.from(data, 'base64');
    flipped[0] ^= 1;
    expect(() => decryptSecret([version, iv, tag, flipped.toString('base64')].join(':'), key)).toThrow(/damaged/);
    const badTag = Buffer.from(tag, 'base64');
    badTag[0] ^= 1;
    expect(() => decryptSecret([version, iv, badTag.toString('base64'), data].join(':'), key)).toThrow(/damaged/);
  });

  it('refuses values not in the v1 format', () => {
    for (const stored of ['', 'whsec_plain', 'v2:a:b:c', 'v1:AAAA:BBBB:CCCC', 'v1:a:b:c:d']) {
      expect(() => decryptSecret(stored, key)).toThrow(/v1:<iv>:<tag>:<ciphertext>/);
    }
  });

  it('refuses a value that differs from a good one in one part only: version, an extra part, no data, IV or tag length', () => {
    const [, iv, tag, data] = encryptSecret('whsec_abc', key).split(':');
    const short = (b64: string) => Buffer.from(b64, 'base64').subarray(1).toString('base64');
    for (const stored of [`v2:${iv}:${tag}:${data}`, `v1:${iv}:${tag}:${data}:`, `v1:${iv}:${tag}`, `v1:${short(iv)}:${tag}:${data}`, `v1:${iv}:${short(tag)}:${data}`]) {
      expect(() => decryptSecret(stored, key), stored).toThrow(/v1:<iv>:<tag>:<ciphertext>/);
    }
    expect(decryptSecret(`v1:${iv}:${tag}:${data}`, key)).toBe('whsec_abc');
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => encryptSecret('x', randomBytes(16))).toThrow(/32 bytes/);
    expect(() => decryptSecret('v1:a:b:c', randomBytes(31))).toThrow(/32 bytes/);
  });
});

describe('parseSecretKey', () => {
  const raw = randomBytes(32);

  it('accepts 64 hex characters, in either case', () => {
    expect(parseSecretKey(raw.toString('hex'))).toEqual(raw);
    expect(parseSecretKey(raw.toString('hex').toUpperCase())).toEqual(raw);
  });

  it('accepts 32 bytes in base64, padded or not, and in base64url', () => {
    expect(parseSecretKey(raw.toString('base64'))).toEqual(raw);
    expect(parseSecretKey(raw.toString('base64').replace(/=+$/, ''))).toEqual(raw);
    expect(parseSecretKey(raw.toString('base64url'))).toEqual(raw);
    expect(parseSecretKey(`  ${raw.toString('base64')}\n`)).toEqual(raw);
  });

  it.each([
    ['too short base64', randomBytes(31).toString('base64')],
    ['too long base64', randomBytes(33).toString('base64')],
    ['63 hex characters', raw.toString('hex').slice(1)],
    ['a passphrase', 'correct horse battery staple'],
    ['an empty value', ''],
  ])('refuses %s, naming HOOKYARD_SECRET_KEY without echoing the value', (_label, value) => {
    let message = '';
    try {
      parseSecretKey(value);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^HOOKYARD_SECRET_KEY: must be 32 bytes/);
    if (value) expect(message).not.toContain(value);
  });
});

describe('plain secrets (32 to 64 printable ASCII characters)', () => {
  const plain = (n: number, char = 'k') => char.repeat(n);

  it('accepts 32 and 64 characters, and refuses 31 and 65', () => {
    expect(webhookSecretFormat(plain(32))).toBe('plain');
    expect(webhookSecretFormat(plain(64))).toBe('plain');
    expect(webhookSecretFormat(plain(31))).toBeNull();
    expect(webhookSecretFormat(plain(65))).toBeNull();
    expect(webhookSecretProblem(plain(31))).toMatch(/32 to 64 printable ASCII characters.*this one has 31 characters/);
    expect(webhookSecretProblem(plain(64))).toBeNull();
  });

  it('accepts every printable ASCII character, spaces inside, and refuses a space at either end', () => {
    const all = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(webhookSecretFormat(`!${all.slice(0, 62)}!`)).toBe('plain');
    expect(webhookSecretFormat(`x${all.slice(62)}${'y'.repeat(10)}`)).toBe('plain');
    expect(webhookSecretFormat(`a${' '.repeat(30)}b`)).toBe('plain');
    expect(webhookSecretFormat(` ${plain(32)}`)).toBeNull();
    expect(webhookSecretFormat(`${plain(32)} `)).toBeNull();
  });

  it('refuses control characters and anything outside ASCII (the verifiers read a raw string one byte per character)', () => {
    expect(webhookSecretFormat(`${plain(31)}\t`)).toBeNull();
    expect(webhookSecretFormat(`${plain(31)}\x7f`)).toBeNull();
    expect(webhookSecretFormat(`${plain(31)}é`)).toBeNull();
    expect(webhookSecretFormat(`${plain(30)}😀`)).toBeNull();
    expect(webhookSecretProblem(`${plain(31)}é`)).toMatch(/some outside printable ASCII/);
  });

  it('reads anything starting with whsec_ as a Standard Webhooks secret, never as plain', () => {
    expect(webhookSecretFormat(secretOf(32))).toBe('whsec');
    expect(webhookSecretFormat(`whsec_${'x'.repeat(41)}`)).toBeNull();
    expect(webhookSecretProblem(`whsec_${'x'.repeat(41)}`)).toMatch(/starting with whsec_ must go on with the standard base64/);
    for (const value of [42, null, undefined]) expect(webhookSecretFormat(value as unknown as string)).toBeNull();
  });

  it('signs a plain secret with its UTF-8 bytes (stored as whsec_ + their base64), and keeps whsec_ secrets as they are', () => {
    const secret = 'Tz8#q rS!v~{}|' + 'a'.repeat(18);
    expect(signingSecret(secret)).toBe(`whsec_${Buffer.from(secret, 'utf8').toString('base64')}`);
    expect(checkWebhookSecret(signingSecret(secret))).toBe(true);
    const whsec = secretOf(24);
    expect(signingSecret(whsec)).toBe(whsec);
    expect(() => signingSecret(plain(31))).toThrow(/32 to 64/);
  });
});
