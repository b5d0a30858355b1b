import { describe, expect, it } from 'vitest';
import { checkEventTypePatterns, eventTypeMatches } from '../../core/rules/webhook-fields.ts';

describe('eventTypeMatches', () => {
  it('matches an exact name and nothing that only looks like it', () => {
    expect(eventTypeMatches(['customer.created'], 'customer.created')).toBe(true);
    for (const type of ['customer.deleted', 'customer.created_v2', 'customers.created', 'xcustomer.created']) expect(eventTypeMatches(['customer.created'], type), type).toBe(false);
  });

  it('matches a resource wildcard against that resource only, not a longer resource name', () => {
    for (const type of ['customer.created', 'customer.deleted', 'customer.address.changed']) expect(eventTypeMatches(['customer.*'], type), type).toBe(true);
    for (const type of ['customers.created', 'customerx.y', 'invoice.created', 'acme.customer.created']) expect(eventTypeMatches(['customer.*'], type), type).toBe(false);
    expect(eventTypeMatches(['invoice.line.*'], 'invoice.line.added')).toBe(true);
    expect(eventTypeMatches(['invoice.line.*'], 'invoice.lines.added')).toBe(false);
    expect(eventTypeMatches(['invoice.line.*'], 'invoice.paid')).toBe(false);
  });

  it('matches everything with *, and nothing with no patterns', () => {
    expect(eventTypeMatches(['*'], 'anything.at_all')).toBe(true);
    expect(eventTypeMatches([], 'customer.created')).toBe(false);
  });

  it('matches when any one of several patterns does', () => {
    expect(eventTypeMatches(['invoice.paid', 'customer.*'], 'customer.created')).toBe(true);
    expect(eventTypeMatches(['customer.*', 'invoice.paid'], 'invoice.paid')).toBe(true);
    expect(eventTypeMatches(['customer.*', 'invoice.paid'], 'invoice.created')).toBe(false);
  });

  it('treats a pattern ending in * without a dot as an exact name, which never matches a real type', () => {
    expect(eventTypeMatches(['customer*'], 'customers.created')).toBe(false);
    expect(eventTypeMatches(['customer*'], 'customer.created')).toBe(false);
  });
});

describe('checkEventTypePatterns', () => {
  it('splits exact names from wildcards, without duplicates', () => {
    expect(checkEventTypePatterns('f', ['invoice.paid', 'invoice.*', ' invoice.paid ', '*', 'invoice.*'])).toEqual({ exact: ['invoice.paid'], wildcards: ['invoice.*', '*'] });
  });

  it('accepts wildcards of nested resources with digits and underscores', () => {
    expect(checkEventTypePatterns('f', ['invoice.line_item.*', 'a1.b2_c.*', 'x.*'])).toEqual({ exact: [], wildcards: ['invoice.line_item.*', 'a1.b2_c.*', 'x.*'] });
  });

  it('accepts 100 patterns and refuses 101', () => {
    const patterns = (n: number) => Array.from({ length: n }, (_, i) => `t${i}.happened`);
    expect(checkEventTypePatterns('f', patterns(100)).exact).toHaveLength(100);
    expect(() => checkEventTypePatterns('f', patterns(101))).toThrow(/at most 100 event types/);
  });

  it('refuses an empty list, and patterns that are neither names nor wildcards', () => {
    expect(() => checkEventTypePatterns('f', [])).toThrow(/at least one/);
    for (const bad of ['customer*', '*.created', 'customer.*.x', 'Customer.created', 'customer', '**', 'a.1b.*', 'a._b.*']) expect(() => checkEventTypePatterns('f', [bad]), bad).toThrow(/neither an event type name/);
  });
});
