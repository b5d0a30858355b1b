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
