import type { Api } from '../graphql/api.ts';
import {
  BulkRetriesDocument,
  BulkRetryUpdatedDocument,
  CancelBulkRetryDocument,
  RetryDeliveriesDocument,
  type BulkRetryFieldsFragment,
  type DeliveryFilter,
} from '../graphql/generated.ts';
import { mutationError } from '../forms/mutation-result.ts';

/** An ended bulk retry stays on the page this long after it ended. */
const SHOW_ENDED_MS = 10 * 60_000;

/**
 * Sending the selected deliveries, or every delivery a filter matches, again (trigger
 * MANUAL): counted first with a dry run, so the confirmation says how many, then handed to
 * a bulk retry job whose progress the page shows live. The progress comes from the server
 * (bulkRetries, bulkRetryUpdated), so it survives a reload.
 */
export class BulkRetry {
  /** The confirmation is showing. */
  open = $state(false);
  busy = $state(false);
  /** How many the confirmation would retry; null while counting. */
  count = $state<number | null>(null);
  error = $state<string | null>(null);
  /** What the last confirmed retry did, for the page. */
  done = $state<string | null>(null);
  /** Bulk retries running, or ended in the last minutes, newest first. */
  jobs = $state<BulkRetryFieldsFragment[]>([]);
  #filter: DeliveryFilter = {};

  async ask(api: Api, filter: DeliveryFilter): Promise<void> {
    this.#filter = filter;
    this.count = null;
    this.error = null;
    this.done = null;
    this.open = true;
    this.busy = true;
    try {
      const { retryDeliveries } = await api.mutate(RetryDeliveriesDocument, { input: { filter: this.#filter, dryRun: true } });
      const error = mutationError(retryDeliveries);
      if (error) this.error = error.message;
      else if (retryDeliveries.__typename === 'RetryDeliveriesPayload') this.count = retryDeliveries.count;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.busy = false;
    }
  }

  async confirm(api: Api): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      const { retryDeliveries } = await api.mutate(RetryDeliveriesDocument, { input: { filter: this.#filter, dryRun: false } });
      const error = mutationError(retryDeliveries);
      if (error) this.error = error.message;
      else if (retryDeliveries.__typename === 'RetryDeliveriesPayload') {
        this.open = false;
        if (retryDeliveries.bulkRetry) this.#upsert(retryDeliveries.bulkRetry);
        else this.done = 'Nothing matches any more: no delivery was queued.';
        if (retryDeliveries.held) this.done = "Deliveries are switched off: the attempts are kept and go out when they are switched on.";
      }
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.busy = false;
    }
  }

  async cancel(api: Api, id: string): Promise<void> {
    try {
      const { cancelBulkRetry } = await api.mutate(CancelBulkRetryDocument, { id });
      const error = mutationError(cancelBulkRetry);
      if (error) this.done = error.message;
      else if (cancelBulkRetry.__typename === 'CancelBulkRetryPayload') this.#upsert(cancelBulkRetry.bulkRetry);
    } catch (error) {
      this.done = (error as Error).message;
    }
  }

  /** Loads the recent bulk retries and follows them live; returns the stop. */
  watch(api: Api): () => void {
    const load = async () => {
      try {
        const { bulkRetries } = await api.query(BulkRetriesDocument, {});
        for (const { node } of bulkRetries.edges) this.#upsert(node);
      } catch {
        // The progress is a side show: the next update or resync fills it in.
      }
    };
    void load();
    return api.subscribe(BulkRetryUpdatedDocument, {}, {
      onData: (item) => {
        if (item.__typename === 'BulkRetry') this.#upsert(item);
      },
      onResync: () => void load(),
    });
  }

  #upsert(job: BulkRetryFieldsFragment): void {
    const now = Date.now();
    const others = this.jobs.filter((j) => j.id !== job.id);
    const all = [job, ...others].filter((j) => !j.finishedAt || now - new Date(j.finishedAt as string).getTime() < SHOW_ENDED_MS);
    this.jobs = all.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt))).slice(0, 5);
  }
}

/** A bulk retry's progress as a sentence. */
export function progressText(job: BulkRetryFieldsFragment): string {
  const handled = job.done + job.failed;
  const of = job.total == null ? '' : ` of ${job.total}`;
  const skipped = job.failed ? ` (${job.failed} could not be sent again)` : '';
  if (job.state === 'QUEUED') return `Waiting for a worker: ${job.total ?? '…'} deliveries to retry`;
  if (job.state === 'RUNNING') return `Queueing retries: ${handled}${of}${skipped}`;
  if (job.state === 'DONE') return `Retry queued for ${job.done}${of} deliveries${skipped}`;
  if (job.state === 'CANCELLED') return `Cancelled after ${handled}${of}`;
  return `Failed after ${handled}${of}: ${job.error ?? 'unknown error'}`;
}
