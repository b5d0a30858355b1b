import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';

describe('the HTTP transport of /graphql', () => {
  let hy: TestHookyard;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${hy.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hy.adminToken}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    hy = await startTestHookyard();
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('refuses a form-encoded POST, which a browser could send cross-site', async () => {
    const response = await fetch(`${hy.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${hy.adminToken}` },
      body: `query=${encodeURIComponent('mutation { setDeliveriesEnabled(input: { enabled: false }) { __typename } }')}`,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    const check = await post({ query: '{ viewer { tenant { deliveriesEnabled } } }' });
    expect(((await check.json()) as any).data.viewer.tenant.deliveriesEnabled).toBe(true);
  });

  it('refuses a mutation sent as a GET', async () => {
    const url = `${hy.baseUrl}/graphql?query=${encodeURIComponent('mutation { setDeliveriesEnabled(input: { enabled: false }) { __typename } }')}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${hy.adminToken}`, 'x-graphql-yoga-csrf': '1', accept: 'application/json' } });
    expect(response.status).toBe(405);
  });

  it('refuses batched operations', async () => {
    const response = await post([{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }]);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it('refuses a query nested deeper than the depth limit', async () => {
    const ok = (await (await post({ query: '{ webhooks { edges { node { history { id } integrator { id } } } } }' })).json()) as any;
    expect(ok.errors).toBeUndefined();
    const tooDeep = '{ webhooks { edges { node { ' + '... on Node { ... on Webhook { '.repeat(8) + 'id' + ' } }'.repeat(8) + ' } } } }';
    const body = (await (await post({ query: tooDeep })).json()) as any;
    expect(body.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('refuses more aliases than the limit', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: viewer { role }`).join(' ');
    const body = (await (await post({ query: `{ ${aliases} }` })).json()) as any;
    expect(body.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('answers a syntax error with a 400 and a useful message', async () => {
    const response = await post({ query: '{ viewer { role }' }, { accept: 'application/graphql-response+json' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.errors[0].message).toMatch(/Syntax Error/);
  });

  it('answers an unknown field with its name', async () => {
    const body = (await (await post({ query: '{ viewer { nope } }' })).json()) as any;
    expect(body.errors[0].message).toMatch(/nope/);
  });

  it('refuses a page size over 100 and a cursor it did not give out, as typed errors in the response', async () => {
    const big = (await (await post({ query: '{ integrators(first: 101) { totalCount } }' })).json()) as any;
    expect(big.errors[0].message).toMatch(/first must be from 1 to 100/);
    expect(big.errors[0].extensions).toMatchObject({ code: 'VALIDATION', field: 'first' });
    const cursor = (await (await post({ query: '{ integrators(after: "bm90IGEgY3Vyc29y") { totalCount } }' })).json()) as any;
    expect(cursor.errors[0].extensions).toMatchObject({ code: 'VALIDATION', field: 'after' });
  });

  it('answers null for node ids that name no node, instead of an internal error', async () => {
    const body = (await (await post({ query: '{ a: node(id: "x") { id } b: node(id: "zzz_01JD0000000000000000000000") { id } c: node(id: "int_01JD0000000000000000000000") { id } }' })).json()) as any;
    expect(body).toEqual({ data: { a: null, b: null, c: null } });
    const viewer = (await (await post({ query: '{ viewer { tenant { id } } }' })).json()) as any;
    const tenant = (await (await post({ query: 'query ($id: ID!) { node(id: $id) { id } }', variables: { id: viewer.data.viewer.tenant.id } })).json()) as any;
    expect(tenant).toEqual({ data: { node: null } });
  });

  it('refuses variables that are not an object with a 400', async () => {
    const response = await post({ query: '{ viewer { role } }', variables: 'not an object' });
    expect(response.status).toBe(400);
  });

  it('answers a POST to an unknown path with 404 JSON', async () => {
    const response = await fetch(`${hy.baseUrl}/nope`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('reports health with the database and the queue schema', async () => {
    const response = await fetch(`${hy.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok', checks: { database: 'ok', queue: 'ok' } });
  });

  it('serves GraphiQL outside production for a browser', async () => {
    const response = await fetch(`${hy.baseUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/Hookyard GraphQL/);
  });
});

describe('the request size limit of /graphql', () => {
  let hy: TestHookyard;
  beforeAll(async () => {
    // A payload limit of 16 MiB needs more than the 25 MB floor: 2 × 16 MiB + 64 KiB.
    hy = await startTestHookyard({ HOOKYARD_PAYLOAD_LIMIT_BYTES: String(16 * 1024 * 1024) });
  });
  afterAll(async () => {
    await hy?.stop();
  });

  const send = (padBytes: number) =>
    fetch(`${hy.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hy.adminToken}` },
      body: JSON.stringify({ query: '{ viewer { role } }', variables: { pad: 'x'.repeat(padBytes) } }),
    });

  it('serves a request that fits twice the payload limit', async () => {
    expect((await send(30 * 1024 * 1024)).status).toBe(200);
  });

  it('refuses a larger one with 413', async () => {
    const response = await send(34 * 1024 * 1024);
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });
});
