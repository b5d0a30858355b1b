import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { mutate } from '../support/graphql.ts';

/** A graphql-ws client that records how its socket closed. */
function wsClient(hy: TestHookyard, connectionParams: Record<string, unknown> | undefined, lazy = true) {
  const closed: { code?: number; reason?: string } = {};
  const client = createClient({
    url: `${hy.baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy,
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        closed.code = e.code;
        closed.reason = e.reason;
      },
    },
  });
  return { client, closed };
}

function execute(client: Client, query: string, variables?: Record<string, unknown>): Promise<any> {
  return new Promise((resolve, reject) => {
    let result: unknown;
    client.subscribe(
      { query, variables },
      { next: (value) => (result = value), error: reject, complete: () => resolve(result) },
    );
  });
}

// Authentication at connection_init is in test/api/auth.test.ts.
describe('graphql-ws on /graphql', () => {
  let hy: TestHookyard;
  const clients: Client[] = [];
  const open = (params: Record<string, unknown> | undefined, lazy = true) => {
    const c = wsClient(hy, params, lazy);
    clients.push(c.client);
    return c;
  };

  beforeAll(async () => {
    hy = await startTestHookyard();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await hy?.stop();
  });

  it('gives WebSocket operations the same typed errors and roles as HTTP', async () => {
    const created = await mutate(hy.admin, 'mutation { createApiKey(input: { name: "ws viewer", role: VIEWER }) { ... on CreateApiKeyPayload { token } } }');
    const { client } = open({ authorization: `Bearer ${created.token}` });
    const result = await execute(client, 'mutation { createIntegrator(input: { name: "x" }) { __typename ... on Error { code } } }');
    expect(result).toEqual({ data: { createIntegrator: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } } });
    const invalid = await execute(client, '{ integrators(first: 1000) { totalCount } }');
    expect(invalid.errors[0].extensions).toMatchObject({ code: 'VALIDATION', field: 'first' });
  });

  it('answers a bad document with errors and keeps the socket open', async () => {
    const { client, closed } = open({ authorization: hy.adminToken }, false);
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: viewer { role }`).join(' ');
    const tooDeep = '{ webhooks { edges { node { ' + '... on Node { ... on Webhook { '.repeat(8) + 'id' + ' } }'.repeat(8) + ' } } } }';
    for (const [query, message] of [
      [`{ ${aliases} }`, /alias/i],
      [tooDeep, /depth/i],
      ['{ viewer { role }', /Syntax Error/],
      ['{ viewer { nope } }', /nope/],
    ] as const) {
      const errors = await execute(client, query).then(
        () => null,
        (e) => e,
      );
      expect(JSON.stringify(errors), query.slice(0, 40)).toMatch(message);
    }
    expect(closed.code).toBeUndefined();
    expect((await execute(client, '{ viewer { role } }')).data.viewer.role).toBe('ADMIN');
  });

  it('stops serving a key revoked while its socket is open', async () => {
    const created = await mutate(hy.admin, 'mutation { createApiKey(input: { name: "ws short-lived", role: ADMIN }) { ... on CreateApiKeyPayload { token apiKey { id } } } }');
    // Not lazy: the socket stays open between operations, as a dashboard's does.
    const { client, closed } = open({ authorization: created.token }, false);
    expect((await execute(client, '{ viewer { role } }')).data.viewer.role).toBe('ADMIN');
    await mutate(hy.admin, 'mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }', { id: created.apiKey.id });
    await expect(execute(client, '{ viewer { role } }')).rejects.toBeTruthy();
    expect(closed.code).toBe(4403);
  });

  it('closes a socket that never sends connection_init', async () => {
    const socket = new WebSocket(`${hy.baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(4408);
  }, 10_000);
});
