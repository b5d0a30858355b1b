import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRole } from '../entities/ApiKey.ts';
import { newId } from '../ids.ts';

/** Only the SHA-256 of a token is stored; a database dump reveals no usable key. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new key row and its token (`hy_` + 32 random bytes), which is shown once. */
export function newApiKey(tenantId: string, name: string, role: ApiKeyRole, token = `hy_${randomBytes(32).toString('base64url')}`) {
  return {
    token,
    row: { id: newId('ApiKey'), tenantId, name, role, prefix: token.slice(0, 10), tokenHash: hashToken(token), createdAt: new Date() },
  };
}
