// Builders for the management rows these suites need, through the public API.
import { mutate, type GqlClient } from './graphql.ts';

export const ERROR_FIELDS = '... on Error { __typename message code } ... on ValidationError { field } ... on LimitExceededError { limit }';

export const WEBHOOK_FIELDS = `
  id name description url eventTypes channels headers status statusReason retrySchedule timeoutSeconds
  rateLimitPerSecond previousSecretExpiresAt createdAt updatedAt pausedAt disabledAt deletedAt
  integrator { id name }
  history { fromStatus toStatus reason createdAt }
`;

export async function createIntegrator(client: GqlClient, input: { name: string; description?: string; contactEmail?: string }) {
  const result = await mutate(
    client,
    `mutation ($input: CreateIntegratorInput!) { createIntegrator(input: $input) { __typename ... on IntegratorPayload { integrator { id name } } ${ERROR_FIELDS} } }`,
    { input },
  );
  if (result.__typename !== 'IntegratorPayload') throw new Error(`createIntegrator failed: ${JSON.stringify(result)}`);
  return result.integrator as { id: string; name: string };
}

export async function registerEventType(client: GqlClient, input: { name: string; description?: string; schema?: unknown }) {
  const result = await mutate(
    client,
    `mutation ($input: RegisterEventTypeInput!) { registerEventType(input: $input) { __typename ... on EventTypePayload { eventType { id name description schema deprecated } } ${ERROR_FIELDS} } }`,
    { input },
  );
  if (result.__typename !== 'EventTypePayload') throw new Error(`registerEventType failed: ${JSON.stringify(result)}`);
  return result.eventType as { id: string; name: string; description: string; schema: unknown; deprecated: boolean };
}

/** createWebhook with its result union as it is (payload or typed error). */
export function createWebhookResult(client: GqlClient, input: Record<string, unknown>) {
  return mutate(
    client,
    `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on WebhookWithSecretPayload { secret webhook { ${WEBHOOK_FIELDS} } } ${ERROR_FIELDS} } }`,
    { input },
  );
}

export async function createWebhook(client: GqlClient, input: Record<string, unknown>) {
  const result = await createWebhookResult(client, input);
  if (result.__typename !== 'WebhookWithSecretPayload') throw new Error(`createWebhook failed: ${JSON.stringify(result)}`);
  return result as { secret: string; webhook: any };
}
