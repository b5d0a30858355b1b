import { SvelteSet } from 'svelte/reactivity';
import { gql } from '@urql/core';
import type { Api } from '../graphql/api.ts';
import { DeliveriesDocument, DeliveryUpdatedDocument, type DeliveriesResult, type DeliveryFilter, type DeliveryRowFragment } from '../graphql/generated.ts';
import { Batcher } from '../live/batcher.ts';
import { compareDeliveries, isNotOlder, placeDeliveryUpdates, type DeliveryQuery } from './delivery-query.ts';

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** At most this many live deliveries are added to a page before the log only counts them. */
const LIVE_ROOM = 500;
/** While deliveries keep coming, the total is counted again at most this often. */
const RECOUNT_MS = 1500;
/**
 * And once more this long after the last change, so the total settles on the burst's
 * end even when its last recount was answered before it.
 */
const CONFIRM_MS = 6000;
/** Refetches asked for in a burst (several resyncs) are run once, this long after the first. */
const REFETCH_DELAY_MS = 150;

type PageInfo = DeliveriesResult['deliveries']['pageInfo'];

const DeliveryCountDocument = gql<{ deliveries: { totalCount: number; totalCountIsEstimate: boolean } }, { filter: DeliveryFilter }>(
  'query DeliveryCount($filter: DeliveryFilter) { deliveries(first: 1, filter: $filter) { totalCount totalCountIsEstimate } }',
);

/**
 * The delivery log: one page of deliveries for a query, kept current by the
 * deliveryUpdated subscription. Subscription events are batched (one apply per 250 ms),
 * so a burst of a thousand updates a second costs four table updates. New deliveries go
 * in their sorted place or are counted in `unseen`; the total is counted by the server.
 * After a resync (the server's, a reconnect, the page shown again) the page is fetched
 * again, and updates that came during that fetch are applied on top of its answer.
 */
export class DeliveryLog {
  rows = $state.raw<DeliveryRowFragment[]>([]);
  totalCount = $state(0);
  /** The server's total is an estimate (past 10,000 matches): shown as "about N". */
  totalIsEstimate = $state(false);
  pageInfo = $state.raw<PageInfo | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** New matching deliveries not shown on this page (another page, or past the room): the "N new" bar. */
  unseen = $state(0);
  readonly selected = new SvelteSet<string>();

  readonly api: Api;
  #query: DeliveryQuery | null = null;
  #sequence = 0;
  #liveAdded = 0;
  #unseenIds = new Set<string>();
  /** Updates received since the current fetch started, applied again on its answer. */
  #sinceLoad: Map<string, DeliveryRowFragment> | null = null;
  #refetchTimer: ReturnType<typeof setTimeout> | null = null;
  #recountTimer: ReturnType<typeof setTimeout> | null = null;
  #confirmTimer: ReturnType<typeof setTimeout> | null = null;
  #lastRecount = 0;
  #recountSequence = 0;
  #unsubscribe: (() => void) | null = null;
  readonly #batcher = new Batcher<DeliveryRowFragment>((updates) => this.#apply(updates), { keyOf: (d) => d.id });

  constructor(api: Api) {
    this.api = api;
  }

