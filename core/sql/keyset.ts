// Building blocks of keyset (cursor) paging in hand-written SQL: numbered parameters,
// sort terms, and the "after this row" condition. Pure functions; the per-area modules
// (delivery-log.ts) assemble whole statements from them.

export type Direction = 'ASC' | 'DESC';
export type SqlType = 'timestamptz' | 'int' | 'boolean' | 'text';

/** Collects values and hands out `$n` placeholders, so fragments compose without counting. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}

/** One column of an ORDER BY: an expression over a table alias, its type and direction. */
export interface Term {
  /** The sort expression over the given table alias, e.g. `d.created_at`. */
  sql(alias: string): string;
  type: SqlType;
  direction: Direction;
  /**
   * What a cursor carries for this term, over the alias. Usually the sort value itself,
   * as text with full precision for times; for a rank it is the ranked row's id.
   */
  cursorSql(alias: string): string;
}

/**
 * Times leave the database as ISO-8601 text with microseconds: a JavaScript Date keeps
 * milliseconds only, and a cursor that rounded would skip or repeat rows that share a
 * millisecond. 'infinity' (how the log orders a NULL time) stays 'infinity'.
 */
export function timeText(expression: string): string {
  return `case when isfinite(${expression}) then to_char(${expression} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') else 'infinity' end`;
}

export function flip(direction: Direction): Direction {
  return direction === 'ASC' ? 'DESC' : 'ASC';
}

export function orderBy(terms: Term[], alias: string): string {
  return terms.map((t) => `${t.sql(alias)} ${t.direction}`).join(', ');
}

/** Cursor columns `_k0, _k1…` to select beside the row. */
export function cursorColumns(terms: Term[], alias: string): string {
  return terms.map((t, i) => `(${t.cursorSql(alias)}) as _k${i}`).join(', ');
}

/**
 * Rows strictly after (or, `inclusive`, at or after) the cursor in the terms' order.
 *
 * All terms in one direction: a row comparison `(a, b, id) < ($1, $2, $3)`, which
 * PostgreSQL turns into an index range on (tenant_id, a, b, id): the page starts with
 * a seek, however deep it is. Mixed directions have no matching index; the
 * lexicographic expansion is used, with a bound on the first term so the scan still
 * starts near the cursor.
 */
export function afterCursor(terms: Term[], values: unknown[], params: Params, alias: string, inclusive = false): string {
  const placeholders = terms.map((t, i) => params.add(values[i], t.type));
  const columns = terms.map((t) => t.sql(alias));
  if (terms.every((t) => t.direction === terms[0].direction)) {
    const op = terms[0].direction === 'ASC' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
    return `(${columns.join(', ')}) ${op} (${placeholders.join(', ')})`;
  }
  const branches: string[] = [];
  for (let i = 0; i < terms.length; i++) {
    const equal = columns.slice(0, i).map((c, j) => `${c} = ${placeholders[j]}`);
    branches.push([...equal, `${columns[i]} ${terms[i].direction === 'ASC' ? '>' : '<'} ${placeholders[i]}`].join(' and '));
  }
  if (inclusive) branches.push(columns.map((c, j) => `${c} = ${placeholders[j]}`).join(' and '));
  const bound = `${columns[0]} ${terms[0].direction === 'ASC' ? '>=' : '<='} ${placeholders[0]}`;
  return `(${bound} and (${branches.map((b) => `(${b})`).join(' or ')}))`;
}
