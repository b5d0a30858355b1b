// HOOKYARD_ADMIN_TOKEN: the admin key scripts and CI set in advance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config.ts';
import { gqlClient, mutate } from '../support/graphql.ts';
import { sharedDatabase } from '../support/instances.ts';

describe('HOOKYARD_ADMIN_TOKEN', () => {
  it.each([
    ['shorter than 16 characters', 'hy_short'],
    ['longer than 200 characters', `hy_${'a'.repeat(200)}`],
    ['with a space', 'hy_has a space_0123456789'],
    ['with a non-ASCII character', 'hy_tökén_0123456789abcdef'],
  ])('is refused at start when %s, naming the variable without echoing the value', (_what, token) => {
    let error: unknown;
    try {
      loadConfig({ HOOKYARD_ADMIN_TOKEN: token });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('HOOKYARD_ADMIN_TOKEN');
    expect((error as Error).message).not.toContain(token);
  });

  describe('on a database', () => {
    let db: Awaited<ReturnType<typeof sharedDatabase>>;
    const token = 'hy_fixed_admin_token_0123456789abcdef';
    beforeAll(async () => {
      db = await sharedDatabase();
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('becomes the first admin key, listed by a prefix that gives little of it away', async () => {
      const running = await db.start({ HOOKYARD_ADMIN_TOKEN: token });
      expect(running.generatedToken).toBeNull();
      const admin = gqlClient(running.baseUrl!, token);
      const keys = await admin('{ viewer { role } apiKeys { edges { node { prefix } } } }');
      expect(keys.data.viewer.role).toBe('ADMIN');
      expect(keys.data.apiKeys.edges).toEqual([{ node: { prefix: token.slice(0, 9) } }]);
    });

    it('is refused at the next start once its key was revoked, instead of starting with no admin', async () => {
      const admin = gqlClient(db.running[0].baseUrl!, token);
      const other = await mutate(admin, 'mutation { createApiKey(input: { name: "second admin", role: ADMIN }) { ... on CreateApiKeyPayload { token } } }');
      const me = await admin('{ viewer { apiKeyId } }');
      const revoked = await mutate(gqlClient(db.running[0].baseUrl!, other.token), 'mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }', { id: me.data.viewer.apiKeyId });
      expect(revoked.__typename).toBe('RevokeApiKeyPayload');
      await db.stopAll();
      await expect(db.start({ HOOKYARD_ADMIN_TOKEN: token })).rejects.toThrow(/HOOKYARD_ADMIN_TOKEN: .*revoked/);
      // A new token gets a new admin key.
      const fresh = 'hy_the_next_admin_token_0123456789';
      const running = await db.start({ HOOKYARD_ADMIN_TOKEN: fresh });
      expect((await gqlClient(running.baseUrl!, fresh)('{ viewer { role } }')).data.viewer.role).toBe('ADMIN');
    }, 60_000);

    it('is refused at start when it is a VIEWER key', async () => {
      const running = db.running[0];
      const viewer = await mutate(gqlClient(running.baseUrl!, 'hy_the_next_admin_token_0123456789'), 'mutation { createApiKey(input: { name: "reader", role: VIEWER }) { ... on CreateApiKeyPayload { token } } }');
      await db.stopAll();
      await expect(db.start({ HOOKYARD_ADMIN_TOKEN: viewer.token })).rejects.toThrow(/HOOKYARD_ADMIN_TOKEN: .*VIEWER/);
    }, 60_000);
  });
});
