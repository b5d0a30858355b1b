import type { Api } from '../graphql/api.ts';
import {
  WebhookUpdatedDocument,
  WebhooksDocument,
  type WebhookFieldsFragment,
  type WebhookStatus,
  type WebhooksResult,
} from '../graphql/generated.ts';

/** A row of the list: the webhook, and its last 24 hours when the list was read (a pushed change keeps them). */
export type WebhookListRow = WebhookFieldsFragment & { recentActivity?: WebhooksResult['webhooks']['edges'][number]['node']['recentActivity'] };
import { Batcher } from '../live/batcher.ts';
import { runWebhookAction, type WebhookAction } from './webhook-actions.ts';

/** A tenant has at most a few hundred webhooks: all pages are read, then sorted in the browser. */
const MAX_PAGES = 10;

/** The webhooks table: searched on the server, kept current by webhookUpdated. */
export class WebhookList {
  webhooks = $state.raw<WebhookListRow[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  /** The last action's failure, shown above the table. */
  actionError = $state<string | null>(null);
  busyId = $state<string | null>(null);

  readonly #api: Api;
  #sequence = 0;
  #status: WebhookStatus[] | null = null;
  #search = '';
  #searchText = '';
  readonly #batcher = new Batcher<WebhookFieldsFragment>((updates) => this.#apply(updates), { keyOf: (w) => w.id });

  constructor(api: Api) {
    this.#api = api;
  }

  async load(search: string, status: WebhookStatus[] | null): Promise<void> {
    const sequence = ++this.#sequence;
    this.#status = status;
    this.#search = search.toLowerCase();
    this.#searchText = search;
    this.loading = true;
    this.error = null;
    try {
      const all: WebhookListRow[] = [];
      let after: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const { webhooks }: { webhooks: { edges: { node: WebhookListRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
          await this.#api.query(WebhooksDocument, { first: 100, after, filter: { search: search || null, status } });
        all.push(...webhooks.edges.map((e) => e.node));
        if (!webhooks.pageInfo.hasNextPage) break;
        after = webhooks.pageInfo.endCursor;
      }
      if (sequence === this.#sequence) this.webhooks = all;
    } catch (error) {
      if (sequence === this.#sequence) this.error = (error as Error).message;
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }

  watch(): () => void {
    const stop = this.#api.subscribe(WebhookUpdatedDocument, {}, {
      onData: (webhook) => this.#batcher.push(webhook),
      // Something may have changed unheard: read the list again, as searched.
      onResync: () => void this.load(this.#searchText, this.#status),
    });
    return () => {
      stop();
      this.#batcher.dispose();
    };
  }

  /** A changed webhook replaces its row; one that left the status filter stays until the next load, so rows do not jump away. */
  #apply(updates: WebhookFieldsFragment[]): void {
    const byId = new Map(updates.map((w) => [w.id, w]));
    const next = this.webhooks.map((w) => (byId.has(w.id) ? { ...w, ...byId.get(w.id)! } : w));
    const known = new Set(next.map((w) => w.id));
    const added = updates.filter((w) => !known.has(w.id) && this.#matches(w));
    this.webhooks = [...added, ...next];
  }

  #matches(w: WebhookFieldsFragment): boolean {
    const text = `${w.name}\n${w.description}\n${w.url}`.toLowerCase();
    return (!this.#status || this.#status.includes(w.status)) && text.includes(this.#search);
  }

  async act(action: WebhookAction, id: string, reason?: string): Promise<boolean> {
    this.busyId = id;
    this.actionError = null;
    const result = await runWebhookAction(this.#api, action, id, reason);
    this.busyId = null;
    if ('error' in result) {
      this.actionError = result.error;
      return false;
    }
    this.#apply([result.webhook]);
    return true;
  }
}
