import type { ApiKeyRole } from '../../schema/entities/ApiKey.ts';

/** Who is calling: resolved from the bearer token before any resolver or export runs. */
export interface Viewer {
  tenantId: string;
  role: ApiKeyRole;
  apiKeyId: string;
}
