import type { GqlClient } from './graphql.ts';
import { mutate } from './graphql.ts';

/** Selection of every error type's fields, for mutation result unions. */
export const ERROR_FIELDS = '... on Error { message code } ... on ValidationError { field } ... on LimitExceededError { limit }';

/** Creates an integrator and returns it (id, name, description, contactEmail, createdAt, deletedAt). */
export async function createIntegrator(client: GqlClient, input: { name: string; description?: string; contactEmail?: string }) {
  const result = await mutate(
    client,
    `mutation ($input: CreateIntegratorInput!) { createIntegrator(input: $input) { __typename ... on IntegratorPayload { integrator { id name description contactEmail createdAt updatedAt deletedAt } } ${ERROR_FIELDS} } }`,
    { input },
  );
  if (result.__typename !== 'IntegratorPayload') throw new Error(`createIntegrator failed: ${result.message}`);
  return result.integrator as { id: string; name: string; description: string; contactEmail: string | null; createdAt: string; deletedAt: string | null };
}

/** Registers an event type and returns it (id, name, description, schema, deprecated). */
export async function registerEventType(client: GqlClient, input: { name: string; description?: string; schema?: unknown }) {
  const result = await mutate(
    client,
    `mutation ($input: RegisterEventTypeInput!) { registerEventType(input: $input) { __typename ... on EventTypePayload { eventType { id name description schema deprecated } } ${ERROR_FIELDS} } }`,
    { input },
  );
  if (result.__typename !== 'EventTypePayload') throw new Error(`registerEventType failed: ${result.message}`);
  return result.eventType as { id: string; name: string; description: string; schema: unknown; deprecated: boolean };
}
