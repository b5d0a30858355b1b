import type { Api } from '../graphql/api.ts';
import {
  CreateInboundHookDocument,
  DeleteInboundHookDocument,
  InboundHookUpdatedDocument,
  InboundHooksDocument,
  RedetermineDataStructureDocument,
  RegenerateInboundHookTokenDocument,
  UpdateInboundHookDocument,
  type InboundHookFieldsFragment,
  type ProcessingMode,
} from '../graphql/generated.ts';
import { mutationError, type MutationError } from '../forms/mutation-result.ts';
import { SearchedList } from '../lists/searched-list.svelte.ts';
import { Batcher } from '../live/batcher.ts';
import { parseInboundDraft, type InboundHookDraft } from './inbound-form.ts';

export type { InboundHookDraft, ProcessingMode };

/** Inbound hooks: searched on the server, 100 a page with "load more", kept current by inboundHookUpdated. */
export class InboundHookList extends SearchedList<InboundHookFieldsFragment> {
  readonly #api: Api;

  constructor(api: Api) {
    super(async (search, after) => {
      const { inboundHooks } = await api.query(InboundHooksDocument, { search, first: 100, after });
      return { nodes: inboundHooks.edges.map((e) => e.node), totalCount: inboundHooks.totalCount, ...inboundHooks.pageInfo };
    });
    this.#api = api;
  }

  get hooks(): InboundHookFieldsFragment[] {
    return this.items;
  }

  /**
   * Applies hooks changed elsewhere (another operator, expiry, failed scheduled runs) as
   * they are pushed; returns the function that ends it (an $effect's cleanup).
   */
  watch(): () => void {
    const batcher = new Batcher<InboundHookFieldsFragment>((hooks) => this.#apply(hooks), { keyOf: (h) => h.id });
    const stop = this.#api.subscribe(InboundHookUpdatedDocument, {}, {
      onData: (hook) => batcher.push(hook),
      // Something may have changed unheard: read the list again, as searched.
      onResync: () => void this.load(this.search),
    });
    return () => {
      stop();
      batcher.dispose();
    };
  }

  /** A changed hook replaces its row; a deleted one leaves; a new one that fits the search joins at the top. */
  #apply(hooks: InboundHookFieldsFragment[]): void {
    const search = this.search.toLowerCase();
    for (const hook of hooks) {
      const shown = this.items.some((h) => h.id === hook.id);
      if (hook.status === 'DELETED') {
        if (shown) this.drop(hook.id);
      } else if (shown || `${hook.name}\n${hook.eventType}`.toLowerCase().includes(search)) this.put(hook);
    }
  }

  /** Creates or updates; returns the typed error for the form (a field the draft could not parse included), or null. */
  async save(id: string | null, draft: InboundHookDraft): Promise<MutationError | null> {
    const parsed = parseInboundDraft(draft);
    if ('error' in parsed) return parsed.error;
    // The kind is chosen once, at creation.
    const { kind: _kind, ...changes } = parsed.input;
    const result = id
      ? (await this.#api.mutate(UpdateInboundHookDocument, { input: { id, ...changes } })).updateInboundHook
      : (await this.#api.mutate(CreateInboundHookDocument, { input: parsed.input })).createInboundHook;
    const error = mutationError(result);
    if (error) return error;
    if (result.__typename === 'InboundHookPayload') this.put(result.inboundHook);
    return null;
  }

  async remove(id: string): Promise<string | null> {
    const { deleteInboundHook } = await this.#api.mutate(DeleteInboundHookDocument, { input: { id } });
    const error = mutationError(deleteInboundHook);
    if (error) return error.message;
    this.drop(id);
    return null;
  }

  async regenerate(id: string): Promise<string | null> {
    const { regenerateInboundHookToken: result } = await this.#api.mutate(RegenerateInboundHookTokenDocument, { input: { id } });
    const error = mutationError(result);
    if (error) return error.message;
    if (result.__typename === 'InboundHookPayload') this.put(result.inboundHook);
    return null;
  }

  async redetermine(id: string): Promise<string | null> {
    const { redetermineDataStructure: result } = await this.#api.mutate(RedetermineDataStructureDocument, { input: { id } });
    const error = mutationError(result);
    if (error) return error.message;
    if (result.__typename === 'InboundHookPayload') this.put(result.inboundHook);
    return null;
  }
}
