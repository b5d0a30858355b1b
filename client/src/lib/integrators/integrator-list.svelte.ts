import type { Api } from '../graphql/api.ts';
import {
  CreateIntegratorDocument,
  DeleteIntegratorDocument,
  IntegratorsDocument,
  UpdateIntegratorDocument,
  type IntegratorFieldsFragment,
} from '../graphql/generated.ts';
import { mutationError, type MutationError } from '../forms/mutation-result.ts';
import { SearchedList } from '../lists/searched-list.svelte.ts';

export interface IntegratorDraft {
  name: string;
  description: string;
  contactEmail: string;
}

/** Integrators: searched on the server, 100 a page with "load more". */
export class IntegratorList extends SearchedList<IntegratorFieldsFragment> {
  readonly #api: Api;

  constructor(api: Api) {
    super(async (search, after) => {
      const { integrators } = await api.query(IntegratorsDocument, { search, first: 100, after });
      return { nodes: integrators.edges.map((e) => e.node), totalCount: integrators.totalCount, ...integrators.pageInfo };
    });
    this.#api = api;
  }

  get integrators(): IntegratorFieldsFragment[] {
    return this.items;
  }

  /** Creates or updates; returns the typed error for the form, or null. */
  async save(id: string | null, draft: IntegratorDraft): Promise<MutationError | null> {
    const fields = { name: draft.name.trim(), description: draft.description.trim(), contactEmail: draft.contactEmail.trim() };
    const result = id
      ? (await this.#api.mutate(UpdateIntegratorDocument, { input: { id, ...fields } })).updateIntegrator
      : (await this.#api.mutate(CreateIntegratorDocument, { input: { ...fields, contactEmail: fields.contactEmail || null } })).createIntegrator;
    const error = mutationError(result);
    if (error) return error;
    if (result.__typename === 'IntegratorPayload') this.put(result.integrator);
    return null;
  }

  async remove(id: string): Promise<string | null> {
    const { deleteIntegrator } = await this.#api.mutate(DeleteIntegratorDocument, { input: { id } });
    const error = mutationError(deleteIntegrator);
    if (error) return error.message;
    this.drop(id);
    return null;
  }
}
