import { describe, expect, it } from 'vitest';
import { cloudEventBody } from '../../core/delivery/cloud-event.ts';

const event = {
  id: 'evt_123',
  source: 'https://erp.example.com',
  type: 'invoice.created',
  occurredAt: new Date('2025-03-04T05:06:07.089Z'),
  payload: { invoice: 'INV-1', total: 99.5 },
};

describe('cloudEventBody', () => {
  it('builds a CloudEvents 1.0 JSON envelope with the attributes in a fixed order', () => {
    expect(cloudEventBody(event)).toBe(
      '{"specversion":"1.0","id":"evt_123","source":"https://erp.example.com","type":"invoice.created",' +
        '"time":"2025-03-04T05:06:07.089Z","datacontenttype":"application/json","data":{"invoice":"INV-1","total":99.5}}',
    );
  });

  it('gives byte-identical bodies for the same event, so retries carry the same signature', () => {
    expect(cloudEventBody(event)).toBe(cloudEventBody({ ...event, payload: { invoice: 'INV-1', total: 99.5 } }));
  });

  it('keeps non-object payloads as data', () => {
    expect(JSON.parse(cloudEventBody({ ...event, payload: [1, 'two'] })).data).toEqual([1, 'two']);
    expect(JSON.parse(cloudEventBody({ ...event, payload: 'text' })).data).toBe('text');
    expect(JSON.parse(cloudEventBody({ ...event, payload: null })).data).toBeNull();
  });

  it('writes data as null rather than dropping it when the payload is undefined', () => {
    expect(JSON.parse(cloudEventBody({ ...event, payload: undefined }))).toHaveProperty('data', null);
  });

  it('refuses an empty id, source or type', () => {
    expect(() => cloudEventBody({ ...event, id: '' })).toThrow(/id/);
    expect(() => cloudEventBody({ ...event, source: '' })).toThrow(/source/);
    expect(() => cloudEventBody({ ...event, type: '' })).toThrow(/type/);
  });

  it('refuses an invalid occurredAt', () => {
    expect(() => cloudEventBody({ ...event, occurredAt: new Date('nope') })).toThrow(/occurredAt/);
  });
});
