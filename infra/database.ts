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

/** Socket errors that mean the database cannot be reached (refused, reset, unreachable). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATEs of a server that is going away or not taking connections. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection timeout|not queryable|connection is closed|terminating connection/i;

/**
 * True when an error says PostgreSQL is unreachable or shutting down (an outage), not
 * that a statement was wrong: the caller answers "try again" rather than "bug". Looks
 * through wrapped causes (ORM and pool errors wrap the driver's).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, message, cause, errors } = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    // An AggregateError (a connect to several addresses) is unavailable when each part is.
    if (Array.isArray(errors) && errors.length && errors.every((e) => isDatabaseUnavailable(e))) return true;
    current = cause;
  }
  return false;
}

/** Seconds a client should wait before trying again during an outage. */
export const RETRY_AFTER_SECONDS = 5;
