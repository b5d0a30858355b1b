import type { Api } from '../graphql/api.ts';
import { EventTypesDocument, RegisterEventTypeDocument, UpdateEventTypeDocument, type EventTypeFieldsFragment } from '../graphql/generated.ts';
import { mutationError, type MutationError } from '../forms/mutation-result.ts';
import { SearchedList } from '../lists/searched-list.svelte.ts';
import { parseSchedule } from '../format/time.ts';

export interface EventTypeDraft {
  name: string;
  description: string;
  /** JSON Schema as text; '' means none. */
  schema: string;
  deprecated: boolean;
  /** The default retry schedule as typed (5s, 5m, 2h); '' means none (Hookyard's default). */
  retrySchedule: string;
}

/** The event type catalogue: searched on the server, 100 a page with "load more". */
export class EventTypeList extends SearchedList<EventTypeFieldsFragment> {
  readonly #api: Api;

  constructor(api: Api) {
    super(async (search, after) => {
      const { eventTypes } = await api.query(EventTypesDocument, { search, first: 100, after });
      return { nodes: eventTypes.edges.map((e) => e.node), totalCount: eventTypes.totalCount, ...eventTypes.pageInfo };
    });
    this.#api = api;
  }

  get eventTypes(): EventTypeFieldsFragment[] {
    return this.items;
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
    let retrySchedule: number[] | null = null;
    if (draft.retrySchedule.trim()) {
      try {
        retrySchedule = parseSchedule(draft.retrySchedule);
      } catch (error) {
        return { __typename: 'ValidationError', code: 'VALIDATION', field: 'input.retrySchedule', message: (error as Error).message };
      }
    }
    const result = id
      ? (await this.#api.mutate(UpdateEventTypeDocument, { input: { id, description: draft.description.trim(), schema, deprecated: draft.deprecated, retrySchedule } })).updateEventType
      : (await this.#api.mutate(RegisterEventTypeDocument, { input: { name: draft.name.trim(), description: draft.description.trim(), schema, retrySchedule } })).registerEventType;
    const error = mutationError(result);
    if (error) return error;
    if (result.__typename === 'EventTypePayload') this.put(result.eventType);
    return null;
  }
}
