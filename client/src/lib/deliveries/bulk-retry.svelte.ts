import type { Api } from '../graphql/api.ts';
import { RetryDeliveriesDocument, type DeliveryFilter } from '../graphql/generated.ts';
import { mutationError } from '../forms/mutation-result.ts';

/**
 * Sending the selected deliveries, or every delivery a filter matches, again (trigger
 * MANUAL): counted first with a dry run, so the confirmation says how many, then sent.
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
  #filter: DeliveryFilter = {};

  async ask(api: Api, filter: DeliveryFilter): Promise<void> {
    this.#filter = filter;
    this.count = null;
    this.error = null;
    this.done = null;
    this.open = true;
    await this.#run(api, true, (count) => (this.count = count));
  }

  async confirm(api: Api): Promise<void> {
    await this.#run(api, false, (count) => {
      this.open = false;
      this.done = `${count} ${count === 1 ? 'delivery' : 'deliveries'} queued for a new attempt.`;
    });
  }

  async #run(api: Api, dryRun: boolean, then: (count: number) => void): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      const { retryDeliveries } = await api.mutate(RetryDeliveriesDocument, { input: { filter: this.#filter, dryRun } });
      const error = mutationError(retryDeliveries);
      if (error) this.error = error.message;
      else if (retryDeliveries.__typename === 'RetryDeliveriesPayload') then(retryDeliveries.count);
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.busy = false;
    }
  }
}
