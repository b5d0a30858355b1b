/** One page of a Relay connection, as a searched list needs it. */
export interface ListPage<T> {
  nodes: T[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

export type FetchPage<T> = (search: string | null, after: string | null) => Promise<ListPage<T>>;

/**
 * A list searched on the server, 100 a page with "load more". An answer to an older
 * search that arrives after a newer one is dropped, so typing fast never shows stale rows.
 */
export class SearchedList<T extends { id: string }> {
  items = $state.raw<T[]>([]);
  totalCount = $state(0);
  hasMore = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);

  readonly #fetch: FetchPage<T>;
  #cursor: string | null = null;
  #search = '';
  #sequence = 0;

  constructor(fetch: FetchPage<T>) {
    this.#fetch = fetch;
  }

  async load(search: string, more = false): Promise<void> {
    const sequence = ++this.#sequence;
    this.#search = search;
    this.loading = true;
    this.error = null;
    try {
      const page = await this.#fetch(search || null, more ? this.#cursor : null);
      if (sequence !== this.#sequence) return;
      this.items = more ? [...this.items, ...page.nodes] : page.nodes;
      this.totalCount = page.totalCount;
      this.hasMore = page.hasNextPage;
      this.#cursor = page.endCursor;
    } catch (error) {
      if (sequence === this.#sequence) this.error = (error as Error).message;
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }

  /** The search the list shows (as last loaded). */
  get search(): string {
    return this.#search;
  }

  loadMore(): Promise<void> {
    return this.load(this.#search, true);
  }

  /** Shows a created (at the top) or updated (in place) row. */
  put(item: T): void {
    const at = this.items.findIndex((i) => i.id === item.id);
    if (at === -1) {
      this.items = [item, ...this.items];
      this.totalCount += 1;
    } else this.items = this.items.with(at, item);
  }

  drop(id: string): void {
    this.items = this.items.filter((i) => i.id !== id);
    this.totalCount -= 1;
  }
}
