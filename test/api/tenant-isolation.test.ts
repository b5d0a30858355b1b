// Tenant B sees and changes none of tenant A's rows, through any query or mutation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import type { GqlClient } from '../support/graphql.ts';
import { createIntegrator, createTenant, createWebhook, everything, ok, registerEventType, run } from '../support/fixtures.ts';
import { openSocket } from '../support/ws.ts';

describe('two tenants', () => {
  let hy: TestHookyard;
  let tenantB: GqlClient;
  let tenantBId: string;
  let a: { integratorId: string; eventTypeId: string; webhookId: string; apiKeyId: string };
  let snapshotOfA: unknown;

  beforeAll(async () => {
    hy = await startTestHookyard();
    const integrator = await createIntegrator(hy.admin, { name: 'Tenant A integrator', contactEmail: 'ops@a.example' });
    const eventType = await registerEventType(hy.admin, 'invoice.created', { schema: { type: 'object' } });
    const { webhook } = await createWebhook(hy.admin, { integratorId: integrator.id, eventTypes: ['invoice.created'] });
    await ok(hy.admin, 'pauseWebhook', { id: webhook.id, reason: 'A paused it' });
    const key = await ok(hy.admin, 'createApiKey', { name: 'A viewer', role: 'VIEWER' });
    a = { integratorId: integrator.id, eventTypeId: eventType.id, webhookId: webhook.id, apiKeyId: key.apiKey.id };
    const b = await createTenant(hy.databaseUrl, 'tenant B');
    tenantB = hy.client(b.token);
    tenantBId = b.tenantId;
    snapshotOfA = await everything(hy.admin);
  });

  afterAll(async () => {
    await hy?.stop();
  });

  it('gives tenant B empty lists, whatever A has', async () => {
    const data = await everything(tenantB);
    expect(data.viewer.tenant).toMatchObject({ id: tenantBId, name: 'tenant B' });
    expect(data.integrators).toEqual({ totalCount: 0, edges: [] });
    expect(data.eventTypes).toEqual({ totalCount: 0, edges: [] });
    expect(data.webhooks).toEqual({ totalCount: 0, edges: [] });
    // B's own key only.
    expect(data.apiKeys.totalCount).toBe(1);
    expect(data.apiKeys.edges[0].node.id).not.toBe(a.apiKeyId);
  });

  it('answers null to node(id:) for every one of A ids', async () => {
    for (const id of Object.values(a)) {
      const response = await tenantB('query ($id: ID!) { node(id: $id) { id __typename } }', { id });
      expect(response.errors, id).toBeUndefined();
      expect(response.data.node, id).toBeNull();
    }
    // The same ids do resolve for A, so the nulls above are isolation, not bad ids.
    for (const id of Object.values(a)) {
      expect((await hy.admin('query ($id: ID!) { node(id: $id) { id } }', { id })).data.node).toEqual({ id });
    }
  });

  it('answers null to node(id:) over graphql-ws too', async () => {
    const socket = await openSocket(hy.baseUrl);
    const b = await createTenant(hy.databaseUrl, 'tenant B socket');
    expect(await socket.init({ authorization: `Bearer ${b.token}` })).toBe('ack');
    const result = await socket.operation('query ($id: ID!) { node(id: $id) { id } }', { id: a.webhookId });
    expect(result.next).toEqual([{ data: { node: null } }]);
    socket.close();
  });

  it('finds nothing when B filters webhooks by A integrator', async () => {
    const { data } = await tenantB('query ($id: ID!) { webhooks(filter: { integratorId: $id }) { totalCount } }', { id: a.integratorId });
    expect(data.webhooks.totalCount).toBe(0);
  });

  it.each([
    ['updateIntegrator', () => ({ id: a.integratorId, name: 'taken over' })],
    ['deleteIntegrator', () => ({ id: a.integratorId })],
    ['updateEventType', () => ({ id: a.eventTypeId, description: 'taken over' })],
    ['createWebhook', () => ({ integratorId: a.integratorId, name: 'spy', url: 'https://spy.example.com/', eventTypes: ['*'] })],
    ['updateWebhook', () => ({ id: a.webhookId, url: 'https://spy.example.com/' })],
    ['pauseWebhook', () => ({ id: a.webhookId })],
    ['resumeWebhook', () => ({ id: a.webhookId })],
    ['deleteWebhook', () => ({ id: a.webhookId })],
    ['rotateWebhookSecret', () => ({ id: a.webhookId })],
    ['revokeApiKey', () => ({ id: a.apiKeyId })],
  ] as const)('answers NotFoundError when B calls %s on A row', async (mutation, input) => {
    const result = await run(tenantB, mutation, input());
    expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  it('does not let B subscribe to an event type only A registered, but lets B register the same name', async () => {
    const integrator = await createIntegrator(tenantB, { name: 'B integrator' });
    const refused = await run(tenantB, 'createWebhook', { integratorId: integrator.id, name: 'b', url: 'https://b.example.com/', eventTypes: ['invoice.created'] });
    expect(refused).toMatchObject({ __typename: 'ValidationError', field: 'input.eventTypes' });
    await registerEventType(tenantB, 'invoice.created');
    const created = await run(tenantB, 'createWebhook', { integratorId: integrator.id, name: 'b', url: 'https://b.example.com/', eventTypes: ['invoice.created'] });
    expect(created.__typename).toBe('WebhookWithSecretPayload');
  });

  it('leaves every row of A as it was, and A sees none of B rows', async () => {
    expect(await everything(hy.admin)).toEqual(snapshotOfA);
  });
});
