import type { Api } from '../graphql/api.ts';
import { AttemptRecordedDocument, AttemptsDocument, type AttemptRowFragment, type AttemptsResult } from '../graphql/generated.ts';
import { Batcher } from '../live/batcher.ts';
import { showsNewest, type AttemptQuery } from './attempt-query.ts';

type PageInfo = AttemptsResult['attempts']['pageInfo'];

/**
 * One page of the attempts log for a query, kept current by attemptRecorded. A pushed
 * attempt carries no event type or webhook name to match the filter against, so the
 * page is read again instead (batched: at most twice a second however many arrive) when
 * it is the one new attempts land on; on any other page they are only counted, for
 * the "new attempts" bar.
 */
export class AttemptLog {
  rows = $state.raw<AttemptRowFragment[]>([]);
  totalCount = $state(0);
  pageInfo = $state.raw<PageInfo | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Attempts recorded since this page was read, when they do not land on it. */
  unseen = $state(0);

  readonly #api: Api;
  #query: AttemptQuery | null = null;
  #sequence = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  async load(query: AttemptQuery): Promise<void> {
    this.#query = query;
    const sequence = ++this.#sequence;
    this.loading = true;
    this.error = null;
    const { filter, order, after, before, pageSize } = query;
    try {
      const { attempts } = await this.#api.query(AttemptsDocument, { ...(before ? { last: pageSize, before } : { first: pageSize, after }), filter, order });
      // A newer load started meanwhile: its answer wins.
      if (sequence !== this.#sequence) return;
      this.rows = attempts.edges.map((edge) => edge.node);
      this.totalCount = attempts.totalCount;
      this.pageInfo = attempts.pageInfo;
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

  /** Starts live updates; returns the function that stops them (an $effect's cleanup). */
  watch(): () => void {
    const batcher = new Batcher<{ id: string }>(
      (recorded) => {
        if (!this.#query) return;
        if (showsNewest(this.#query)) void this.reload();
        else this.unseen += recorded.length;
      },
      { intervalMs: 500, keyOf: (a) => a.id },
    );
    const stop = this.#api.subscribe(AttemptRecordedDocument, {}, {
      onData: (attempt) => batcher.push(attempt),
      // Updates were missed (or the link came back): read the page again.
      onResync: () => void this.reload(),
    });
    return () => {
      stop();
      batcher.dispose();
    };
  }
}
