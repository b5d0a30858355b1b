// The dashboard's pure logic, without a browser: the delivery log's view in the URL,
// multi-column sort, merging live updates, batching bursts, and the form parsers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  deliveryQueryToParams,
  exportParams,
  matchesFilter,
  filterChips,
  isNotOlder,
  nextOrder,
  withoutChip,
  placeDeliveryUpdates,
  parseDeliveryQuery,
  type DeliveryQuery,
  type SortableRow,
} from '../../client/src/lib/deliveries/delivery-query.ts';
import { Batcher } from '../../client/src/lib/live/batcher.ts';
import { formatSeconds, parseSchedule } from '../../client/src/lib/format/time.ts';
import { parseHeaders, parseList, parseSecretHeaders } from '../../client/src/lib/webhooks/webhook-form.ts';
import { fieldKey, readableMessage } from '../../client/src/lib/forms/mutation-result.ts';

function delivery(id: string, createdAt: string, patch: Partial<SortableRow> = {}): SortableRow {
  return {
    lastAttemptAt: null,
    lastResponseStatus: null,
    lastDurationMs: null,
    id,
    eventType: 'invoice.created',
    status: 'PENDING',
    succeeded: false,
    attemptCount: 0,
    createdAt,
    deliveredAt: null,
    webhook: { id: 'whk_1', name: 'Ledger', url: 'https://ledger.test/hook' },
    integrator: { id: 'int_1', name: 'Acme' },
    ...patch,
  };
}

describe('the delivery log view in the URL', () => {
  it('round-trips every filter, the sort, the cursor and the page size', () => {
    const query: DeliveryQuery = {
      filter: {
        search: 'acme',
        createdFrom: '2026-01-01T00:00:00.000Z',
        createdTo: '2026-01-02T00:00:00.000Z',
        deliveredFrom: '2026-01-01T10:00:00.000Z',
        deliveredTo: '2026-01-01T11:00:00.000Z',
        attemptsMin: 2,
        attemptsMax: 5,
        httpStatusMin: 500,
        httpStatusMax: 599,
        durationMinMs: 0,
        durationMaxMs: 2500,
        integratorId: 'int_1',
        webhookId: 'whk_1',
        eventType: 'invoice.created',
        succeeded: false,
        status: ['RETRYING', 'FAILED'],
      },
      orderBy: [
        { field: 'WEBHOOK', direction: 'ASC' },
        { field: 'ATTEMPTS', direction: 'DESC' },
      ],
      after: 'cursor-1',
      before: null,
      pageSize: 100,
    };
    const params = deliveryQueryToParams(query);
    expect(params.get('sort')).toBe('webhook,-attempts');
    expect(parseDeliveryQuery(new URLSearchParams(params.toString()))).toEqual(query);
  });

  it('leaves defaults out of the URL and ignores values it does not know', () => {
    expect(deliveryQueryToParams(parseDeliveryQuery(new URLSearchParams())).toString()).toBe('');
    const parsed = parseDeliveryQuery(new URLSearchParams('sort=-bogus,attempts,attempts&status=NOPE,failed&size=7&attempts_min=-1&succeeded=maybe'));
    expect(parsed.orderBy).toEqual([{ field: 'ATTEMPTS', direction: 'ASC' }]);
    expect(parsed.filter).toEqual({ status: ['FAILED'] });
    expect(parsed.pageSize).toBe(50);
  });

  it('exports the selected ids when rows are selected, else the whole filter, always with the sort', () => {
    const query = parseDeliveryQuery(new URLSearchParams('status=FAILED,RETRYING&q=acme&sort=-attempts'));
    expect(Object.fromEntries(exportParams(query, []))).toEqual({ status: 'FAILED,RETRYING', search: 'acme', orderBy: 'ATTEMPTS:DESC' });
    expect(Object.fromEntries(exportParams(query, ['dlv_1', 'dlv_2']))).toEqual({ ids: 'dlv_1,dlv_2', orderBy: 'ATTEMPTS:DESC' });
  });
});

