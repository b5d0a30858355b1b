import pg from 'pg';
import { newId } from '../../core/ids.ts';
import { newApiKey } from '../../core/auth/api-key-token.ts';
import type { ApiKeyRole } from '../../schema/entities/ApiKey.ts';

/** Runs one statement on a database and returns its rows. */
export async function sql<T extends pg.QueryResultRow = any>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A tenant and one API key, written straight into the database (the API cannot create tenants). */
export async function createTenant(databaseUrl: string, name: string, role: ApiKeyRole = 'ADMIN'): Promise<{ tenantId: string; token: string }> {
  const tenantId = newId('Tenant');
  const { token, row } = newApiKey(tenantId, `${name} key`, role);
  await sql(databaseUrl, 'insert into tenant (id, name, webhook_limit, deliveries_enabled, created_at) values ($1, $2, 100, true, now())', [tenantId, name]);
  await addApiKey(databaseUrl, tenantId, role, token);
  return { tenantId, token };
}

/** Adds a key with `token` (or a new one) to a tenant; returns the token. */
export async function addApiKey(databaseUrl: string, tenantId: string, role: ApiKeyRole, token?: string): Promise<string> {
  const key = newApiKey(tenantId, `${role.toLowerCase()} key`, role, token);
  const { row } = key;
  await sql(databaseUrl, 'insert into api_key (id, tenant_id, name, role, prefix, token_hash, created_at) values ($1, $2, $3, $4, $5, $6, now())', [
    row.id,
    row.tenantId,
    row.name,
    row.role,
    row.prefix,
    row.tokenHash,
  ]);
  return key.token;
}
