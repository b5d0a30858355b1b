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