describe('multi-column sort', () => {
  it('sorts by one column on click and flips it on a second click', () => {
    const byWebhook = nextOrder([{ field: 'CREATED_AT', direction: 'DESC' }], 'WEBHOOK', false);
    expect(byWebhook).toEqual([{ field: 'WEBHOOK', direction: 'ASC' }]);
    expect(nextOrder(byWebhook, 'WEBHOOK', false)).toEqual([{ field: 'WEBHOOK', direction: 'DESC' }]);
  });

  it('adds a column with shift and flips only that column when it is already a key', () => {
    const two = nextOrder([{ field: 'WEBHOOK', direction: 'ASC' }], 'ATTEMPTS', true);
    expect(two).toEqual([
      { field: 'WEBHOOK', direction: 'ASC' },
      { field: 'ATTEMPTS', direction: 'DESC' },
    ]);
    expect(nextOrder(two, 'ATTEMPTS', true)).toEqual([
      { field: 'WEBHOOK', direction: 'ASC' },
      { field: 'ATTEMPTS', direction: 'ASC' },
    ]);
    expect(nextOrder(two, 'EVENT_TYPE', false)).toEqual([{ field: 'EVENT_TYPE', direction: 'ASC' }]);
  });
});

describe('live updates of the delivery log', () => {
  const shown = [delivery('dlv_2', '2026-01-01T10:00:02Z'), delivery('dlv_1', '2026-01-01T10:00:01Z')];

  const FIRST_PAGE = { first: true, last: false, room: 500 };
  const NEWEST_FIRST = [{ field: 'CREATED_AT' as const, direction: 'DESC' as const }];

  it('changes a shown row in place and puts new matching deliveries on top, newest first', () => {
    const update = delivery('dlv_1', '2026-01-01T10:00:01Z', { status: 'SUCCEEDED', succeeded: true, attemptCount: 1 });
    const result = placeDeliveryUpdates(shown, [update, delivery('dlv_3', '2026-01-01T10:00:03Z'), delivery('dlv_4', '2026-01-01T10:00:04Z')], {}, NEWEST_FIRST, FIRST_PAGE);
    expect(result.rows.map((r) => r.id)).toEqual(['dlv_4', 'dlv_3', 'dlv_2', 'dlv_1']);
    expect(result.rows[3].status).toBe('SUCCEEDED');
    expect(result).toMatchObject({ added: 2, missed: [] });
  });

  it('puts a delivery that sorts between shown rows in its place, even older than the newest shown', () => {
    const page = [delivery('dlv_3', '2026-01-01T10:00:03Z'), delivery('dlv_1', '2026-01-01T10:00:01Z')];
    const result = placeDeliveryUpdates(page, [delivery('dlv_2', '2026-01-01T10:00:02Z')], {}, NEWEST_FIRST, { first: false, last: false, room: 500 });
    expect(result.rows.map((r) => r.id)).toEqual(['dlv_3', 'dlv_2', 'dlv_1']);
    expect(result).toMatchObject({ added: 1, missed: [] });
  });

  it('counts, never drops, deliveries that belong before a later page, after an earlier one, or past the room', () => {
    const newer = delivery('dlv_3', '2026-01-01T10:00:03Z');
    const older = delivery('dlv_0', '2026-01-01T09:00:00Z');
    // A later page: the newer one belongs on an earlier page; the older one on a later page.
    expect(placeDeliveryUpdates(shown, [newer, older], {}, NEWEST_FIRST, { first: false, last: false, room: 500 })).toMatchObject({ added: 0, missed: ['dlv_3', 'dlv_0'] });
    // The last page takes older rows at its end.
    expect(placeDeliveryUpdates(shown, [older], {}, NEWEST_FIRST, { first: false, last: true, room: 500 }).rows.map((r) => r.id)).toEqual(['dlv_2', 'dlv_1', 'dlv_0']);
    // Room for exactly one: the first in sort order is placed, the next counted.
    const four = delivery('dlv_4', '2026-01-01T10:00:04Z');
    expect(placeDeliveryUpdates(shown, [newer, four], {}, NEWEST_FIRST, { ...FIRST_PAGE, room: 1 })).toMatchObject({ added: 1, missed: ['dlv_3'] });
    expect(placeDeliveryUpdates(shown, [newer], {}, NEWEST_FIRST, { ...FIRST_PAGE, room: 0 })).toMatchObject({ added: 0, missed: ['dlv_3'] });
  });

  it('places by the chosen sort: most attempts first, missing times last, ties by created at and id', () => {
    const order = [{ field: 'ATTEMPTS' as const, direction: 'DESC' as const }];
    const page = [delivery('dlv_a', '2026-01-01T10:00:00Z', { attemptCount: 5 }), delivery('dlv_b', '2026-01-01T10:00:00Z', { attemptCount: 1 })];
    const result = placeDeliveryUpdates(page, [delivery('dlv_c', '2026-01-01T10:00:00Z', { attemptCount: 3 })], {}, order, { first: false, last: false, room: 500 });
    expect(result.rows.map((r) => r.id)).toEqual(['dlv_a', 'dlv_c', 'dlv_b']);
    const byDelivered = [{ field: 'DELIVERED_AT' as const, direction: 'ASC' as const }];
    const delivered = [delivery('dlv_x', '2026-01-01T10:00:00Z', { deliveredAt: '2026-01-01T10:00:05Z' })];
    expect(placeDeliveryUpdates(delivered, [delivery('dlv_y', '2026-01-01T10:00:00Z')], {}, byDelivered, { first: true, last: true, room: 500 }).rows.map((r) => r.id)).toEqual(['dlv_x', 'dlv_y']);
    // Slowest first; never attempted (no duration) after a 0 ms attempt.
    const byDuration = [{ field: 'DURATION' as const, direction: 'DESC' as const }];
    const timed = [delivery('dlv_s', '2026-01-01T10:00:00Z', { lastDurationMs: 900 }), delivery('dlv_z', '2026-01-01T10:00:00Z', { lastDurationMs: 0 })];
    const placed = placeDeliveryUpdates(timed, [delivery('dlv_n', '2026-01-01T10:00:00Z'), delivery('dlv_m', '2026-01-01T10:00:00Z', { lastDurationMs: 40 })], {}, byDuration, { first: true, last: true, room: 500 });
    expect(placed.rows.map((r) => r.id)).toEqual(['dlv_s', 'dlv_m', 'dlv_z', 'dlv_n']);
  });

  it('tells an update received during a refetch that is older than its answer (an attempt fewer, or not final at the same count)', () => {
    expect(isNotOlder({ status: 'RETRYING', attemptCount: 1 }, { status: 'SUCCEEDED', attemptCount: 2 })).toBe(false);
    expect(isNotOlder({ status: 'RETRYING', attemptCount: 2 }, { status: 'SUCCEEDED', attemptCount: 2 })).toBe(false);
    expect(isNotOlder({ status: 'FAILED', attemptCount: 2 }, { status: 'RETRYING', attemptCount: 2 })).toBe(true);
    expect(isNotOlder({ status: 'PENDING', attemptCount: 3 }, { status: 'FAILED', attemptCount: 2 })).toBe(true);
  });

  it('leaves out new deliveries the filter does not match', () => {
    const other = delivery('dlv_3', '2026-01-01T10:00:03Z', { webhook: { id: 'whk_2', name: 'CRM', url: 'https://crm.test' } });
    expect(placeDeliveryUpdates(shown, [other], { webhookId: 'whk_1' }, NEWEST_FIRST, FIRST_PAGE)).toMatchObject({ added: 0, missed: [] });
  });

  it('matches the quick search like the server: ids exactly, other text anywhere in names, URL and type', () => {
    const row = delivery('dlv_ABC', '2026-01-01T10:00:00Z');
    expect(matchesFilter({ search: 'dlv_ABC' }, row)).toBe(true);
    expect(matchesFilter({ search: 'dlv_AB' }, row)).toBe(false);
    expect(matchesFilter({ search: 'LEDGER.test' }, row)).toBe(true);
    expect(matchesFilter({ search: 'acme' }, row)).toBe(true);
    expect(matchesFilter({ search: 'crm' }, row)).toBe(false);
    expect(matchesFilter({ attemptsMin: 1 }, row)).toBe(false);
    expect(matchesFilter({ deliveredFrom: '2026-01-01T00:00:00Z' }, row)).toBe(false);
    expect(matchesFilter({ status: ['PENDING'], succeeded: false, createdFrom: '2026-01-01T09:00:00Z' }, row)).toBe(true);
    // A duration range, edges included, leaves out a delivery never attempted.
    expect(matchesFilter({ durationMinMs: 0 }, row)).toBe(false);
    const timed = delivery('dlv_T', '2026-01-01T10:00:00Z', { attemptCount: 1, lastDurationMs: 250 });
    expect(matchesFilter({ durationMinMs: 250, durationMaxMs: 250 }, timed)).toBe(true);
    expect(matchesFilter({ durationMinMs: 251 }, timed)).toBe(false);
    expect(matchesFilter({ durationMaxMs: 249 }, timed)).toBe(false);
  });
});

