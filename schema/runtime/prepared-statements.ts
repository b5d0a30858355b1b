// Named (prepared) statements for every parameterised query, so PostgreSQL plans each
// statement once per connection instead of at every execution. Measured on the delivery
// bench (pg_stat_statements with track_planning): planning took more server time than
// execution, about 1.9 ms of 3.2 ms per published and delivered event, most of it in
// pg-boss's fetch, insert and complete statements.
import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * Distinct statement texts a process prepares at most. Hookyard's and pg-boss's SQL is a
 * bounded set of texts, but a text built from data must not grow every connection's
 * statement cache without end: past the cap, new texts run unnamed, as before.
 */
const MAX_PREPARED_TEXTS = 500;
const names = new Map<string, string>();

function statementName(text: string): string | null {
  const known = names.get(text);
  if (known) return known;
  if (names.size >= MAX_PREPARED_TEXTS) return null;
  const name = `hy_${createHash('sha1').update(text).digest('base64url')}`;
  names.set(text, name);
  return name;
}

/**
 * A pg client that names every query with parameters after its text. pg prepares a named
 * statement once per connection and then only binds and executes it. Queries without
 * parameters (begin, commit, DDL, and pg-boss's multi-statement scripts, which the
 * extended protocol refuses) stay on the simple protocol, as pg sends them.
 */
export class PreparingClient extends pg.Client {
  // pg's query() has many overloads; this one only rewrites (text, values[, callback]) and
  // ({ text, values }) and passes everything else through untouched.
  query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values) && values.length) {
      const name = statementName(config);
      if (name) return super.query({ name, text: config, values }, callback);
    } else if (config && typeof config === 'object' && typeof config.text === 'string' && !config.name && config.values?.length && typeof config.submit !== 'function') {
      const name = statementName(config.text);
      if (name) return super.query({ ...config, name }, values, callback);
    }
    return super.query(config, values, callback);
  }
}
