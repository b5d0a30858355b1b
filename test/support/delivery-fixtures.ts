import type { GqlClient } from './graphql.ts';
import { mutate } from './graphql.ts';

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

