import { describe, expect, it } from 'vitest';
import { idType, newId } from '../../core/ids.ts';

describe('prefixed ids', () => {
  it('says what they are by their prefix', () => {
    expect(newId('Webhook')).toMatch(/^whk_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(idType(newId('Delivery'))).toBe('Delivery');
    expect(idType('whk_not-a-ulid')).toBeNull();
    expect(idType('zzz_01JD0000000000000000000000')).toBeNull();
  });

  it('sort by the time they were made', () => {
    expect(newId('Event', 1_000) < newId('Event', 2_000)).toBe(true);
  });

  it('sort in the order they were made within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newId('Event', 1_700_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
