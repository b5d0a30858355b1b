import { describe, expect, it, vi } from 'vitest';
import { buildItem, queryObject } from '../../core/inbound/inbound-item.ts';
import { determineDataStructure } from '../../core/inbound/determine-structure.ts';
import { addressAllowed, clientAddress } from '../../core/inbound/ip-allowlist.ts';
import { checkCustomResponse, checkIpAllowlist } from '../../core/inbound/hook-settings.ts';
import { payloadSchemaErrors } from '../../core/rules/payload-schema.ts';
import { nextRunAt } from '../../core/inbound/accept-inbound.ts';
import { escapeUnstorable, textProblem } from '../../core/rules/text.ts';
import { answerForOutcome, answersFromProcessing, withinWait } from '../../core/inbound/answer-from-processing.ts';

const OFF = { includeHeaders: false, includeMethod: false, jsonPassthrough: false };

describe('the inbound item', () => {
  it('lets the query string win over body fields, and keeps repeated names as lists', () => {
    const item = buildItem({ method: 'POST', headers: {}, query: queryObject([['a', 'q'], ['t', '1'], ['t', '2']]), body: { kind: 'form', fields: [['a', 'form'], ['b', 'x'], ['b', 'y']] } }, OFF);
    expect(item).toEqual({ a: 'q', b: ['x', 'y'], t: ['1', '2'] });
  });

  it('keeps a JSON array or scalar, and a passed-through body, under body', () => {
    expect(buildItem({ method: 'POST', headers: {}, query: {}, body: { kind: 'json', value: [1, 2], text: '[1,2]' } }, OFF)).toEqual({ body: [1, 2] });
    expect(buildItem({ method: 'POST', headers: {}, query: {}, body: { kind: 'json', value: { a: 1 }, text: '{"a":1}' } }, { ...OFF, jsonPassthrough: true })).toEqual({ body: '{"a":1}' });
  });

  it('keeps a __proto__ key as a field instead of changing the item\'s prototype', () => {
    const item = buildItem({ method: 'POST', headers: {}, query: queryObject([['__proto__', 'q']]), body: { kind: 'json', value: JSON.parse('{"__proto__":{"polluted":true}}'), text: '' } }, OFF);
    expect(Object.getPrototypeOf(item)).toBe(Object.prototype);
    expect((item as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(item)).toBe('{"__proto__":"q"}');
  });
});

describe('determining a data structure from a sample', () => {
  it('maps nested objects and arrays, merging item types, and accepts its own sample and others alike', () => {
    const sample = { id: 7, total: 9.5, paid: true, note: null, customer: { name: 'Ada', tags: ['a', 'b'] }, lines: [{ sku: 'x', qty: 1 }, { sku: 'y', qty: 2.5, gift: true }] };
    const schema = determineDataStructure(sample);
    expect(schema).toEqual({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        id: { type: 'integer' },
        total: { type: 'number' },
        paid: { type: 'boolean' },
        note: { type: 'null' },
        customer: { type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } },
        lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'number' }, gift: { type: 'boolean' } } } },
      },
    });
    expect(payloadSchemaErrors(schema, sample)).toBeNull();
    // It maps, it does not require: a request without a field still fits.
    expect(payloadSchemaErrors(schema, { id: 8 })).toBeNull();
    expect(payloadSchemaErrors(schema, { id: 'eight' })).toMatch(/must be integer/);
  });

  it('describes a list of mixed items with anyOf', () => {
    expect(determineDataStructure([1, 'a'])).toMatchObject({ type: 'array', items: { anyOf: [{ type: 'integer' }, { type: 'string' }] } });
    expect(determineDataStructure([])).toMatchObject({ type: 'array' });
  });
});

describe('the IP allowlist', () => {
  it('matches IPv4 and IPv6 CIDRs at their edges, IPv4-mapped addresses as IPv4', () => {
    const list = checkIpAllowlist('f', ['192.0.2.0/25', '2001:db8::/127']);
    expect(addressAllowed(list, '192.0.2.127')).toBe(true);
    expect(addressAllowed(list, '192.0.2.128')).toBe(false);
    expect(addressAllowed(list, '::ffff:192.0.2.1')).toBe(true);
    expect(addressAllowed(list, '2001:db8::1')).toBe(true);
    expect(addressAllowed(list, '2001:db8::2')).toBe(false);
    expect(addressAllowed(list, null)).toBe(false);
    expect(addressAllowed([], '198.51.100.1')).toBe(true);
  });

  it('trusts X-Forwarded-For only from a trusted proxy, and only its right-most untrusted entry', () => {
    expect(clientAddress('198.51.100.1', '10.0.0.1', [])).toBe('198.51.100.1');
    expect(clientAddress('198.51.100.1', '10.0.0.1', ['127.0.0.1/32'])).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', '203.0.113.5', ['127.0.0.1/32'])).toBe('203.0.113.5');
    expect(clientAddress('127.0.0.1', '1.1.1.1, 203.0.113.5, 10.0.0.2', ['127.0.0.1/32', '10.0.0.0/8'])).toBe('203.0.113.5');
    expect(clientAddress('::ffff:127.0.0.1', 'garbage', ['127.0.0.1/32'])).toBe('127.0.0.1');
  });
});

