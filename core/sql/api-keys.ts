// SQL of API keys as the edge reads them on every request.

/** The live (not revoked) key with this token hash. */
export function liveKeyByTokenHash(tokenHash: string) {
  return { text: 'select id, tenant_id, role, last_used_at from api_key where token_hash = $1 and revoked_at is null', values: [tokenHash] };
}

export function touchLastUsed(apiKeyId: string) {
  return { text: 'update api_key set last_used_at = now() where id = $1', values: [apiKeyId] };
}
