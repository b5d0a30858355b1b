import type { Api } from '../graphql/api.ts';
import { EventTypesDocument, RegisterEventTypeDocument, UpdateEventTypeDocument, type EventTypeFieldsFragment } from '../graphql/generated.ts';
import { mutationError, type MutationError } from '../forms/mutation-result.ts';

export interface EventTypeDraft {
  name: string;
  description: string;
  /** JSON Schema as text; '' means none. */
  schema: string;
  deprecated: boolean;
}

/** The event type catalogue: searched on the server, 100 a page with "load more". */
export class EventTypeList {
  eventTypes = $state.raw<EventTypeFieldsFragment[]>([]);
  totalCount = $state(0);
  hasMore = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);

  readonly #api: Api;
  #cursor: string | null = null;
  #search = '';
  #sequence = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  async load(search: string, more = false): Promise<void> {
    const sequence = ++this.#sequence;
    this.#search = search;
    this.loading = true;
    this.error = null;
    try {
      const { eventTypes } = await this.#api.query(EventTypesDocument, { search: search || null, first: 100, after: more ? this.#cursor : null });
      if (sequence !== this.#sequence) return;
      const nodes = eventTypes.edges.map((e) => e.node);
      this.eventTypes = more ? [...this.eventTypes, ...nodes] : nodes;
      this.totalCount = eventTypes.totalCount;
      this.hasMore = eventTypes.pageInfo.hasNextPage;
      this.#cursor = eventTypes.pageInfo.endCursor;
    } catch (error) {
      if (sequence === this.#sequence) this.error = (error as Error).message;
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }

  loadMore(): Promise<void> {
    return this.load(this.#search, true);
  }

  /** Registers (no id) or updates; a schema that is not JSON is reported on its field. */
  async save(id: string | null, draft: EventTypeDraft): Promise<MutationError | null> {
    let schema: unknown = null;
    if (draft.schema.trim()) {
      try {
        schema = JSON.parse(draft.schema);
      } catch (error) {
        return { __typename: 'ValidationError', code: 'VALIDATION', field: 'input.schema', message: `not JSON: ${(error as Error).message}` };
      }
    }
    const result = id
      ? (await this.#api.mutate(UpdateEventTypeDocument, { input: { id, description: draft.description.trim(), schema, deprecated: draft.deprecated } })).updateEventType
      : (await this.#api.mutate(RegisterEventTypeDocument, { input: { name: draft.name.trim(), description: draft.description.trim(), schema } })).registerEventType;
    const error = mutationError(result);
    if (error) return error;
    if (result.__typename === 'EventTypePayload') {
      const saved = result.eventType;
      const at = this.eventTypes.findIndex((t) => t.id === saved.id);
      if (at === -1) {
        this.eventTypes = [saved, ...this.eventTypes];
        this.totalCount += 1;
      } else this.eventTypes = this.eventTypes.with(at, saved);
    }
    return null;
  }
}
