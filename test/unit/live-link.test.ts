// The dashboard's live subscriptions without a browser or a server: what the header says,
// when a page is told to refetch, and how an ended subscription is started again.
import { describe, expect, it } from 'vitest';
import { LiveLink, OFFLINE_AFTER_FAILURES, RESTART_MAX_MS, RESTART_MIN_MS, SETTLE_MS, type LiveEnvironment, type LiveStatus } from '../../client/src/lib/live/live-link.ts';

interface FakeSubscription {
  query: string;
  sink: { next(value: { data?: unknown; errors?: unknown[] }): void; error(e: unknown): void; complete(): void };
  ended: boolean;
}

/** A clock, timers, visibility and the socket's subscriptions, all driven by the test. */
function harness(options: { online?: boolean } = {}) {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let visible: (() => void) | null = null;
  let online = options.online ?? true;
  const env: LiveEnvironment = {
    setTimeout: (fn, ms) => (timers.set(++nextId, { at: now + ms, fn }), nextId),
    clearTimeout: (handle) => void timers.delete(handle as number),
    online: () => online,
    onVisible: (callback) => ((visible = callback), () => (visible = null)),
    random: () => 1,
  };
  const opened: FakeSubscription[] = [];
  const statuses: LiveStatus[] = [];
  const link = new LiveLink(
    (query, _variables, sink) => {
      const sub: FakeSubscription = { query, sink, ended: false };
      opened.push(sub);
      return () => void (sub.ended = true);
    },
    (status) => statuses.push(status),
    env,
  );
  return {
    link,
    opened,
    statuses,
    /** Runs every timer due within `ms`, in time order. */
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
    becomeVisible: () => visible?.(),
    setOnline: (value: boolean) => (online = value),
  };
}

function watch(h: ReturnType<typeof harness>, query = 'subscription A') {
  const data: unknown[] = [];
  const resyncs: string[] = [];
  const stop = h.link.subscribe<{ deliveryUpdated: { __typename: 'Delivery'; id: string } | { __typename: 'Resync'; reason: string } }>(query, {}, {
    onData: (item) => data.push(item),
    onResync: (why) => resyncs.push(why),
  });
  return { data, resyncs, stop };
}

describe('the live link of the dashboard', () => {
  it('says nothing on a page without subscriptions, Connecting then Live with one, and nothing again after it ends', () => {
    const h = harness();
    expect(h.link.status).toBe('none');
    const w = watch(h);
    expect(h.link.status).toBe('connecting');
    h.link.connected();
    expect(h.link.status).toBe('live');
    w.stop();
    // The socket closing lazily afterwards is no failure and no alarm.
    h.link.closed();
    expect(h.statuses).toEqual(['connecting', 'live', 'none']);
    expect(h.opened[0].ended).toBe(true);
  });

  it(`says Reconnecting after a loss, Offline after ${OFFLINE_AFTER_FAILURES} failed tries or without a network, and Live once back`, () => {
    const h = harness();
    watch(h);
    h.link.connected();
    for (let i = 1; i < OFFLINE_AFTER_FAILURES; i++) {
      h.link.closed();
      expect(h.link.status, `after ${i} closes`).toBe('reconnecting');
    }
    h.link.closed();
    expect(h.link.status).toBe('offline');
    h.link.connected();
    expect(h.link.status).toBe('live');
    h.setOnline(false);
    h.link.closed();
    expect(h.link.status).toBe('offline');
  });

  it('hands items to the page and turns a Resync into a refetch, not an item', () => {
    const h = harness();
    const w = watch(h);
    h.opened[0].sink.next({ data: { deliveryUpdated: { __typename: 'Delivery', id: 'dlv_1' } } });
    h.opened[0].sink.next({ data: { deliveryUpdated: { __typename: 'Resync', reason: 'BEHIND' } } });
    expect(w.data).toEqual([{ __typename: 'Delivery', id: 'dlv_1' }]);
    // The first item after a start settles it (one refetch for what changed before the server listened), then the server's Resync.
    expect(w.resyncs).toEqual(['RESTARTED', 'SERVER']);
  });

  it(`refetches once ${SETTLE_MS} ms after a start when nothing came, never twice`, () => {
    const h = harness();
    const w = watch(h);
    h.advance(SETTLE_MS - 1);
    expect(w.resyncs).toEqual([]);
    h.advance(1);
    expect(w.resyncs).toEqual(['RESTARTED']);
    h.opened[0].sink.next({ data: { deliveryUpdated: { __typename: 'Delivery', id: 'dlv_1' } } });
    expect(w.resyncs).toEqual(['RESTARTED']);
  });

  it('tells every page to refetch when the socket is back after a loss, or the tab is shown again', () => {
    const h = harness();
    const a = watch(h, 'A');
    const b = watch(h, 'B');
    h.link.connected();
    h.advance(SETTLE_MS);
    h.link.closed();
    h.link.connected();
    h.becomeVisible();
    expect(a.resyncs).toEqual(['RESTARTED', 'RECONNECTED', 'VISIBLE']);
    expect(b.resyncs).toEqual(['RESTARTED', 'RECONNECTED', 'VISIBLE']);
  });

  it(`starts a subscription the server ended again after ${RESTART_MIN_MS} ms, doubling to ${RESTART_MAX_MS} ms, and refetches`, () => {
    const h = harness();
    const w = watch(h);
    h.advance(SETTLE_MS);
    const waits: number[] = [];
    for (let round = 0; round < 7; round++) {
      const count = h.opened.length;
      h.opened.at(-1)!.sink.complete();
      let waited = 0;
      while (h.opened.length === count) {
        h.advance(100);
        waited += 100;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(w.resyncs.filter((why) => why === 'RESTARTED').length).toBeGreaterThanOrEqual(8);
    // An item resets the backoff.
    h.opened.at(-1)!.sink.next({ data: { deliveryUpdated: { __typename: 'Delivery', id: 'dlv_1' } } });
    const count = h.opened.length;
    h.opened.at(-1)!.sink.error(new Error('socket error'));
    h.advance(RESTART_MIN_MS);
    expect(h.opened.length).toBe(count + 1);
  });

  it('does not start again a subscription the server refused with errors (a bad argument), nor one the page stopped', () => {
    const h = harness();
    watch(h);
    h.opened[0].sink.next({ errors: [{ message: 'webhook whk_x not found' }] });
    h.opened[0].sink.complete();
    h.advance(RESTART_MAX_MS * 2);
    expect(h.opened).toHaveLength(1);
    const w = watch(h, 'B');
    w.stop();
    h.opened.at(-1)!.sink.complete();
    h.advance(RESTART_MAX_MS * 2);
    expect(h.opened).toHaveLength(2);
  });
});
