import pg from 'pg';
import { newId } from '../../core/ids.ts';
import { newApiKey } from '../../core/auth/api-key-token.ts';
import type { ApiKeyRole } from '../../schema/entities/ApiKey.ts';

/**
 * A second tenant with one API key, written straight into the database: the API has
 * no "create tenant" mutation yet, and isolation tests need a neighbour.
 */
export async function createTenant(databaseUrl: string, name: string, role: ApiKeyRole = 'ADMIN'): Promise<{ tenantId: string; token: string }> {
  const tenantId = newId('Tenant');
  const { token, row } = newApiKey(tenantId, `${name} key`, role);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('insert into tenant (id, name, webhook_limit, deliveries_enabled, created_at) values ($1, $2, 100, true, now())', [tenantId, name]);
    await client.query('insert into api_key (id, tenant_id, name, role, prefix, token_hash, created_at) values ($1, $2, $3, $4, $5, $6, now())', [
      row.id,
      tenantId,
      row.name,
      row.role,
      row.prefix,
      row.tokenHash,
    ]);
  } finally {
    await client.end();
  }
  return { tenantId, token };
}

/** Runs one query on the test database (for checks the API does not expose, such as how a secret is stored). */
export async function sql<T extends pg.QueryResultRow = any>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
