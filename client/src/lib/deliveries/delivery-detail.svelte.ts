import type { Api } from '../graphql/api.ts';
import { AttemptRecordedDocument, DeliveryDetailDocument, RetryDeliveryDocument, type DeliveryDetailResult } from '../graphql/generated.ts';
import { Batcher } from '../live/batcher.ts';
import { mutationError } from '../forms/mutation-result.ts';

export type DeliveryDetailData = Extract<NonNullable<DeliveryDetailResult['node']>, { __typename: 'Delivery' }>;
export type AttemptData = DeliveryDetailData['attempts'][number];

/**
 * One delivery in the drawer: the event, every attempt, and resend. Each attempt
 * recorded for it (attemptRecorded) reloads it, so status and timeline move together.
 */
export class DeliveryDetail {
  delivery = $state.raw<DeliveryDetailData | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  resending = $state(false);
  resendMessage = $state<{ ok: boolean; text: string } | null>(null);

  readonly #api: Api;
  readonly #id: string;
  readonly #batcher = new Batcher<string>(() => void this.load(), { intervalMs: 250 });
  #unsubscribe: (() => void) | null = null;

  constructor(api: Api, id: string) {
    this.#api = api;
    this.#id = id;
  }

  async load(): Promise<void> {
    this.loading = this.delivery === null;
    try {
      const { node } = await this.#api.query(DeliveryDetailDocument, { id: this.#id });
      if (node?.__typename !== 'Delivery') throw new Error(`delivery ${this.#id} does not exist`);
      this.delivery = node;
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.loading = false;
    }
  }

  watch(): () => void {
    this.#unsubscribe = this.#api.subscribe(AttemptRecordedDocument, { deliveryId: this.#id }, { onData: (attempt) => this.#batcher.push(attempt.id), onResync: () => this.#batcher.push('resync') });
    return () => {
      this.#unsubscribe?.();
      this.#batcher.dispose();
    };
  }

  /** A new attempt now (trigger MANUAL); earlier attempts are kept. */
  async resend(): Promise<void> {
    this.resending = true;
    this.resendMessage = null;
    try {
      const { retryDelivery } = await this.#api.mutate(RetryDeliveryDocument, { input: { id: this.#id } });
      const error = mutationError(retryDelivery);
      this.resendMessage = error ? { ok: false, text: error.message } : { ok: true, text: 'Resent: a new attempt is on its way.' };
      if (!error) await this.load();
    } catch (error) {
      this.resendMessage = { ok: false, text: (error as Error).message };
    } finally {
      this.resending = false;
    }
  }
}
