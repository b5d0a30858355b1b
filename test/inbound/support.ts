// Inbound test helpers: create hooks through the public API, call their URLs as a sender would.
import { mutate, type GqlClient } from '../support/graphql.ts';
import { ERROR } from '../support/fixtures.ts';

export const INBOUND_HOOK = `id kind name url address includeAttachmentContents eventType processingMode scheduleIntervalSeconds scheduleBatchSize queueLimit dataStructure dataStructureSource
  validateDataStructure redeterminePending ipAllowlist rateLimitPerSecond includeHeaders includeMethod jsonPassthrough responseStatus responseBody
  responseHeaders answerMode failureResponseBody confidential status statusReason failedRuns lastRequestAt queuedCount createdAt updatedAt expiredAt deletedAt`;

export const INBOUND_REQUEST = `id kind receivedAt method url remoteAddress headers query body bodyEncoding size confidential parsed state status message
  response { status headers body } event { id type payload source } processedAt hook { id }`;

export const INBOUND_MUTATIONS = {
  createInboundHook: `mutation ($input: CreateInboundHookInput!) { createInboundHook(input: $input) { __typename ... on InboundHookPayload { inboundHook { ${INBOUND_HOOK} } } ${ERROR} } }`,
  updateInboundHook: `mutation ($input: UpdateInboundHookInput!) { updateInboundHook(input: $input) { __typename ... on InboundHookPayload { inboundHook { ${INBOUND_HOOK} } } ${ERROR} } }`,
  deleteInboundHook: `mutation ($input: InboundHookIdInput!) { deleteInboundHook(input: $input) { __typename ... on InboundHookPayload { inboundHook { ${INBOUND_HOOK} } } ${ERROR} } }`,
  regenerateInboundHookToken: `mutation ($input: InboundHookIdInput!) { regenerateInboundHookToken(input: $input) { __typename ... on InboundHookPayload { inboundHook { ${INBOUND_HOOK} } } ${ERROR} } }`,
  redetermineDataStructure: `mutation ($input: InboundHookIdInput!) { redetermineDataStructure(input: $input) { __typename ... on InboundHookPayload { inboundHook { ${INBOUND_HOOK} } } ${ERROR} } }`,
  deleteInboundRequests: `mutation ($input: DeleteInboundRequestsInput!) { deleteInboundRequests(input: $input) { __typename ... on InboundRequestsDeleted { deletedCount } ${ERROR} } }`,
  clearInboundQueue: `mutation ($input: ClearInboundQueueInput!) { clearInboundQueue(input: $input) { __typename ... on InboundRequestsDeleted { deletedCount } ${ERROR} } }`,
} as const;

export function runInbound(client: GqlClient, name: keyof typeof INBOUND_MUTATIONS, input: Record<string, unknown>): Promise<any> {
  return mutate(client, INBOUND_MUTATIONS[name], { input });
}

/** Registers the event type (if need be) and creates a hook; fails loudly on an error result. */
export async function createInboundHook(client: GqlClient, input: Record<string, unknown> = {}): Promise<any> {
  const eventType = (input.eventType as string) ?? 'order.received';
  await mutate(client, `mutation($n: String!) { registerEventType(input: { name: $n }) { __typename } }`, { n: eventType });
  const result = await runInbound(client, 'createInboundHook', { name: 'Shop orders', eventType, ...input });
  if (result.__typename !== 'InboundHookPayload') throw new Error(`createInboundHook failed: ${JSON.stringify(result)}`);
  return result.inboundHook;
}

export async function inboundRequests(client: GqlClient, filter: Record<string, unknown>, first = 50): Promise<any[]> {
  const response = await client(`query($f: InboundRequestFilter, $n: Int) { inboundRequests(filter: $f, first: $n) { totalCount edges { node { ${INBOUND_REQUEST} } } } }`, { f: filter, n: first });
  if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
  return response.data.inboundRequests.edges.map((e: any) => e.node);
}

/** Calls a URL and returns status, headers and body text. */
export async function call(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A hook whose queue holds what it receives: stopped, it accepts and queues but processes nothing. */
export async function createHeldHook(client: GqlClient, input: Record<string, unknown> = {}): Promise<any> {
  const hook = await createInboundHook(client, { noRateLimit: true, ...input });
  const stopped = await runInbound(client, 'updateInboundHook', { id: hook.id, status: 'STOPPED' });
  if (stopped.__typename !== 'InboundHookPayload') throw new Error(JSON.stringify(stopped));
  return stopped.inboundHook;
}
