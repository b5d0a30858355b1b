// Every GraphQL request needs an API key, over HTTP and over graphql-ws; keys are
// stored hashed; a browser cannot forge a request cross-site (CSRF prevention).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { ok } from '../support/fixtures.ts';
import { sql } from '../support/sql.ts';
import { openSocket } from '../support/ws.ts';

describe('authentication', () => {
  const hy = useTestHookyard();

  async function post(headers: Record<string, string>, body = JSON.stringify({ query: '{ viewer { role } }' })) {
    const response = await fetch(`${hy.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as any };
  }

  it('answers a request without Authorization with 401 and says which header to send', async () => {
    const response = await post({});
    expect(response.status).toBe(401);
    expect(response.challenge).toBe('Bearer');
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(response.body.errors[0].message).toContain('Authorization: Bearer <api key>');
  });

  it.each([
    ['an unknown key', 'Bearer hy_not_a_key_anyone_was_given'],
    ['another scheme', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
    ['a scheme with no key', 'Bearer'],
    ['a key of 201 characters', `Bearer ${'x'.repeat(201)}`],
  ])('answers %s with 401', async (_what, authorization) => {
    const response = await post({ authorization });
    expect(response.status).toBe(401);
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(response.body.data ?? null).toBeNull();
  });

  it('accepts the bearer scheme in any case', async () => {
    const response = await post({ authorization: `bEaReR ${hy.adminToken}` });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ viewer: { role: 'ADMIN' } });
  });

  it('refuses a revoked key from the next request on', async () => {
    const created = await ok(hy.admin, 'createApiKey', { name: 'short-lived', role: 'ADMIN' });
    expect((await post({ authorization: `Bearer ${created.token}` })).status).toBe(200);
    await ok(hy.admin, 'revokeApiKey', { id: created.apiKey.id });
    const response = await post({ authorization: `Bearer ${created.token}` });
    expect(response.status).toBe(401);
    expect(response.body.errors[0].message).toMatch(/unknown or revoked/);
  });

  it('stores keys as SHA-256 hashes only, so the database holds no usable token', async () => {
    const created = await ok(hy.admin, 'createApiKey', { name: 'hashed', role: 'VIEWER' });
    const rows = await sql(hy.databaseUrl, 'select k::text as row, token_hash from api_key k where id = $1', [created.apiKey.id]);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(rows[0].row).not.toContain(created.token);
    expect(rows[0].row).not.toContain(created.token.slice(10));
    const everyKey = await sql(hy.databaseUrl, 'select k::text as row from api_key k');
    expect(everyKey.some((r) => r.row.includes(hy.adminToken.slice(10)))).toBe(false);
  });

  it('records when a key was last used', async () => {
    const created = await ok(hy.admin, 'createApiKey', { name: 'used', role: 'VIEWER' });
    expect(created.apiKey.lastUsedAt).toBeNull();
    await hy.client(created.token)('{ viewer { role } }');
    await expect.poll(async () => (await sql(hy.databaseUrl, 'select last_used_at from api_key where id = $1', [created.apiKey.id]))[0].last_used_at).not.toBeNull();
  });
});

describe('CSRF prevention', () => {
  const hy = useTestHookyard();

  const query = encodeURIComponent('{ viewer { role } }');

  it('refuses a GET without the x-graphql-yoga-csrf header, even with a valid key', async () => {
    const response = await fetch(`${hy.baseUrl}/graphql?query=${query}`, { headers: { authorization: `Bearer ${hy.adminToken}`, accept: 'application/json' } });
    expect(response.status).toBe(403);
    expect(JSON.stringify(await response.json())).not.toContain('ADMIN');
  });

  it('serves a GET that carries the header', async () => {
    const response = await fetch(`${hy.baseUrl}/graphql?query=${query}`, {
      headers: { authorization: `Bearer ${hy.adminToken}`, accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { viewer: { role: 'ADMIN' } } });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded'])('refuses a %s POST, which a browser sends cross-site without asking', async (contentType) => {
    const before = (await hy.admin('{ integrators { totalCount } }')).data.integrators.totalCount;
    const response = await fetch(`${hy.baseUrl}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hy.adminToken}`, 'content-type': contentType },
      body: JSON.stringify({ query: 'mutation { createIntegrator(input: {name: "forged"}) { __typename } }' }),
    });
    expect(response.status).toBe(403);
    expect((await hy.admin('{ integrators { totalCount } }')).data.integrators.totalCount).toBe(before);
  });
});

describe('graphql-ws authentication', () => {
  const hy = useTestHookyard();

  it('acknowledges connection_init with a key and runs operations as its tenant', async () => {
    const socket = await openSocket(hy.baseUrl);
    expect(await socket.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
    const result = await socket.operation('{ viewer { role tenant { name } } }');
    expect(result).toEqual({ next: [{ data: { viewer: { role: 'ADMIN', tenant: { name: 'default' } } } }] });
    socket.close();
  });

  it('accepts the key without the Bearer prefix', async () => {
    const socket = await openSocket(hy.baseUrl);
    expect(await socket.init({ authorization: hy.adminToken })).toBe('ack');
    socket.close();
  });

  it.each([
    ['a bad key', { authorization: 'Bearer hy_wrong' }],
    ['no key', {}],
    ['no payload at all', undefined],
  ])('closes with 4403 on connection_init with %s', async (_what, payload) => {
    const socket = await openSocket(hy.baseUrl);
    expect(await socket.init(payload)).toEqual({ closed: 4403, reason: 'Forbidden' });
  });

  it('refuses a VIEWER mutation over the socket too', async () => {
    const viewer = await ok(hy.admin, 'createApiKey', { name: 'ws viewer', role: 'VIEWER' });
    const socket = await openSocket(hy.baseUrl);
    expect(await socket.init({ authorization: `Bearer ${viewer.token}` })).toBe('ack');
    const result = await socket.operation('mutation { createIntegrator(input: {name: "x"}) { __typename ... on Error { code } } }');
    expect(result.next).toEqual([{ data: { createIntegrator: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } } }]);
    socket.close();
    expect((await hy.admin('{ integrators { totalCount } }')).data.integrators.totalCount).toBe(0);
  });
});
