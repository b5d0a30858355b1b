// Webhook signing secrets: their format, and how they are kept encrypted at rest.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const FORMAT_VERSION = 'v1';

/** `whsec_` + base64 of `bytes` random bytes (24 to 64). */
export function generateWebhookSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new RangeError(`a webhook secret has ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, not ${bytes}`);
  }
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/**
 * True for `whsec_` + canonical standard base64 (padded, as Standard Webhooks libraries
 * decode it) of 24 to 64 bytes.
 */
export function checkWebhookSecret(secret: string): boolean {
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) return false;
  const encoded = secret.slice(SECRET_PREFIX.length);
  const key = Buffer.from(encoded, 'base64');
  // Buffer decoding skips junk silently; re-encoding must give the same text back.
  if (key.toString('base64') !== encoded) return false;
  return key.length >= MIN_SECRET_BYTES && key.length <= MAX_SECRET_BYTES;
}

export const MIN_PLAIN_SECRET_CHARS = 32;
export const MAX_PLAIN_SECRET_CHARS = 64;
// Printable ASCII (space to ~), not starting or ending with a space. ASCII only: the
// standardwebhooks and svix verifiers, given a string with { format: "raw" }, take one byte
// per character (its char code), which is its UTF-8 byte only below U+0080.
const PLAIN_SECRET = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The two forms a signing secret may take: `whsec_` + base64 of 24 to 64 bytes (Standard
 * Webhooks), or a plain secret of 32 to 64 printable ASCII characters, as some systems
 * Hookyard replaces issue them, signing with its UTF-8 bytes. A value starting with
 * `whsec_` is always read as the first form. Null when it is neither.
 */
export function webhookSecretFormat(secret: string): 'whsec' | 'plain' | null {
  if (typeof secret !== 'string') return null;
  if (secret.startsWith(SECRET_PREFIX)) return checkWebhookSecret(secret) ? 'whsec' : null;
  if (secret.length < MIN_PLAIN_SECRET_CHARS || secret.length > MAX_PLAIN_SECRET_CHARS) return null;
  return PLAIN_SECRET.test(secret) ? 'plain' : null;
}

/** What to fix in a secret that webhookSecretFormat refuses, or null when it is accepted. */
export function webhookSecretProblem(secret: string): string | null {
  if (webhookSecretFormat(secret)) return null;
  if (typeof secret === 'string' && secret.startsWith(SECRET_PREFIX)) {
    return `a secret starting with whsec_ must go on with the standard base64 (padded) of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes; leave it out to have one generated`;
  }
  return (
    `a secret is whsec_ followed by the base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes, or a plain secret of ` +
    `${MIN_PLAIN_SECRET_CHARS} to ${MAX_PLAIN_SECRET_CHARS} printable ASCII characters (space to ~, not starting or ending with a space); ` +
    `this one has ${typeof secret === 'string' ? [...secret].length : 0} characters${typeof secret === 'string' && /[^\x20-\x7e]/.test(secret) ? ' and some outside printable ASCII' : ''}. ` +
    'Leave it out to have one generated'
  );
}

/**
 * The secret in the form it is stored and signed with: `whsec_` secrets as they are; a
 * plain one as `whsec_` + the base64 of its UTF-8 bytes, the same key (the signer decodes
 * `whsec_` secrets to their bytes), so every signer and verifier of Standard Webhooks
 * treats both forms alike. Throws for a secret webhookSecretFormat refuses.
 */
export function signingSecret(secret: string): string {
  const format = webhookSecretFormat(secret);
  if (!format) throw new Error(webhookSecretProblem(secret) ?? 'invalid webhook secret');
  return format === 'whsec' ? secret : SECRET_PREFIX + Buffer.from(secret, 'utf8').toString('base64');
}

/** AES-256-GCM with a fresh IV: `v1:<iv b64>:<tag b64>:<ciphertext b64>`. */
export function encryptSecret(plain: string, key: Buffer): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [FORMAT_VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':');
}

/** Reverses encryptSecret; throws when the key is wrong or the value was altered. */
export function decryptSecret(stored: string, key: Buffer): string {
  assertKey(key);
  const [version, iv64, tag64, data64, ...rest] = stored.split(':');
  const iv = Buffer.from(iv64 ?? '', 'base64');
  const tag = Buffer.from(tag64 ?? '', 'base64');
  if (version !== FORMAT_VERSION || rest.length > 0 || data64 === undefined || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new Error('stored webhook secret is not in the v1:<iv>:<tag>:<ciphertext> format');
  }
  const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(Buffer.from(data64, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(
      'cannot decrypt the webhook secret: HOOKYARD_SECRET_KEY is not the key it was encrypted with, or the stored value is damaged',
    );
  }
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new Error(`the secret encryption key must be ${KEY_BYTES} bytes (see HOOKYARD_SECRET_KEY)`);
  }
}