  /** Loads a page; `quiet` keeps the "new" count of a later page (a refetch, not a new view). */
  async load(query: DeliveryQuery, { quiet = false } = {}): Promise<void> {
    const newView = query !== this.#query;
    this.#query = query;
    const sequence = ++this.#sequence;
    this.loading = true;
    this.error = null;
    this.#sinceLoad = new Map();
    const { filter, orderBy, after, before, pageSize } = query;
    // A refetch of the same view keeps the rows live updates added to the page: they are
    // read again by id (with the filter, so one that left it goes), beside the page itself.
    const kept = quiet && !newView ? this.rows.map((row) => row.id) : [];
    try {
      const [{ deliveries }, ...extras] = await Promise.all([
        this.api.query(DeliveriesDocument, {
          ...(before ? { last: pageSize, before } : { first: pageSize, after }),
          filter,
          orderBy,
        }),
        ...chunks(kept, 100).map((ids) => this.api.query(DeliveriesDocument, { first: ids.length, filter: { ...filter, ids }, orderBy })),
      ]);
      // A newer load started meanwhile (the user kept typing): its answer wins.
      if (sequence !== this.#sequence) return;
      const fresh = new Map(deliveries.edges.map((edge) => [edge.node.id, edge.node]));
      const extra = extras.flatMap((e) => e.deliveries.edges.map((edge) => edge.node)).filter((row) => !fresh.has(row.id));
      for (const row of extra) fresh.set(row.id, row);
      // What changed while the page was fetched is newer than the answer, or as new.
      const since = this.#sinceLoad;
      this.#sinceLoad = null;
      this.rows = extra.length ? [...fresh.values()].sort(compareDeliveries(orderBy)) : [...fresh.values()];
      this.totalCount = deliveries.totalCount;
      this.totalIsEstimate = deliveries.totalCountIsEstimate;
      this.pageInfo = deliveries.pageInfo;
      this.#liveAdded = extra.length;
      if (newView || !quiet) this.#unseenIds.clear();
      else for (const id of fresh.keys()) this.#unseenIds.delete(id);
      this.unseen = this.#unseenIds.size;
      this.loading = false;
      if (since?.size) this.#apply([...since.values()].filter((u) => !fresh.has(u.id) || isNotOlder(u, fresh.get(u.id)!)));
    } catch (error) {
      if (sequence === this.#sequence) this.error = (error as Error).message;
    } finally {
      if (sequence === this.#sequence) {
        this.loading = false;
        this.#sinceLoad = null;
      }
    }
  }

  reload(): Promise<void> {
    return this.#query ? this.load(this.#query) : Promise.resolve();
  }

  /** Starts live updates; returns the function that stops them. */
  watch(): () => void {
    this.#unsubscribe?.();
    this.#unsubscribe = this.api.subscribe(DeliveryUpdatedDocument, {}, {
      onData: (delivery) => {
        this.#sinceLoad?.set(delivery.id, delivery);
        this.#batcher.push(delivery);
      },
      onResync: () => this.#refetchSoon(),
    });
    return () => {
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      this.#batcher.dispose();
      if (this.#refetchTimer) clearTimeout(this.#refetchTimer);
      if (this.#recountTimer) clearTimeout(this.#recountTimer);
      if (this.#confirmTimer) clearTimeout(this.#confirmTimer);
      this.#refetchTimer = this.#recountTimer = this.#confirmTimer = null;
    };
  }

  #refetchSoon(): void {
    if (this.#refetchTimer) return;
    this.#refetchTimer = setTimeout(() => {
      this.#refetchTimer = null;
      // Pending batched updates first, so they are not applied over the fresh page afterwards.
      this.#batcher.flush();
      if (this.#query) void this.load(this.#query, { quiet: true });
    }, REFETCH_DELAY_MS);
  }

  get #position() {
    const query = this.#query;
    const info = this.pageInfo;
    return {
      first: Boolean(query && !query.after && !(query.before && info?.hasPreviousPage)),
      last: Boolean(query && !query.before && info && !info.hasNextPage),
      room: Math.max(0, LIVE_ROOM - this.#liveAdded),
    };
  }

  #apply(updates: DeliveryRowFragment[]): void {
    if (!this.#query) return;
    // During a fetch the page is about to be replaced: its answer takes these updates on top.
    if (this.loading && this.#sinceLoad) return;
    const result = placeDeliveryUpdates(this.rows, updates, this.#query.filter, this.#query.orderBy, this.#position);
    this.rows = result.rows;
    this.#liveAdded += result.added;
    for (const id of result.missed) this.#unseenIds.add(id);
    for (const row of result.rows) this.#unseenIds.delete(row.id);
    this.unseen = this.#unseenIds.size;
    this.#recountSoon();
  }

  /** The total is the server's: counted again after changes, at most every RECOUNT_MS. */
  #recountSoon(): void {
    if (this.#confirmTimer) clearTimeout(this.#confirmTimer);
    this.#confirmTimer = setTimeout(() => {
      this.#confirmTimer = null;
      this.#recount();
    }, CONFIRM_MS);
    if (this.#recountTimer) return;
    const wait = Math.max(0, this.#lastRecount + RECOUNT_MS - Date.now());
    this.#recountTimer = setTimeout(() => {
      this.#recountTimer = null;
      this.#recount();
    }, wait);
  }

  #recount(): void {
    {
      this.#lastRecount = Date.now();
      const query = this.#query;
      if (!query) return;
      const sequence = this.#sequence;
      const recount = ++this.#recountSequence;
      this.api.query(DeliveryCountDocument, { filter: query.filter }).then(
        ({ deliveries }) => {
          // A page fetched meanwhile brought its own total.
          if (sequence === this.#sequence && recount === this.#recountSequence && query === this.#query) {
            this.totalCount = deliveries.totalCount;
            this.totalIsEstimate = deliveries.totalCountIsEstimate;
          }
        },
        () => undefined,
      );
    }
  }

  // ---- selection -----------------------------------------------------------------

  get allSelected(): boolean {
    return this.rows.length > 0 && this.rows.every((row) => this.selected.has(row.id));
  }

  toggleAll(): void {
    const select = !this.allSelected;
    for (const row of this.rows) {
      if (select) this.selected.add(row.id);
      else this.selected.delete(row.id);
    }
  }

  toggle(id: string): void {
    if (this.selected.has(id)) this.selected.delete(id);
    else this.selected.add(id);
  }
}
