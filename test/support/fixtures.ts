// The one fixtures module: GraphQL documents and builders for the rows tests need. Every
// builder goes through the public API and fails loudly when the result is not the
// payload; only tenants (which the API cannot create) are written straight into the database.
import { newId } from '../../core/ids.ts';
import { newApiKey } from '../../core/auth/api-key-token.ts';
import type { ApiKeyRole } from '../../schema/entities/ApiKey.ts';
import { mutate, type GqlClient } from './graphql.ts';
import { sql } from './sql.ts';

/** Selects any typed error of a result union. */
export const ERROR = '... on Error { __typename message code } ... on ValidationError { field } ... on LimitExceededError { limit }';

export const INTEGRATOR = 'id name description contactEmail createdAt updatedAt deletedAt';
export const EVENT_TYPE = 'id name description schema deprecated retrySchedule createdAt updatedAt';
export const WEBHOOK = `id name description url eventTypes channels headers status statusReason retrySchedule timeoutSeconds
  rateLimitPerSecond filter previousSecretExpiresAt createdAt updatedAt pausedAt disabledAt deletedAt integrator { id name }
  history { fromStatus toStatus reason createdAt }`;

export const MUTATIONS = {
  createIntegrator: `mutation ($input: CreateIntegratorInput!) { createIntegrator(input: $input) { __typename ... on IntegratorPayload { integrator { ${INTEGRATOR} } } ${ERROR} } }`,
  updateIntegrator: `mutation ($input: UpdateIntegratorInput!) { updateIntegrator(input: $input) { __typename ... on IntegratorPayload { integrator { ${INTEGRATOR} } } ${ERROR} } }`,
  deleteIntegrator: `mutation ($input: DeleteIntegratorInput!) { deleteIntegrator(input: $input) { __typename ... on IntegratorPayload { integrator { ${INTEGRATOR} } } ${ERROR} } }`,
  registerEventType: `mutation ($input: RegisterEventTypeInput!) { registerEventType(input: $input) { __typename ... on EventTypePayload { eventType { ${EVENT_TYPE} } } ${ERROR} } }`,
  updateEventType: `mutation ($input: UpdateEventTypeInput!) { updateEventType(input: $input) { __typename ... on EventTypePayload { eventType { ${EVENT_TYPE} } } ${ERROR} } }`,
  createWebhook: `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on WebhookWithSecretPayload { secret webhook { ${WEBHOOK} } } ${ERROR} } }`,
  updateWebhook: `mutation ($input: UpdateWebhookInput!) { updateWebhook(input: $input) { __typename ... on WebhookPayload { webhook { ${WEBHOOK} } } ${ERROR} } }`,
  pauseWebhook: `mutation ($input: WebhookActionInput!) { pauseWebhook(input: $input) { __typename ... on WebhookPayload { webhook { ${WEBHOOK} } } ${ERROR} } }`,
  resumeWebhook: `mutation ($input: WebhookActionInput!) { resumeWebhook(input: $input) { __typename ... on WebhookPayload { webhook { ${WEBHOOK} } } ${ERROR} } }`,
  deleteWebhook: `mutation ($input: WebhookActionInput!) { deleteWebhook(input: $input) { __typename ... on WebhookPayload { webhook { ${WEBHOOK} } } ${ERROR} } }`,
  rotateWebhookSecret: `mutation ($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { __typename ... on WebhookWithSecretPayload { secret webhook { ${WEBHOOK} } } ${ERROR} } }`,
  createApiKey: `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename ... on CreateApiKeyPayload { token apiKey { id name role prefix createdAt lastUsedAt revokedAt } } ${ERROR} } }`,
  revokeApiKey: `mutation ($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename ... on RevokeApiKeyPayload { apiKey { id name role prefix createdAt lastUsedAt revokedAt } } ${ERROR} } }`,
  setDeliveriesEnabled: `mutation ($input: SetDeliveriesEnabledInput!) { setDeliveriesEnabled(input: $input) { __typename ... on SetDeliveriesEnabledPayload { tenant { id deliveriesEnabled } } ${ERROR} } }`,
} as const;

export type MutationName = keyof typeof MUTATIONS;

/** Runs one of MUTATIONS with `input` and returns its result union member as is. */
export function run(client: GqlClient, name: MutationName, input: Record<string, unknown>): Promise<any> {
  return mutate(client, MUTATIONS[name], { input });
}

/** Runs one of MUTATIONS and returns its payload, failing when the result is an error. */
export async function ok(client: GqlClient, name: MutationName, input: Record<string, unknown>): Promise<any> {
  const result = await run(client, name, input);
  if ('code' in result) throw new Error(`${name} failed: ${JSON.stringify(result)}`);
  return result;
}