describe('active filter chips', () => {
  const name = (kind: 'integrator' | 'webhook', id: string) => (id === 'whk_1' ? 'Ledger' : null);
  const time = (iso: string) => iso.slice(11, 16);

  it('shows each active filter once, ranges as one chip, names where known, the search and failed-only left to their own controls', () => {
    const filter = {
      search: 'acme',
      succeeded: false,
      createdFrom: '2026-01-01T10:00:00Z',
      attemptsMax: 3,
      httpStatusMin: 500,
      httpStatusMax: 599,
      durationMinMs: 1000,
      webhookId: 'whk_1',
      integratorId: 'int_9',
      status: ['FAILED' as const, 'RETRYING' as const],
    };
    expect(filterChips(filter, name, time).map((c) => c.label)).toEqual([
      'Created from 10:00',
      'Attempts up to 3',
      'HTTP 500 – 599',
      'Duration from 1000 ms',
      'Integrator: int_9',
      'Webhook: Ledger',
      'Status: Failed, Retrying',
    ]);
  });

  it('removes only the fields of the chip it removes', () => {
    const filter = { httpStatusMin: 500, httpStatusMax: 599, eventType: 'invoice.paid', search: 'x' };
    const [http] = filterChips(filter, name, time);
    expect(withoutChip(filter, http)).toEqual({ eventType: 'invoice.paid', search: 'x' });
  });
});

