import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRole } from '../../schema/entities/ApiKey.ts';
import { newId } from '../ids.ts';

/** Only the SHA-256 of a token is stored; a database dump reveals no usable key. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * What the key list shows of a token to recognise it: 10 characters of a generated
 * token (`hy_` and 7 random ones), at most a quarter of a shorter chosen one.
 */
export function tokenPrefix(token: string): string {
  return token.slice(0, Math.min(10, Math.floor(token.length / 4)));
}

/** A new key row and its token (`hy_` + 32 random bytes), which is shown once. */
export function newApiKey(tenantId: string, name: string, role: ApiKeyRole, token = `hy_${randomBytes(32).toString('base64url')}`) {
  return {
    token,
    row: { id: newId('ApiKey'), tenantId, name, role, prefix: tokenPrefix(token), tokenHash: hashToken(token), createdAt: new Date() },
  };
}
