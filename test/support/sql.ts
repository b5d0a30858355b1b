import pg from 'pg';

/** A small pool on a test database, for assertions and set-up that GraphQL does not offer. */
export function sqlClient(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  return {
    query: <T = any>(text: string, values?: unknown[]) => pool.query(text, values).then((r) => r.rows as T[]),
    one: <T = any>(text: string, values?: unknown[]) => pool.query(text, values).then((r) => r.rows[0] as T),
    end: () => pool.end(),
  };
}

/** Runs one statement on a database and returns its rows (one connection, closed after). */
export async function sql<T extends pg.QueryResultRow = any>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
