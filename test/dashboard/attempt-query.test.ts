// The Attempts screen's view in the URL, without a browser: every filter survives the
// round trip, and values the API would refuse are dropped rather than sent.
import { describe, expect, it } from 'vitest';
import { attemptQueryToParams, parseAttemptQuery, showsNewest, type AttemptQuery } from '../../client/src/lib/attempts/attempt-query.ts';

describe('the attempts view in the URL', () => {
  it('keeps every filter, the order, the cursor and the page size through the round trip', () => {
    const query: AttemptQuery = {
      filter: {
        createdFrom: '2026-11-01T00:00:00.000Z',
        createdTo: '2026-11-02T00:00:00.000Z',
        webhookId: 'whk_1',
        eventType: 'invoice.created',
        deliveryId: 'dlv_1',
        trigger: 'MANUAL',
        succeeded: false,
        httpStatus: '5xx',
        errorKind: 'TIMEOUT',
      },
      order: 'OLDEST_FIRST',
      after: 'cursor-1',
      before: null,
      pageSize: 100,
    };
    const params = attemptQueryToParams(query);
    expect(params.toString()).toBe(
      'webhook=whk_1&eventType=invoice.created&delivery=dlv_1&from=2026-11-01T00%3A00%3A00.000Z&to=2026-11-02T00%3A00%3A00.000Z&trigger=MANUAL&succeeded=false&status=5xx&error=TIMEOUT&order=oldest&after=cursor-1&size=100',
    );
    expect(parseAttemptQuery(params)).toEqual(query);
  });

  it('starts with no filter, newest first, 50 a page', () => {
    expect(parseAttemptQuery(new URLSearchParams())).toEqual({ filter: {}, order: 'NEWEST_FIRST', after: null, before: null, pageSize: 50 });
    expect(attemptQueryToParams(parseAttemptQuery(new URLSearchParams())).toString()).toBe('');
  });

  it('drops values the API would refuse', () => {
    const parsed = parseAttemptQuery(new URLSearchParams('trigger=LATER&succeeded=maybe&status=600&error=GREMLINS&from=yesterday&size=7&order=sideways'));
    expect(parsed).toEqual({ filter: {}, order: 'NEWEST_FIRST', after: null, before: null, pageSize: 50 });
    for (const status of ['5x', '5xxx', '099', '50', 'abc']) expect(parseAttemptQuery(new URLSearchParams({ status })).filter).toEqual({});
    expect(parseAttemptQuery(new URLSearchParams({ status: '5XX' })).filter).toEqual({ httpStatus: '5xx' });
    expect(parseAttemptQuery(new URLSearchParams({ status: '404' })).filter).toEqual({ httpStatus: '404' });
  });

  it('says where new attempts land: the first page, newest first', () => {
    const first = parseAttemptQuery(new URLSearchParams());
    expect(showsNewest(first)).toBe(true);
    expect(showsNewest({ ...first, after: 'c' })).toBe(false);
    expect(showsNewest({ ...first, before: 'c' })).toBe(false);
    expect(showsNewest({ ...first, order: 'OLDEST_FIRST' })).toBe(false);
  });
});
