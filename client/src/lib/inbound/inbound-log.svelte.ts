import type { Api } from '../graphql/api.ts';
import {
  ClearInboundQueueDocument,
  DeleteInboundRequestsDocument,
  InboundRequestDetailDocument,
  InboundRequestReceivedDocument,
  InboundRequestsDocument,
  type InboundRequestDetailResult,
  type InboundRequestFieldsFragment,
  type InboundRequestStatus,
} from '../graphql/generated.ts';
import { mutationError } from '../forms/mutation-result.ts';
import { Batcher } from '../live/batcher.ts';
import { inView, type InboundView } from './inbound-view.ts';

export type { InboundView };

export type InboundRequestDetail = Extract<NonNullable<InboundRequestDetailResult['node']>, { __typename: 'InboundRequest' }>;

const PAGE = 50;

/**
 * One hook's queue or log, newest first, live: subscribed before loading, updates held
 * during the load and merged by id after it, in batches.
 */
export class InboundLog {
  rows = $state.raw<InboundRequestFieldsFragment[]>([]);
  totalCount = $state(0);
  hasMore = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);
  selected = $state.raw<ReadonlySet<string>>(new Set());
  view = $state<InboundView>('log');
  statuses = $state.raw<InboundRequestStatus[]>([]);

  readonly #api: Api;
  #hookId: string | null = null;
  #cursor: string | null = null;
  #sequence = 0;
  #held: InboundRequestFieldsFragment[] | null = null;

  constructor(api: Api) {
    this.#api = api;
  }

  #filter() {
    return { hookId: this.#hookId, ...(this.view === 'queue' ? { state: ['QUEUED' as const] } : this.statuses.length ? { status: this.statuses } : {}) };
  }

  async load(hookId: string, view: InboundView, statuses: InboundRequestStatus[], more = false): Promise<void> {
    const sequence = ++this.#sequence;
    this.#hookId = hookId;
    this.view = view;
    this.statuses = statuses;
    this.loading = true;
    this.error = null;
    if (!more) this.#held = [];
    try {
      const { inboundRequests } = await this.#api.query(InboundRequestsDocument, { filter: this.#filter(), first: PAGE, after: more ? this.#cursor : null });
      if (sequence !== this.#sequence) return;
      const nodes = inboundRequests.edges.map((e) => e.node);
      this.rows = more ? [...this.rows, ...nodes] : nodes;
      this.totalCount = inboundRequests.totalCount;
      this.hasMore = inboundRequests.pageInfo.hasNextPage;
      this.#cursor = inboundRequests.pageInfo.endCursor;
      if (!more) this.selected = new Set();
      const held = this.#held ?? [];
      this.#held = null;
      if (held.length) this.#merge(held);
    } catch (error) {
      if (sequence === this.#sequence) this.error = (error as Error).message;
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }

  #merge(updates: InboundRequestFieldsFragment[]): void {
    let rows = this.rows;
    for (const row of updates) {
      if (row.hook.id !== this.#hookId) continue;
      const at = rows.findIndex((r) => r.id === row.id);
      const belongs = inView(row, this.view, this.statuses);
      if (at === -1 && belongs) {
        rows = [row, ...rows];
        this.totalCount += 1;
      } else if (at !== -1 && belongs) rows = rows.with(at, row);
      else if (at !== -1) {
        rows = rows.filter((r) => r.id !== row.id);
        this.totalCount -= 1;
      }
    }
    this.rows = rows;
  }

  /** Subscribes to the hook's requests; returns the function that ends it (an $effect's cleanup). */
  watch(hookId: string): () => void {
    const batcher = new Batcher<InboundRequestFieldsFragment>((rows) => (this.#held ? this.#held.push(...rows) : this.#merge(rows)), { keyOf: (r) => r.id });
    const stop = this.#api.subscribe(InboundRequestReceivedDocument, { hookId }, {
      onData: (row) => batcher.push(row),
      // Updates were missed (or the link came back): read the list again.
      onResync: () => void this.load(hookId, this.view, this.statuses),
    });
    return () => {
      stop();
      batcher.dispose();
    };
  }

  toggle(id: string): void {
    const next = new Set(this.selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.selected = next;
  }

  async deleteSelected(): Promise<string | null> {
    const ids = [...this.selected];
    if (!ids.length) return null;
    const { deleteInboundRequests } = await this.#api.mutate(DeleteInboundRequestsDocument, { input: { ids } });
    const error = mutationError(deleteInboundRequests);
    if (error) return error.message;
    this.rows = this.rows.filter((r) => !this.selected.has(r.id));
    this.totalCount -= deleteInboundRequests.__typename === 'InboundRequestsDeleted' ? deleteInboundRequests.deletedCount : 0;
    this.selected = new Set();
    return null;
  }

  async clearQueue(): Promise<string | null> {
    if (!this.#hookId) return null;
    const { clearInboundQueue } = await this.#api.mutate(ClearInboundQueueDocument, { input: { hookId: this.#hookId } });
    const error = mutationError(clearInboundQueue);
    if (error) return error.message;
    this.rows = this.rows.filter((r) => r.state !== 'QUEUED');
    if (this.view === 'queue') this.totalCount = 0;
    this.selected = new Set();
    return null;
  }

  async detail(id: string): Promise<InboundRequestDetail | null> {
    const { node } = await this.#api.query(InboundRequestDetailDocument, { id });
    return node?.__typename === 'InboundRequest' ? (node as InboundRequestDetail) : null;
  }
}