describe('the custom response', () => {
  it('takes 200 to 499, and a redirect only with Location', () => {
    expect(checkCustomResponse('i', 499, 'x', {})).toMatchObject({ responseStatus: 499 });
    expect(() => checkCustomResponse('i', 199, null, {})).toThrow(/from 200 to 499/);
    expect(() => checkCustomResponse('i', 500, null, {})).toThrow(/from 200 to 499/);
    expect(() => checkCustomResponse('i', 301, null, {})).toThrow(/Location/);
    expect(checkCustomResponse('i', 301, null, { location: '/x' })).toMatchObject({ responseHeaders: { location: '/x' } });
    expect(() => checkCustomResponse('i', 200, null, { 'X-A': 'a\r\nb' })).toThrow(/line break/);
  });
});

describe('a scheduled hook\'s next run', () => {
  it('is an interval after the last one, or now when that has passed or there was none', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    expect(nextRunAt({ last_run_at: null, schedule_interval_seconds: 60 }, now)).toEqual(now);
    expect(nextRunAt({ last_run_at: new Date('2026-11-28T11:59:30Z'), schedule_interval_seconds: 60 }, now)).toEqual(new Date('2026-11-28T12:00:30Z'));
    expect(nextRunAt({ last_run_at: new Date('2026-11-28T11:58:00Z'), schedule_interval_seconds: 60 }, now)).toEqual(now);
  });
});

describe('text that quotes a sender', () => {
  it('writes each NUL and unpaired surrogate as its escape, and keeps surrogate pairs', () => {
    const escaped = escapeUnstorable('a\u0000b\ud800c\u{1F600}\udc00\u0000');
    expect(escaped).toBe('a\\u0000b\\ud800c\u{1F600}\\udc00\\u0000');
    expect(textProblem(escaped)).toBeNull();
    expect(escapeUnstorable('plain')).toBe('plain');
  });
});

describe('answering from processing', () => {
  it('takes the result that comes within the wait, to the last millisecond, and no later', async () => {
    vi.useFakeTimers();
    try {
      const settleAfter = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve('published'), ms));
      const inTime = withinWait(settleAfter(39_999), 40_000);
      await vi.advanceTimersByTimeAsync(40_000);
      expect(await inTime).toBe('published');
      const late = withinWait(settleAfter(40_001), 40_000);
      await vi.advanceTimersByTimeAsync(40_001);
      expect(await late).toBe('timeout');
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers the event id, the failure text (the hook\'s or the default), or Accepted', () => {
    const hook = { failure_response_body: null };
    expect(answerForOutcome(hook, { kind: 'processed', eventId: 'evt_1' })).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"eventId":"evt_1"}' });
    expect(answerForOutcome(hook, { kind: 'failed', message: 'x' })).toMatchObject({ status: 500, body: 'The scenario did not complete.' });
    expect(answerForOutcome({ failure_response_body: 'Not taken.' }, { kind: 'failed', message: 'x' })).toMatchObject({ status: 500, body: 'Not taken.' });
    for (const outcome of ['timeout', null, { kind: 'gone' }] as const) expect(answerForOutcome(hook, outcome)).toMatchObject({ status: 200, body: 'Accepted' });
  });

  it('is only for an ACTIVE IMMEDIATE hook that chose it', () => {
    const hook = { answer_mode: 'FROM_PROCESSING', processing_mode: 'IMMEDIATE', status: 'ACTIVE' } as const;
    expect(answersFromProcessing(hook)).toBe(true);
    expect(answersFromProcessing({ ...hook, status: 'STOPPED' })).toBe(false);
    expect(answersFromProcessing({ ...hook, processing_mode: 'SEQUENTIAL' })).toBe(false);
    expect(answersFromProcessing({ ...hook, answer_mode: 'STATIC' })).toBe(false);
  });
});
