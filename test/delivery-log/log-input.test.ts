// The pure parts of the delivery log at their edges: export parameters, filter and sort
// checks, cursors, and the keyset condition's SQL.
import { describe, expect, it } from 'vitest';
import { parseExportQuery, describeQuery } from '../../api/exports/export-params.ts';
import { checkDeliveryFilter, checkDeliverySort, classifySearch } from '../../core/delivery-log/delivery-log-input.ts';
import { decodeCursor, encodeCursor, isId, isInt, isTime, pageCursor } from '../../core/delivery-log/cursor.ts';
import { Params, afterCursor, type Term } from '../../core/sql/keyset.ts';
import { deliveryPage, filterConditions } from '../../core/sql/delivery-log.ts';
import { ValidationError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';

function fieldOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
}

describe('export query parameters', () => {
  it('reads repeated and comma-separated lists, dates, numbers and the sort', () => {
    const q = new URLSearchParams('status=FAILED&status=retrying,PENDING&createdFrom=2026-01-01T00:00:00Z&attemptsMin=2&succeeded=false&orderBy=ATTEMPTS:DESC,created_at&search=acme');
    const { filter, orderBy } = parseExportQuery(q);
    expect(filter).toEqual({ status: ['FAILED', 'RETRYING', 'PENDING'], createdFrom: new Date('2026-01-01T00:00:00Z'), attemptsMin: 2, succeeded: false, search: 'acme' });
    expect(orderBy).toEqual([{ field: 'ATTEMPTS', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'DESC' }]);
    expect(checkDeliverySort(orderBy)).toEqual(orderBy);
  });

  it('treats an empty ids= as a selection of nothing, and an absent one as no selection', () => {
    expect(parseExportQuery(new URLSearchParams('ids=')).filter.ids).toEqual([]);
    expect(parseExportQuery(new URLSearchParams('')).filter.ids).toBeUndefined();
  });

  it('names the parameter that is unknown, repeated or malformed', () => {
    expect(fieldOf(() => parseExportQuery(new URLSearchParams('stauts=FAILED')))).toBe('stauts');
    expect(fieldOf(() => parseExportQuery(new URLSearchParams('search=a&search=b')))).toBe('search');
    expect(fieldOf(() => parseExportQuery(new URLSearchParams('createdTo=tomorrow')))).toBe('createdTo');
    expect(fieldOf(() => parseExportQuery(new URLSearchParams('attemptsMax=1.5')))).toBe('attemptsMax');
    expect(fieldOf(() => parseExportQuery(new URLSearchParams('orderBy=ATTEMPTS:DESC:X')))).toBe('orderBy');
  });

  it('describes the export in one line for the PDF heading', () => {
    expect(describeQuery(new URLSearchParams(''))).toBe('all deliveries, newest first');
    expect(describeQuery(new URLSearchParams(`ids=${newId('Delivery')},${newId('Delivery')}`))).toBe('2 selected deliveries');
  });
});

describe('filter and sort checks', () => {
  it('accepts a range whose ends are equal only for attempts', () => {
    expect(fieldOf(() => checkDeliveryFilter({ attemptsMin: 3, attemptsMax: 3 }))).toBeNull();
    expect(fieldOf(() => checkDeliveryFilter({ createdFrom: new Date(5), createdTo: new Date(5) }))).toBe('filter.createdTo');
  });

  it('matches a prefixed id exactly and anything else as text, up to 200 characters', () => {
    const id = newId('Attempt');
    expect(classifySearch('s', ` ${id} `)).toEqual({ kind: 'id', type: 'Attempt', id });
    expect(classifySearch('s', 'dlv_not-an-id')).toEqual({ kind: 'text', text: 'dlv_not-an-id' });
    expect(classifySearch('s', '   ')).toBeNull();
    expect(classifySearch('s', 'x'.repeat(200))).toMatchObject({ kind: 'text' });
    expect(fieldOf(() => classifySearch('s', 'x'.repeat(201)))).toBe('s');
  });

  it('sorts newest first by default and refuses a field twice', () => {
    expect(checkDeliverySort(null)).toEqual([{ field: 'CREATED_AT', direction: 'DESC' }]);
    expect(fieldOf(() => checkDeliverySort([{ field: 'WEBHOOK' }, { field: 'WEBHOOK', direction: 'ASC' }]))).toBe('orderBy');
    expect(fieldOf(() => checkDeliverySort([{ field: 'PRICE' }]))).toBe('orderBy');
  });
});

