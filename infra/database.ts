import pg from 'pg';
import { ConfigError } from './config.ts';

/** Connects once to fail fast, with a message that says what to fix, when DATABASE_URL is wrong. */
export async function checkDatabase(url: string, fromEnv: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { code?: string };
    const where = (() => {
      const u = new URL(url);
      return `${u.hostname}:${u.port || 5432}${u.pathname}`;
    })();
    if (!fromEnv) throw new Error(`the embedded PostgreSQL at ${where} does not answer: ${err.message}`);
    const hint =
      err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || /timeout/i.test(err.message)
        ? `cannot reach PostgreSQL at ${where} (${err.code ?? err.message}); start it, fix the host and port, or unset DATABASE_URL to use the embedded PostgreSQL`
        : err.code === '3D000'
          ? `database ${new URL(url).pathname.slice(1)} does not exist on ${where}; create it (createdb) or name another`
          : err.code === '28P01' || err.code === '28000'
            ? `PostgreSQL at ${where} refused the user or password; fix the credentials in the URL`
            : `PostgreSQL at ${where} failed: ${err.message}`;
    throw new ConfigError('DATABASE_URL', hint);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The URL with its password hidden, for logs and the start banner. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
