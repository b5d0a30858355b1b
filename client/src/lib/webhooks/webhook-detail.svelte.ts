import type { Api } from '../graphql/api.ts';
import { RotateWebhookSecretDocument, SendTestEventDocument, WebhookDetailDocument, WebhookUpdatedDocument, type WebhookDetailResult } from '../graphql/generated.ts';
import { Batcher } from '../live/batcher.ts';
import { mutationError } from '../forms/mutation-result.ts';
import { runWebhookAction, type WebhookAction } from './webhook-actions.ts';

export type WebhookDetailData = Extract<NonNullable<WebhookDetailResult['node']>, { __typename: 'Webhook' }>;

/** One webhook with its history; reloads whenever webhookUpdated says it changed. */
export class WebhookDetail {
  webhook = $state.raw<WebhookDetailData | null>(null);
  loading = $state(true);
  error = $state<string | null>(null);
  busy = $state(false);
  message = $state<{ ok: boolean; text: string } | null>(null);
  /** A rotated secret, shown once. */
  secret = $state<string | null>(null);

  readonly #api: Api;
  readonly #id: string;
  readonly #batcher = new Batcher<string>(() => void this.load());

  constructor(api: Api, id: string) {
    this.#api = api;
    this.#id = id;
  }

  async load(): Promise<void> {
    try {
      const { node } = await this.#api.query(WebhookDetailDocument, { id: this.#id });
      if (node?.__typename !== 'Webhook') throw new Error(`webhook ${this.#id} does not exist`);
      this.webhook = node;
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.loading = false;
    }
  }

  watch(): () => void {
    const stop = this.#api.subscribe(WebhookUpdatedDocument, { webhookId: this.#id }, { onData: (webhook) => this.#batcher.push(webhook.id), onResync: () => this.#batcher.push(this.#id) });
    return () => {
      stop();
      this.#batcher.dispose();
    };
  }

  async #run(work: () => Promise<string | null>, success: string): Promise<boolean> {
    this.busy = true;
    this.message = null;
    try {
      const failure = await work();
      this.message = failure ? { ok: false, text: failure } : { ok: true, text: success };
      if (!failure) await this.load();
      return !failure;
    } catch (error) {
      this.message = { ok: false, text: (error as Error).message };
      return false;
    } finally {
      this.busy = false;
    }
  }

  act(action: WebhookAction, reason: string): Promise<boolean> {
    const done = { pause: 'Paused: deliveries are held until you resume.', resume: 'Resumed: held deliveries go out now.', delete: 'Deleted.' }[action];
    return this.#run(async () => {
      const result = await runWebhookAction(this.#api, action, this.#id, reason);
      return 'error' in result ? result.error : null;
    }, done);
  }

  rotateSecret(secret: string): Promise<boolean> {
    return this.#run(async () => {
      const { rotateWebhookSecret } = await this.#api.mutate(RotateWebhookSecretDocument, { input: { id: this.#id, secret: secret.trim() || null } });
      const error = mutationError(rotateWebhookSecret);
      if (error) return error.message;
      if (rotateWebhookSecret.__typename === 'WebhookWithSecretPayload') this.secret = rotateWebhookSecret.secret;
      return null;
    }, 'Secret rotated: the previous one keeps signing for 24 hours.');
  }

  sendTestEvent(): Promise<boolean> {
    return this.#run(async () => {
      const { sendTestEvent } = await this.#api.mutate(SendTestEventDocument, { input: { webhookId: this.#id } });
      return mutationError(sendTestEvent)?.message ?? null;
    }, 'Test event sent: see it in the delivery log.');
  }
}
