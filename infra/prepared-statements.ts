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
 * Whether a query may run as a named statement: it has parameters, or its caller passed a
 * (empty) values array and its text is one statement. pg-boss sends its hottest statement,
 * the job fetch, with every value written into the text and no parameters; its scripts of
 * several statements, which the extended protocol refuses, also come with an empty array
 * and hold a `;`. Queries called without values (begin, commit) stay as pg sends them.
 */
function preparable(text: string, values: unknown): boolean {
  return Array.isArray(values) && (values.length > 0 || !text.includes(';'));
}

/**
 * A pg client that names queries after their text (see `preparable`). pg prepares a named
 * statement once per connection and then only binds and executes it.
 */
export class PreparingClient extends pg.Client {
  // pg's query() has many overloads; this one only rewrites (text, values[, callback]) and
  // ({ text, values }) and passes everything else through untouched.
  query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && preparable(config, values)) {
      const name = statementName(config);
      if (name) return super.query({ name, text: config, values }, callback);
    } else if (config && typeof config === 'object' && typeof config.text === 'string' && !config.name && typeof config.submit !== 'function' && preparable(config.text, config.values)) {
      const name = statementName(config.text);
      if (name) return super.query({ ...config, name }, values, callback);
    }
    return super.query(config, values, callback);
  }
}
