import type { Api } from '../graphql/api.ts';
import {
  CreateIntegratorDocument,
  DeleteIntegratorDocument,
  IntegratorsDocument,
  UpdateIntegratorDocument,
  type IntegratorFieldsFragment,
} from '../graphql/generated.ts';
import { mutationError, type MutationError } from '../forms/mutation-result.ts';

export interface IntegratorDraft {
  name: string;
  description: string;
  contactEmail: string;
}

/** Integrators: searched on the server, 100 a page with "load more". */
export class IntegratorList {
  integrators = $state.raw<IntegratorFieldsFragment[]>([]);
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
      const { integrators } = await this.#api.query(IntegratorsDocument, { search: search || null, first: 100, after: more ? this.#cursor : null });
      if (sequence !== this.#sequence) return;
      const nodes = integrators.edges.map((e) => e.node);
      this.integrators = more ? [...this.integrators, ...nodes] : nodes;
      this.totalCount = integrators.totalCount;
      this.hasMore = integrators.pageInfo.hasNextPage;
      this.#cursor = integrators.pageInfo.endCursor;
    } catch (error) {
      if (sequence === this.#sequence) this.error = (error as Error).message;
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }

  loadMore(): Promise<void> {
    return this.load(this.#search, true);
  }

  /** Creates or updates; returns the typed error for the form, or null. */
  async save(id: string | null, draft: IntegratorDraft): Promise<MutationError | null> {
    const fields = { name: draft.name.trim(), description: draft.description.trim(), contactEmail: draft.contactEmail.trim() };
    const result = id
      ? (await this.#api.mutate(UpdateIntegratorDocument, { input: { id, ...fields } })).updateIntegrator
      : (await this.#api.mutate(CreateIntegratorDocument, { input: { ...fields, contactEmail: fields.contactEmail || null } })).createIntegrator;
    const error = mutationError(result);
    if (error) return error;
    if (result.__typename === 'IntegratorPayload') this.#put(result.integrator);
    return null;
  }

  async remove(id: string): Promise<string | null> {
    const { deleteIntegrator } = await this.#api.mutate(DeleteIntegratorDocument, { input: { id } });
    const error = mutationError(deleteIntegrator);
    if (error) return error.message;
    this.integrators = this.integrators.filter((i) => i.id !== id);
    this.totalCount -= 1;
    return null;
  }

  #put(integrator: IntegratorFieldsFragment): void {
    const at = this.integrators.findIndex((i) => i.id === integrator.id);
    if (at === -1) {
      this.integrators = [integrator, ...this.integrators];
      this.totalCount += 1;
    } else this.integrators = this.integrators.with(at, integrator);
  }
}
