import type { Api } from '../graphql/api.ts';
import { ApiKeysDocument, CreateApiKeyDocument, RevokeApiKeyDocument, SetDeliveriesEnabledDocument, type ApiKeyFieldsFragment, type ApiKeyRole } from '../graphql/generated.ts';
import { mutationError, type MutationError } from '../forms/mutation-result.ts';
import type { Viewer } from '../session/session.svelte.ts';

/** Settings: the tenant's API keys and its global delivery switch. */
export class TenantSettings {
  keys = $state.raw<ApiKeyFieldsFragment[]>([]);
  loading = $state(true);
  error = $state<string | null>(null);
  /** A new key's token, shown once. */
  createdToken = $state<string | null>(null);
  switching = $state(false);
  switchError = $state<string | null>(null);

  readonly #api: Api;

  constructor(api: Api) {
    this.#api = api;
  }

  async load(): Promise<void> {
    try {
      const all: ApiKeyFieldsFragment[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const { apiKeys }: { apiKeys: { edges: { node: ApiKeyFieldsFragment }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await this.#api.query(ApiKeysDocument, { first: 100, after });
        all.push(...apiKeys.edges.map((e) => e.node));
        if (!apiKeys.pageInfo.hasNextPage) break;
        after = apiKeys.pageInfo.endCursor;
      }
      this.keys = all;
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.loading = false;
    }
  }

  async create(name: string, role: ApiKeyRole): Promise<MutationError | null> {
    const { createApiKey } = await this.#api.mutate(CreateApiKeyDocument, { input: { name: name.trim(), role } });
    const error = mutationError(createApiKey);
    if (error) return error;
    if (createApiKey.__typename === 'CreateApiKeyPayload') {
      this.createdToken = createApiKey.token;
      this.keys = [createApiKey.apiKey, ...this.keys];
    }
    return null;
  }

  async revoke(id: string): Promise<string | null> {
    const { revokeApiKey } = await this.#api.mutate(RevokeApiKeyDocument, { input: { id } });
    const error = mutationError(revokeApiKey);
    if (error) return error.message;
    if (revokeApiKey.__typename === 'RevokeApiKeyPayload') {
      const revoked = revokeApiKey.apiKey;
      this.keys = this.keys.map((k) => (k.id === revoked.id ? revoked : k));
    }
    return null;
  }

  /** Turns all sending on or off; returns the tenant's new state. */
  async setDeliveriesEnabled(enabled: boolean): Promise<Viewer['tenant'] | null> {
    this.switching = true;
    this.switchError = null;
    try {
      const { setDeliveriesEnabled } = await this.#api.mutate(SetDeliveriesEnabledDocument, { input: { enabled } });
      const error = mutationError(setDeliveriesEnabled);
      if (error) {
        this.switchError = error.message;
        return null;
      }
      return setDeliveriesEnabled.__typename === 'SetDeliveriesEnabledPayload' ? setDeliveriesEnabled.tenant : null;
    } catch (error) {
      this.switchError = (error as Error).message;
      return null;
    } finally {
      this.switching = false;
    }
  }
}