export async function createIntegrator(client: GqlClient, input: Record<string, unknown> = {}) {
  return (await ok(client, 'createIntegrator', { name: 'Acme Accounting', ...input })).integrator;
}

export async function registerEventType(client: GqlClient, name: string, input: Record<string, unknown> = {}) {
  return (await ok(client, 'registerEventType', { name, ...input })).eventType;
}

/** A webhook on a new integrator (unless one is given), subscribed to `invoice.*`. */
export async function createWebhook(client: GqlClient, input: Record<string, unknown> = {}): Promise<{ webhook: any; secret: string }> {
  const integratorId = input.integratorId ?? (await createIntegrator(client)).id;
  return ok(client, 'createWebhook', { name: 'Ledger sync', url: 'https://hooks.example.com/in', eventTypes: ['invoice.*'], ...input, integratorId });
}

/** Every row a tenant can list, one query per list (one query for all would pass the cost limit). */
export async function everything(client: GqlClient): Promise<Record<string, any>> {
  const queries = [
    '{ viewer { role apiKeyId tenant { id name deliveriesEnabled webhookLimit } } }',
    `{ integrators(first: 100) { totalCount edges { node { ${INTEGRATOR} } } } }`,
    `{ eventTypes(first: 100) { totalCount edges { node { ${EVENT_TYPE} } } } }`,
    `{ webhooks(first: 100) { totalCount edges { node { ${WEBHOOK} } } } }`,
    '{ apiKeys(first: 100, includeRevoked: true) { totalCount edges { node { id name role prefix revokedAt } } } }',
  ];
  const all: Record<string, any> = {};
  for (const query of queries) {
    const response = await client(query);
    if (response.errors?.length) throw new Error(`${query}: ${JSON.stringify(response.errors)}`);
    Object.assign(all, response.data);
  }
  return all;
}

// Delivery set-ups

/** Registers an event type, an integrator and a webhook to `url`; returns their ids and the secret. */
export async function createWebhookSetup(
  client: GqlClient,
  url: string,
  options: { eventType?: string; webhook?: Record<string, unknown> } = {},
): Promise<{ integratorId: string; webhookId: string; secret: string; eventType: string }> {
  const eventType = options.eventType ?? 'invoice.created';
  const registered = await mutate(client, `mutation($n: String!) { registerEventType(input: { name: $n }) { __typename ... on Error { message } } }`, { n: eventType });
  if (registered.__typename !== 'EventTypePayload' && !/already registered/.test(registered.message)) throw new Error(registered.message);
  const integrator = await mutate(client, `mutation { createIntegrator(input: { name: "Acme" }) { ... on IntegratorPayload { integrator { id } } ... on Error { message } } }`);
  const created = await mutate(
    client,
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on WebhookWithSecretPayload { secret webhook { id } } ... on Error { message } } }`,
    { input: { integratorId: integrator.integrator.id, name: 'Billing hook', url, eventTypes: [eventType], ...options.webhook } },
  );
  if (created.__typename !== 'WebhookWithSecretPayload') throw new Error(`createWebhook failed: ${created.message}`);
  return { integratorId: integrator.integrator.id, webhookId: created.webhook.id, secret: created.secret, eventType };
}

export async function publish(client: GqlClient, input: Record<string, unknown>) {
  const result = await mutate(
    client,
    `mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename ... on PublishedEvent { duplicate deliveryCount event { id type } } ... on Error { message code } ... on ValidationError { field } } }`,
    { input },
  );
  return result;
}

// Tenants

/** A tenant and one API key, written straight into the database (the API cannot create tenants). */
export async function createTenant(databaseUrl: string, name: string, role: ApiKeyRole = 'ADMIN'): Promise<{ tenantId: string; token: string }> {
  const tenantId = newId('Tenant');
  const { token, row } = newApiKey(tenantId, `${name} key`, role);
  await sql(databaseUrl, 'insert into tenant (id, name, webhook_limit, deliveries_enabled, created_at) values ($1, $2, 100, true, now())', [tenantId, name]);
  await addApiKey(databaseUrl, tenantId, role, token);
  return { tenantId, token };
}

/** Adds a key with `token` (or a new one) to a tenant; returns the token. */
export async function addApiKey(databaseUrl: string, tenantId: string, role: ApiKeyRole, token?: string): Promise<string> {
  const key = newApiKey(tenantId, `${role.toLowerCase()} key`, role, token);
  const { row } = key;
  await sql(databaseUrl, 'insert into api_key (id, tenant_id, name, role, prefix, token_hash, created_at) values ($1, $2, $3, $4, $5, $6, now())', [
    row.id,
    row.tenantId,
    row.name,
    row.role,
    row.prefix,
    row.tokenHash,
  ]);
  return key.token;
}