describe('the live batcher', () => {
  afterEach(() => void vi.useRealTimers());

  it('applies a burst of a thousand events once per interval, keeping only the latest per key', () => {
    vi.useFakeTimers();
    const batches: { id: string; n: number }[][] = [];
    const batcher = new Batcher<{ id: string; n: number }>((items) => batches.push(items), { keyOf: (item) => item.id, intervalMs: 250 });
    for (let n = 0; n < 1000; n++) batcher.push({ id: `dlv_${n % 10}`, n });
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(250);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(10);
    expect(batches[0].find((item) => item.id === 'dlv_3')!.n).toBe(993);
    batcher.push({ id: 'dlv_1', n: 1000 });
    vi.advanceTimersByTime(250);
    expect(batches).toHaveLength(2);
    batcher.dispose();
  });
});

describe('the form parsers', () => {
  it('reads a retry schedule in seconds or with units, and writes it back short', () => {
    expect(parseSchedule('5s, 5m, 30m, 2h, 1h30m, 1d, 10')).toEqual([5, 300, 1800, 7200, 5400, 86400, 10]);
    expect(() => parseSchedule('5 minutes')).toThrow(/not a duration/);
    expect([5, 300, 5400, 86400].map(formatSeconds)).toEqual(['5s', '5m', '1h30m', '1d']);
  });

  it('reads custom headers one per line and refuses a line without a name', () => {
    expect(parseHeaders('x-tenant: acme\n\nx-trace:  a:b ')).toEqual({ 'x-tenant': 'acme', 'x-trace': 'a:b' });
    expect(() => parseHeaders('x-tenant acme')).toThrow(/line 1/);
    expect(parseList('eu, us ,eu')).toEqual(['eu', 'us']);
  });

  it('reads secret headers the same way, a name with no value meaning "remove it"', () => {
    expect(parseSecretHeaders('Authorization: Bearer abc\nX-Old:')).toEqual({ Authorization: 'Bearer abc', 'X-Old': null });
    expect(parseSecretHeaders('')).toEqual({});
  });

  it('puts a ValidationError next to the field its path names', () => {
    expect(['input.url', 'input.retrySchedule[2]', 'input.headers.x-tenant', 'input.name'].map(fieldKey)).toEqual(['url', 'retrySchedule', 'headers', 'name']);
    // The message names the field by its label, never by the API's path.
    expect(readableMessage('input.contactEmail "x" is not an e-mail address like ops@example.com', 'input.contactEmail', 'Contact e-mail')).toBe('Contact e-mail "x" is not an e-mail address like ops@example.com');
    expect(readableMessage('input.retrySchedule[2] must be at most 86400', 'input.retrySchedule[2]', 'Retry schedule')).toBe('Retry schedule must be at most 86400');
  });
});
