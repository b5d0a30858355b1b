import { describe, expect, it } from 'vitest';
import { checkFilter, compileFilter, testFilter, MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH, MAX_FILTER_LIST, type FilterEvent } from '../../core/rules/payload-filter.ts';
import { ValidationError } from '../../core/errors.ts';

const event: FilterEvent = {
  type: 'invoice.paid',
  channel: 'eu',
  source: '/billing',
  data: {
    amount: 100,
    amountText: '100',
    currency: 'EUR',
    note: null,
    customer: { id: 'cus_1', country: 'FR', name: 'Zoë Ångström 😀', tags: ['vip', 'early'] },
    items: [
      { sku: 'PRO-1', qty: 2 },
      { sku: 'STD-7', qty: 1 },
    ],
    flags: [true, false],
    empty: [],
  },
};
const matches = (filter: unknown, e: FilterEvent = event) => testFilter('input.filter', filter, e).matched;
const refusal = (filter: unknown) => {
  try {
    checkFilter('input.filter', filter);
  } catch (error) {
    if (error instanceof ValidationError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(filter)}`);
};

describe('payload filters: operators at their edges', () => {
  it('$eq (and the shorthand): strict JSON equality, null only equals null, a missing path never equals', () => {
    expect(matches({ 'data.amount': 100 })).toBe(true);
    expect(matches({ 'data.amount': { $eq: 100 } })).toBe(true);
    expect(matches({ 'data.amount': '100' })).toBe(false); // a number as a string is another value
    expect(matches({ 'data.amountText': 100 })).toBe(false);
    expect(matches({ 'data.note': null })).toBe(true);
    expect(matches({ 'data.missing': null })).toBe(false);
    expect(matches({ 'data.customer.tags': ['vip', 'early'] })).toBe(true);
    expect(matches({ 'data.customer.tags': ['early', 'vip'] })).toBe(false);
    expect(matches({ 'data.items.0': { qty: 2, sku: 'PRO-1' } })).toBe(true); // key order does not matter
    expect(matches({ 'data.customer.name': 'Zoë Ångström 😀' })).toBe(true);
    expect(matches({ 'data.customer.name': 'Zoe Angstrom 😀' })).toBe(false);
  });

  it('$neq: true for another value, a missing path, or a type mismatch; false for an equal value', () => {
    expect(matches({ 'data.currency': { $neq: 'USD' } })).toBe(true);
    expect(matches({ 'data.currency': { $neq: 'EUR' } })).toBe(false);
    expect(matches({ 'data.missing': { $neq: 'EUR' } })).toBe(true);
    expect(matches({ 'data.amount': { $neq: '100' } })).toBe(true);
    expect(matches({ 'data.note': { $neq: null } })).toBe(false);
    // On an array path, no element may be equal.
    expect(matches({ 'data.items.sku': { $neq: 'PRO-1' } })).toBe(false);
    expect(matches({ 'data.items.sku': { $neq: 'X' } })).toBe(true);
  });

  it('$gt $gte $lt $lte: at the boundary, numbers with numbers and strings with strings only', () => {
    expect(matches({ 'data.amount': { $gt: 99.999 } })).toBe(true);
    expect(matches({ 'data.amount': { $gt: 100 } })).toBe(false);
    expect(matches({ 'data.amount': { $gte: 100 } })).toBe(true);
    expect(matches({ 'data.amount': { $gte: 100.0001 } })).toBe(false);
    expect(matches({ 'data.amount': { $lt: 100 } })).toBe(false);
    expect(matches({ 'data.amount': { $lt: 100.0001 } })).toBe(true);
    expect(matches({ 'data.amount': { $lte: 100 } })).toBe(true);
    expect(matches({ 'data.amount': { $lte: 99 } })).toBe(false);
    expect(matches({ 'data.amount': { $gt: '99' } })).toBe(false); // number against string: no order
    expect(matches({ 'data.amountText': { $gt: 99 } })).toBe(false);
    expect(matches({ 'data.amountText': { $gt: '099' } })).toBe(true); // strings by code point: "1" > "0"
    expect(matches({ 'data.amountText': { $lt: '99' } })).toBe(true); // "100" < "99" as strings
    expect(matches({ 'data.note': { $lt: 1 } })).toBe(false);
    expect(matches({ 'data.missing': { $gte: 0 } })).toBe(false);
    expect(matches({ 'data.customer.name': { $gt: 'Zoe' } })).toBe(true); // ë (U+00EB) sorts after e
    expect(matches({ 'data.amount': { $gt: 50, $lt: 150 } })).toBe(true);
    expect(matches({ 'data.amount': { $gt: 50, $lt: 100 } })).toBe(false);
  });

  it('$in and $nin: equality with any listed value; $nin holds for a missing path', () => {
    expect(matches({ 'data.customer.country': { $in: ['DE', 'FR'] } })).toBe(true);
    expect(matches({ 'data.customer.country': { $in: ['DE', 'fr'] } })).toBe(false);
    expect(matches({ 'data.amount': { $in: ['100', 101] } })).toBe(false);
    expect(matches({ 'data.note': { $in: [null] } })).toBe(true);
    expect(matches({ 'data.missing': { $in: [null] } })).toBe(false);
    expect(matches({ 'data.customer.country': { $nin: ['DE', 'FR'] } })).toBe(false);
    expect(matches({ 'data.customer.country': { $nin: ['DE'] } })).toBe(true);
    expect(matches({ 'data.missing': { $nin: ['DE'] } })).toBe(true);
    expect(matches({ 'data.items.sku': { $in: ['STD-7'] } })).toBe(true);
    expect(matches({ 'data.items.sku': { $nin: ['STD-7'] } })).toBe(false);
  });

  it('$exists: null exists, a missing path and an index past the end do not', () => {
    expect(matches({ 'data.note': { $exists: true } })).toBe(true);
    expect(matches({ 'data.missing': { $exists: true } })).toBe(false);
    expect(matches({ 'data.missing': { $exists: false } })).toBe(true);
    expect(matches({ 'data.items.1.sku': { $exists: true } })).toBe(true);
    expect(matches({ 'data.items.2.sku': { $exists: true } })).toBe(false);
    expect(matches({ 'data.empty.0': { $exists: false } })).toBe(true);
    expect(matches({ 'data.amount.value': { $exists: true } })).toBe(false); // a path through a number
    expect(matches({ channel: { $exists: false } }, { ...event, channel: null })).toBe(false); // a null channel is a value
  });

  it('$startsWith: strings only, case and accents matter', () => {
    expect(matches({ 'data.items.sku': { $startsWith: 'PRO-' } })).toBe(true);
    expect(matches({ 'data.items.sku': { $startsWith: 'pro-' } })).toBe(false);
    expect(matches({ 'data.customer.name': { $startsWith: 'Zoë' } })).toBe(true);
    expect(matches({ 'data.customer.name': { $startsWith: 'Zoe' } })).toBe(false);
    expect(matches({ 'data.amount': { $startsWith: '1' } })).toBe(false);
    expect(matches({ type: { $startsWith: 'invoice.' } })).toBe(true);
    expect(matches({ source: { $startsWith: '/bill' } })).toBe(true);
  });

  it('$contains: a substring of a string, an element of a list, false for anything else', () => {
    expect(matches({ 'data.customer.name': { $contains: 'Ång' } })).toBe(true);
    expect(matches({ 'data.customer.name': { $contains: '😀' } })).toBe(true);
    expect(matches({ 'data.customer.name': { $contains: 'ång' } })).toBe(false);
    expect(matches({ 'data.customer.tags': { $contains: 'vip' } })).toBe(true);
    expect(matches({ 'data.customer.tags': { $contains: 'vi' } })).toBe(false); // elements, not substrings of them
    expect(matches({ 'data.flags': { $contains: false } })).toBe(true);
    expect(matches({ 'data.items': { $contains: { sku: 'STD-7', qty: 1 } } })).toBe(true);
    expect(matches({ 'data.amount': { $contains: 1 } })).toBe(false);
    expect(matches({ 'data.missing': { $contains: 'a' } })).toBe(false);
    expect(matches({ 'data.customer.name': { $contains: 1 } })).toBe(false);
  });

  it('array paths: an index steps in, a name looks into every element', () => {
    expect(matches({ 'data.items.0.sku': 'PRO-1' })).toBe(true);
    expect(matches({ 'data.items.1.sku': 'PRO-1' })).toBe(false);
    expect(matches({ 'data.items.sku': 'STD-7' })).toBe(true);
    expect(matches({ 'data.items.qty': { $gt: 1 } })).toBe(true);
    expect(matches({ 'data.items.qty': { $gt: 2 } })).toBe(false);
    expect(matches({ 'data.customer.tags.1': 'early' })).toBe(true);
    expect(matches({ 'data.items.01.sku': 'STD-7' })).toBe(false); // not an index: no element has a key "01"
  });

  it('type, channel and source are fields too; a null channel equals null', () => {
    expect(matches({ type: 'invoice.paid', channel: 'eu', source: '/billing' })).toBe(true);
    expect(matches({ channel: 'us' })).toBe(false);
    expect(matches({ channel: null }, { ...event, channel: null })).toBe(true);
    expect(matches({ 'data': { $exists: true } })).toBe(true);
  });

  it('$and, $or, $not combine, and the deciding condition is named', () => {
    expect(matches({ $and: [{ 'data.amount': { $gte: 100 } }, { channel: 'eu' }] })).toBe(true);
    expect(matches({ $or: [{ channel: 'us' }, { 'data.customer.country': 'FR' }] })).toBe(true);
    expect(matches({ $or: [{ channel: 'us' }, { 'data.customer.country': 'DE' }] })).toBe(false);
    expect(matches({ $not: { channel: 'us' } })).toBe(true);
    expect(matches({ $not: { channel: 'eu' } })).toBe(false);
    expect(matches({})).toBe(true);

    const failed = testFilter('f', { channel: 'eu', $or: [{ 'data.amount': { $gt: 500 } }, { 'data.items.qty': { $gte: 5 } }] }, event);
    expect(failed).toMatchObject({ matched: false, condition: '$or[1].data.items.qty.$gte' });
    expect(failed.explanation).toMatch(/no branch of \$or held; the last: data\.items\.qty is \[2, 1\], not at least 5/);
    const decided = testFilter('f', { 'data.amount': { $gt: 500 } }, event);
    expect(decided).toEqual({ matched: false, condition: 'data.amount.$gt', explanation: 'data.amount is 100, not greater than 500' });
    expect(testFilter('f', { $or: [{ channel: 'us' }, { 'data.customer.country': 'FR' }] }, event)).toMatchObject({ matched: true, condition: '$or[1].data.customer.country' });
  });
});

describe('payload filters: checked when saved', () => {
  it('names the path and the operator of a mistake', () => {
    expect(refusal({ 'data.amount': { $gtt: 1 } })).toMatchObject({ field: 'input.filter.data.amount.$gtt', message: expect.stringMatching(/\$gtt is not an operator; use one of \$eq/) });
    expect(refusal({ 'data.amount': { $gt: true } })).toMatchObject({ field: 'input.filter.data.amount.$gt', message: expect.stringMatching(/\$gt compares with a number or a string; got true/) });
    expect(refusal({ 'data.amount': { $gt: null } })).toMatchObject({ field: 'input.filter.data.amount.$gt' });
    expect(refusal({ 'data.c': { $in: [] } })).toMatchObject({ field: 'input.filter.data.c.$in', message: expect.stringMatching(/list of 1 to/) });
    expect(refusal({ 'data.c': { $nin: 'FR' } })).toMatchObject({ field: 'input.filter.data.c.$nin' });
    expect(refusal({ 'data.c': { $exists: 'yes' } })).toMatchObject({ field: 'input.filter.data.c.$exists' });
    expect(refusal({ 'data.c': { $startsWith: '' } })).toMatchObject({ field: 'input.filter.data.c.$startsWith' });
    expect(refusal({ 'data.c': { $eq: 1, other: 2 } })).toMatchObject({ field: 'input.filter.data.c.other', message: expect.stringMatching(/mixing operators/) });
    expect(refusal({ payload: 1 })).toMatchObject({ field: 'input.filter.payload', message: expect.stringMatching(/start with data/) });
    expect(refusal({ 'data..x': 1 })).toMatchObject({ field: 'input.filter.data..x' });
    expect(refusal({ $gt: 1 })).toMatchObject({ field: 'input.filter.$gt' });
    expect(refusal({ $or: [] })).toMatchObject({ field: 'input.filter.$or', message: expect.stringMatching(/non-empty list/) });
    expect(refusal({ $or: [{ channel: 'eu' }, { 'data.x': { $lt: [] } }] })).toMatchObject({ field: 'input.filter.$or[1].data.x.$lt' });
    expect(refusal({ $not: [{ channel: 'eu' }] })).toMatchObject({ field: 'input.filter.$not' });
    for (const value of [null, [], 'x', 1]) expect(refusal(value)).toMatchObject({ field: 'input.filter', message: expect.stringMatching(/JSON object/) });
  });

  it('bounds size, depth, conditions and lists at their edges', () => {
    const conditions = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`data.f${i}`, i]));
    expect(() => checkFilter('f', conditions(MAX_FILTER_CONDITIONS))).not.toThrow();
    expect(refusal(conditions(MAX_FILTER_CONDITIONS + 1)).message).toMatch(/at most 100 conditions/);
    const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { channel: 'eu' } : { $not: nested(depth - 1) });
    expect(() => checkFilter('f', nested(MAX_FILTER_DEPTH))).not.toThrow();
    expect(refusal(nested(MAX_FILTER_DEPTH + 1)).message).toMatch(/at most 8 deep/);
    expect(() => checkFilter('f', { 'data.x': { $in: Array(MAX_FILTER_LIST).fill(1) } })).not.toThrow();
    expect(refusal({ 'data.x': { $in: Array(MAX_FILTER_LIST + 1).fill(1) } }).message).toMatch(/1 to 500 values/);
    expect(refusal({ 'data.x': 'y'.repeat(17 * 1024) }).message).toMatch(/the limit is 16384/);
  });

  it('compiles once and evaluates many events', () => {
    const compiled = compileFilter(checkFilter('f', { 'data.n': { $gte: 10 } }));
    const results = [9, 10, 11].map((n) => compiled({ ...event, data: { n } }).matched);
    expect(results).toEqual([false, true, true]);
  });
});
