import type pg from 'pg';
import type { Viewer } from '../core/auth/viewer.ts';
import * as apiKeySql from '../core/sql/api-keys.ts';
import { hashToken } from '../core/auth/api-key-token.ts';

const LAST_USED_RESOLUTION_MS = 60_000;

/** Reads `Bearer <token>` (any case); null when the header is absent or malformed. */
export function bearerToken(header: string | null | undefined): string | null {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}

/**
 * The viewer a token stands for, or null for an unknown or revoked key. `last_used_at`
 * is written at most once a minute per key, so reads do not turn into writes.
 */
export async function authenticate(pool: pg.Pool, token: string | null): Promise<Viewer | null> {
  if (!token || token.length > 200) return null;
  const { rows } = await pool.query<{ id: string; tenant_id: string; role: 'ADMIN' | 'VIEWER'; last_used_at: Date | null }>(apiKeySql.liveKeyByTokenHash(hashToken(token)));
  const key = rows[0];
  if (!key) return null;
  if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    void pool.query(apiKeySql.touchLastUsed(key.id)).catch(() => undefined);
  }
  return { tenantId: key.tenant_id, role: key.role, apiKeyId: key.id };
}
