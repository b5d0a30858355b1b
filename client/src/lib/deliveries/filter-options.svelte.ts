import type { Api } from '../graphql/api.ts';
import { EventTypesDocument, IntegratorsDocument, WebhooksDocument } from '../graphql/generated.ts';

export interface Option {
  value: string;
  label: string;
}

/** The choices of the filter panel's selects: integrators, webhooks (deleted ones too: they have history) and event types. */
export class FilterOptions {
  integrators = $state.raw<Option[]>([]);
  webhooks = $state.raw<Option[]>([]);
  eventTypes = $state.raw<Option[]>([]);
  error = $state<string | null>(null);
  #loaded = false;

  async load(api: Api): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    try {
      const [integrators, webhooks, eventTypes] = await Promise.all([
        api.query(IntegratorsDocument, { first: 100 }),
        api.query(WebhooksDocument, { first: 100 }),
        api.query(EventTypesDocument, { first: 100 }),
      ]);
      const byLabel = (a: Option, b: Option) => a.label.localeCompare(b.label);
      this.integrators = integrators.integrators.edges.map(({ node }) => ({ value: node.id, label: node.name })).sort(byLabel);
      this.webhooks = webhooks.webhooks.edges
        .map(({ node }) => ({ value: node.id, label: `${node.name}${node.status === 'DELETED' ? ' (deleted)' : ''}` }))
        .sort(byLabel);
      this.eventTypes = eventTypes.eventTypes.edges.map(({ node }) => ({ value: node.name, label: node.name })).sort(byLabel);
    } catch (error) {
      this.#loaded = false;
      this.error = (error as Error).message;
    }
  }
}
