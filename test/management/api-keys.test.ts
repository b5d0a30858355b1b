import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { ok, run } from '../support/fixtures.ts';

describe('API keys', () => {
  const hy = useTestHookyard();

  const keys = async (args = '') => (await hy.admin(`{ apiKeys${args} { totalCount edges { node { id name role prefix revokedAt } } } }`)).data.apiKeys;

  describe('createApiKey', () => {
    it.each(['ADMIN', 'VIEWER'])('creates a %s key whose token works at once and is shown only in the payload', async (role) => {
      const result = await run(hy.admin, 'createApiKey', { name: `  ${role} key  `, role });
      expect(result.__typename).toBe('CreateApiKeyPayload');
      expect(result.token).toMatch(/^hy_[A-Za-z0-9_-]{43}$/);
      expect(result.apiKey).toMatchObject({ name: `${role} key`, role, prefix: result.token.slice(0, 10), revokedAt: null });
      expect(result.apiKey.id).toMatch(/^key_/);
      expect((await hy.client(result.token)('{ viewer { role apiKeyId } }')).data.viewer).toEqual({ role, apiKeyId: result.apiKey.id });
    });

    it('never shows a token again: the ApiKey type has no field that holds it', async () => {
      const { data } = await hy.admin('{ __type(name: "ApiKey") { fields { name } } }');
      expect(data.__type.fields.map((f: { name: string }) => f.name).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role']);
    });

    it('refuses an empty name', async () => {
      expect(await run(hy.admin, 'createApiKey', { name: ' ', role: 'ADMIN' })).toMatchObject({ __typename: 'ValidationError', field: 'input.name' });
    });
  });

  describe('revokeApiKey', () => {
    it('revokes a key: it stops working and leaves the default list', async () => {
      const created = await ok(hy.admin, 'createApiKey', { name: 'to revoke', role: 'VIEWER' });
      const result = await ok(hy.admin, 'revokeApiKey', { id: created.apiKey.id });
      expect(result.apiKey.revokedAt).not.toBeNull();
      expect((await hy.client(created.token)('{ viewer { role } }')).status).toBe(401);
      expect((await keys()).edges.map((e: any) => e.node.id)).not.toContain(created.apiKey.id);
      expect((await keys('(includeRevoked: true)')).edges.map((e: any) => e.node.id)).toContain(created.apiKey.id);
    });

    it('keeps the first revocation time when revoked twice', async () => {
      const created = await ok(hy.admin, 'createApiKey', { name: 'twice', role: 'VIEWER' });
      const first = await ok(hy.admin, 'revokeApiKey', { id: created.apiKey.id });
      const second = await ok(hy.admin, 'revokeApiKey', { id: created.apiKey.id });
      expect(second.apiKey.revokedAt).toBe(first.apiKey.revokedAt);
    });

    it('answers NotFoundError for an unknown key', async () => {
      expect(await run(hy.admin, 'revokeApiKey', { id: 'key_00000000000000000000000000' })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    });
  });

  describe('setDeliveriesEnabled', () => {
    it('switches the tenant deliveries off and on', async () => {
      expect((await ok(hy.admin, 'setDeliveriesEnabled', { enabled: false })).tenant.deliveriesEnabled).toBe(false);
      expect((await hy.admin('{ viewer { tenant { deliveriesEnabled } } }')).data.viewer.tenant.deliveriesEnabled).toBe(false);
      expect((await ok(hy.admin, 'setDeliveriesEnabled', { enabled: true })).tenant.deliveriesEnabled).toBe(true);
    });
  });
});
