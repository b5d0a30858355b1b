import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { mutate } from '../support/graphql.ts';
import { ERROR, createTenant } from '../support/fixtures.ts';
import { sql } from '../support/sql.ts';

const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename ... on CreateApiKeyPayload { token apiKey { id name role prefix createdAt lastUsedAt revokedAt } } ${ERROR} } }`;
const REVOKE_KEY = `mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { __typename ... on RevokeApiKeyPayload { apiKey { id revokedAt } } ${ERROR} } }`;

// Creating and revoking keys is in test/management/api-keys.test.ts; these are the
// rules that keep a tenant from locking itself out.
describe('API keys', () => {
  const hy = useTestHookyard();

  it("refuses to revoke the tenant's last active ADMIN key", async () => {
    const { token } = await createTenant(hy.databaseUrl, 'lonely');
    const lonely = hy.client(token);
    const me = (await lonely('{ viewer { apiKeyId } }')).data.viewer.apiKeyId;
    expect(await mutate(lonely, REVOKE_KEY, { id: me })).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    const viewerKey = await mutate(lonely, CREATE_KEY, { input: { name: 'reader', role: 'VIEWER' } });
    expect((await mutate(lonely, REVOKE_KEY, { id: me })).__typename).toBe('ConflictError');
    expect((await mutate(lonely, REVOKE_KEY, { id: viewerKey.apiKey.id })).__typename).toBe('RevokeApiKeyPayload');
    const second = await mutate(lonely, CREATE_KEY, { input: { name: 'second admin', role: 'ADMIN' } });
    expect((await mutate(lonely, REVOKE_KEY, { id: me })).__typename).toBe('RevokeApiKeyPayload');
    expect((await hy.client(second.token)('{ viewer { role } }')).data.viewer.role).toBe('ADMIN');
  });

  it('lets only one of two admins revoking each other at once succeed', async () => {
    const { token } = await createTenant(hy.databaseUrl, 'duel');
    const first = hy.client(token);
    const firstId = (await first('{ viewer { apiKeyId } }')).data.viewer.apiKeyId;
    const secondKey = await mutate(first, CREATE_KEY, { input: { name: 'second', role: 'ADMIN' } });
    const second = hy.client(secondKey.token);
    const responses = await Promise.all([first(REVOKE_KEY, { id: secondKey.apiKey.id }), second(REVOKE_KEY, { id: firstId })]);
    // The loser either waited for the lock and found itself the last admin, or arrived
    // after its own key was revoked and was not let in at all.
    const outcomes = responses.map((r) => r.data?.revokeApiKey?.__typename ?? r.errors?.[0]?.extensions?.code).sort();
    expect([
      ['ConflictError', 'RevokeApiKeyPayload'],
      ['RevokeApiKeyPayload', 'UNAUTHENTICATED'],
    ]).toContainEqual(outcomes);
    const active = await sql(hy.databaseUrl, "select count(*)::int as n from api_key where tenant_id = (select tenant_id from api_key where id = $1) and role = 'ADMIN' and revoked_at is null", [firstId]);
    expect(active).toEqual([{ n: 1 }]);
  });
});