describe('cursors', () => {
  const shape = [isTime, isInt, isId('dlv')];
  const row = { _k0: '2026-01-10T12:00:00.000501Z', _k1: 3, _k2: newId('Delivery') };

  it('round-trip the values of a row with microseconds intact', () => {
    const cursor = encodeCursor('deliveries:ATTEMPTS:ASC', row, 3);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('after', cursor, 'deliveries:ATTEMPTS:ASC', shape)).toEqual([row._k0, row._k1, row._k2]);
  });

  it('refuse one from another sort, of the wrong shape, or not base64url JSON', () => {
    const cursor = encodeCursor('deliveries:ATTEMPTS:ASC', row, 3);
    expect(fieldOf(() => decodeCursor('after', cursor, 'deliveries:ATTEMPTS:DESC', shape))).toBe('after');
    expect(fieldOf(() => decodeCursor('before', encodeCursor('deliveries:ATTEMPTS:ASC', { ...row, _k1: '3' }, 3), 'deliveries:ATTEMPTS:ASC', shape))).toBe('before');
    expect(fieldOf(() => decodeCursor('after', encodeCursor('deliveries:ATTEMPTS:ASC', { ...row, _k0: '2026-01-10' }, 3), 'deliveries:ATTEMPTS:ASC', shape))).toBe('after');
    expect(fieldOf(() => decodeCursor('after', 'e30', 'deliveries:ATTEMPTS:ASC', shape))).toBe('after');
    expect(fieldOf(() => decodeCursor('after', '!!!', 'deliveries:ATTEMPTS:ASC', shape))).toBe('after');
  });

  it('pair after with first and before with last', () => {
    expect(pageCursor({ backward: false, after: 'a' })).toEqual({ field: 'after', given: 'a' });
    expect(pageCursor({ backward: true, before: 'b' })).toEqual({ field: 'before', given: 'b' });
    expect(fieldOf(() => pageCursor({ backward: false, before: 'b' }))).toBe('before');
    expect(fieldOf(() => pageCursor({ backward: true, after: 'a' }))).toBe('after');
  });
});

describe('keyset SQL', () => {
  const term = (name: string, direction: 'ASC' | 'DESC', type: Term['type'] = 'int'): Term => ({ sql: (a) => `${a}.${name}`, cursorSql: (a) => `${a}.${name}`, type, direction });

  it('is one row comparison when every term goes one way, so PostgreSQL seeks in the index', () => {
    const params = new Params();
    expect(afterCursor([term('a', 'DESC'), term('id', 'DESC', 'text')], [1, 'x'], params, 'd')).toBe('(d.a, d.id) < ($1::int, $2::text)');
    expect(afterCursor([term('a', 'ASC'), term('id', 'ASC', 'text')], [1, 'x'], new Params(), 'd', true)).toBe('(d.a, d.id) >= ($1::int, $2::text)');
  });

  it('expands mixed directions lexicographically, bounded on the first term', () => {
    const sql = afterCursor([term('a', 'DESC'), term('b', 'ASC'), term('id', 'ASC', 'text')], [1, 2, 'x'], new Params(), 'd');
    expect(sql).toBe('(d.a <= $1::int and ((d.a < $1::int) or (d.a = $1::int and d.b > $2::int) or (d.a = $1::int and d.b = $2::int and d.id > $3::text)))');
  });

  it('starts every delivery statement with the tenant, and matches nothing for an empty selection', () => {
    const params = new Params();
    const where = filterConditions(params, 'ten_1', { ids: [], statuses: [] });
    expect(where).toEqual(['d.tenant_id = $1', 'false']);
    const page = deliveryPage({ tenantId: 'ten_1', filter: {}, sort: [{ field: 'INTEGRATOR', direction: 'ASC' }], backward: false, cursor: null, limit: 50, rankings: { INTEGRATOR: ['int_a'] } });
    expect(page.text).toMatch(/where d\.tenant_id = \$1/);
    expect(page.text).toMatch(/order by array_position\(\$2::text\[\], d\.integrator_id\) ASC, d\.created_at ASC, d\.id ASC/);
    expect(page.values).toEqual(['ten_1', ['int_a'], 50]);
  });
});
