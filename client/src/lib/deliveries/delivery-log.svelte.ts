import { SvelteSet } from 'svelte/reactivity';
import type { Api } from '../graphql/api.ts';
import { DeliveriesDocument, DeliveryUpdatedDocument, type DeliveriesResult, type DeliveryRowFragment } from '../graphql/generated.ts';
import { Batcher } from '../live/batcher.ts';
import { isDefaultOrder, mergeDeliveryUpdates, type DeliveryQuery } from './delivery-query.ts';

/** At most this many live deliveries are put on top of a page before the log only counts them. */
const LIVE_ROOM = 500;

type PageInfo = DeliveriesResult['deliveries']['pageInfo'];

/**
 * The delivery log: one page of deliveries for a query, kept current by the
 * deliveryUpdated subscription. Subscription events are batched (one apply per 250 ms),
 * so a burst of a thousand updates a second costs four table updates.
 */
export class DeliveryLog {
  rows = $state.raw<DeliveryRowFragment[]>([]);
  totalCount = $state(0);
  pageInfo = $state.raw<PageInfo | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** New matching deliveries not shown on this page (other page or sort): offer a reload. */
  unseen = $state(0);
  readonly selected = new SvelteSet<string>();

  readonly api: Api;
  #query: DeliveryQuery | null = null;
  #sequence = 0;
  #liveAdded = 0;
  #unseenIds = new Set<string>();
  #unsubscribe: (() => void) | null = null;
  readonly #batcher = new Batcher<DeliveryRowFragment>((updates) => this.#apply(updates), { keyOf: (d) => d.id });

  constructor(api: Api) {
    this.api = api;
  }

  async load(query: DeliveryQuery): Promise<void> {
    this.#query = query;
    const sequence = ++this.#sequence;
    this.loading = true;
    this.error = null;
    const { filter, orderBy, after, before, pageSize } = query;
    try {
      const { deliveries } = await this.api.query(DeliveriesDocument, {
        ...(before ? { last: pageSize, before } : { first: pageSize, after }),
        filter,
        orderBy,
      });
      // A newer load started meanwhile (the user kept typing): its answer wins.
      if (sequence !== this.#sequence) return;
      this.rows = deliveries.edges.map((edge) => edge.node);
      this.totalCount = deliveries.totalCount;
      this.pageInfo = deliveries.pageInfo;
      this.#liveAdded = 0;
      this.#unseenIds.clear();
      this.unseen = 0;
    } catch (error) {
      if (sequence === this.#sequence) this.error = (error as Error).message;
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }

  reload(): Promise<void> {
    return this.#query ? this.load(this.#query) : Promise.resolve();
  }

  /** Starts live updates; returns the function that stops them. */
  watch(): () => void {
    this.#unsubscribe?.();
    this.#unsubscribe = this.api.subscribe(DeliveryUpdatedDocument, {}, ({ deliveryUpdated }) => this.#batcher.push(deliveryUpdated));
    return () => {
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      this.#batcher.dispose();
    };
  }

  /** Only the first page in newest-first order can take new deliveries on top without lying about order. */
  get #acceptsNewRows(): boolean {
    const query = this.#query;
    return Boolean(query && !query.after && !query.before && isDefaultOrder(query.orderBy) && !this.loading);
  }

  #apply(updates: DeliveryRowFragment[]): void {
    if (!this.#query) return;
    const room = this.#acceptsNewRows ? LIVE_ROOM - this.#liveAdded : 0;
    const result = mergeDeliveryUpdates(this.rows, updates, this.#query.filter, room);
    this.rows = result.rows;
    this.#liveAdded += result.added;
    this.totalCount += result.added;
    for (const id of result.missed) this.#unseenIds.add(id);
    this.unseen = this.#unseenIds.size;
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
