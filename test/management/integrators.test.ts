import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard, useTestHookyard } from '../support/hookyard.ts';
import { INTEGRATOR, createIntegrator, createWebhook, ok, run } from '../support/fixtures.ts';

describe('integrators', () => {
  const hy = useTestHookyard();

  const list = async (args = '') => (await hy.admin(`{ integrators${args} { totalCount edges { cursor node { ${INTEGRATOR} } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`)).data.integrators;

  describe('createIntegrator', () => {
    it('creates one with trimmed fields and an int_ id', async () => {
      const result = await run(hy.admin, 'createIntegrator', { name: '  Acme  ', description: ' Books ', contactEmail: ' ops@acme.example ' });
      expect(result.__typename).toBe('IntegratorPayload');
      expect(result.integrator).toMatchObject({ name: 'Acme', description: 'Books', contactEmail: 'ops@acme.example', deletedAt: null });
      expect(result.integrator.id).toMatch(/^int_[0-9A-HJKMNP-TV-Z]{26}$/);
    });

    it('needs only a name', async () => {
      const result = await run(hy.admin, 'createIntegrator', { name: 'Minimal' });
      expect(result.integrator).toMatchObject({ name: 'Minimal', description: '', contactEmail: null });
    });

    it.each([
      ['an empty name', { name: '   ' }, 'input.name', /must not be empty/],
      ['a name of 201 characters', { name: 'n'.repeat(201) }, 'input.name', /201 characters; the limit is 200/],
      ['a bad e-mail', { name: 'x', contactEmail: 'ops at acme' }, 'input.contactEmail', /not an e-mail address/],
      ['a description over 2000 characters', { name: 'x', description: 'd'.repeat(2001) }, 'input.description', /limit is 2000/],
    ])('refuses %s with a ValidationError naming the field', async (_what, input, field, message) => {
      const result = await run(hy.admin, 'createIntegrator', input);
      expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field, message: expect.stringMatching(message) });
    });

    it('accepts a name of exactly 200 characters', async () => {
      expect((await run(hy.admin, 'createIntegrator', { name: 'n'.repeat(200) })).__typename).toBe('IntegratorPayload');
    });
  });

  describe('updateIntegrator', () => {
    it('changes the given fields and keeps the others', async () => {
      const integrator = await createIntegrator(hy.admin, { name: 'Before', description: 'kept', contactEmail: 'a@b.example' });
      const result = await ok(hy.admin, 'updateIntegrator', { id: integrator.id, name: 'After' });
      expect(result.integrator).toMatchObject({ id: integrator.id, name: 'After', description: 'kept', contactEmail: 'a@b.example' });
      expect(new Date(result.integrator.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(integrator.updatedAt).getTime());
    });

    it('removes the contact e-mail when given an empty string', async () => {
      const integrator = await createIntegrator(hy.admin, { contactEmail: 'a@b.example' });
      expect((await ok(hy.admin, 'updateIntegrator', { id: integrator.id, contactEmail: '' })).integrator.contactEmail).toBeNull();
    });

    it('refuses bad values with a ValidationError and keeps the row', async () => {
      const integrator = await createIntegrator(hy.admin, { name: 'Stays' });
      expect(await run(hy.admin, 'updateIntegrator', { id: integrator.id, name: '' })).toMatchObject({ __typename: 'ValidationError', field: 'input.name' });
      expect(await run(hy.admin, 'updateIntegrator', { id: integrator.id, contactEmail: 'nope' })).toMatchObject({ __typename: 'ValidationError', field: 'input.contactEmail' });
      const { data } = await hy.admin('query ($id: ID!) { node(id: $id) { ... on Integrator { name } } }', { id: integrator.id });
      expect(data.node.name).toBe('Stays');
    });

    it('answers NotFoundError for an unknown or deleted integrator', async () => {
      expect(await run(hy.admin, 'updateIntegrator', { id: 'int_00000000000000000000000000', name: 'x' })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      const integrator = await createIntegrator(hy.admin);
      await ok(hy.admin, 'deleteIntegrator', { id: integrator.id });
      expect(await run(hy.admin, 'updateIntegrator', { id: integrator.id, name: 'x' })).toMatchObject({ __typename: 'NotFoundError' });
    });
  });

  describe('deleteIntegrator', () => {
    it('deletes one without webhooks: gone from the list, kept with deletedAt for history', async () => {
      const integrator = await createIntegrator(hy.admin, { name: 'Leaving' });
      const result = await ok(hy.admin, 'deleteIntegrator', { id: integrator.id });
      expect(result.integrator.deletedAt).not.toBeNull();
      expect((await list('(first: 100)')).edges.map((e: any) => e.node.id)).not.toContain(integrator.id);
      const { data } = await hy.admin('query ($id: ID!) { node(id: $id) { ... on Integrator { deletedAt } } }', { id: integrator.id });
      expect(data.node.deletedAt).toBe(result.integrator.deletedAt);
    });

    it('refuses while a webhook is live, and allows it once the webhook is deleted', async () => {
      const integrator = await createIntegrator(hy.admin);
      const { webhook } = await createWebhook(hy.admin, { integratorId: integrator.id });
      await ok(hy.admin, 'pauseWebhook', { id: webhook.id });
      const refused = await run(hy.admin, 'deleteIntegrator', { id: integrator.id });
      expect(refused).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', message: expect.stringMatching(/1 webhook.*delete them first/) });
      await ok(hy.admin, 'deleteWebhook', { id: webhook.id });
      expect((await run(hy.admin, 'deleteIntegrator', { id: integrator.id })).__typename).toBe('IntegratorPayload');
    });

    it('answers NotFoundError the second time', async () => {
      const integrator = await createIntegrator(hy.admin);
      await ok(hy.admin, 'deleteIntegrator', { id: integrator.id });
      expect(await run(hy.admin, 'deleteIntegrator', { id: integrator.id })).toMatchObject({ __typename: 'NotFoundError' });
    });

    it('refuses a new webhook for a deleted integrator', async () => {
      const integrator = await createIntegrator(hy.admin);
      await ok(hy.admin, 'deleteIntegrator', { id: integrator.id });
      const result = await run(hy.admin, 'createWebhook', { integratorId: integrator.id, name: 'x', url: 'https://x.example.com/', eventTypes: ['*'] });
      expect(result).toMatchObject({ __typename: 'NotFoundError' });
    });
  });

  describe('the integrators list', () => {
    let fresh: TestHookyard;
    beforeAll(async () => {
      fresh = await startTestHookyard();
      for (const [name, contactEmail] of [
        ['Alpha Books', 'ops@alpha.example'],
        ['Beta Shop', 'hooks@BETA.example'],
        ['100% Gamma', null],
        ['Delta_Line', null],
        ['Epsilon', 'team@epsilon.example'],
      ]) {
        await createIntegrator(fresh.admin, { name, ...(contactEmail ? { contactEmail } : {}) });
      }
    });
    afterAll(async () => {
      await fresh?.stop();
    });

    const names = async (args: string) =>
      (await fresh.admin(`{ integrators${args} { totalCount edges { node { name } } } }`)).data.integrators;

    it('lists newest first with a total count', async () => {
      const result = await names('');
      expect(result.totalCount).toBe(5);
      expect(result.edges.map((e: any) => e.node.name)).toEqual(['Epsilon', 'Delta_Line', '100% Gamma', 'Beta Shop', 'Alpha Books']);
    });

    it('searches the name and the contact e-mail in any case', async () => {
      expect((await names('(search: "beta")')).edges.map((e: any) => e.node.name)).toEqual(['Beta Shop']);
      expect((await names('(search: "ALPHA.EXAMPLE")')).edges.map((e: any) => e.node.name)).toEqual(['Alpha Books']);
      expect((await names('(search: "example")')).totalCount).toBe(3);
    });

    it('matches % and _ literally', async () => {
      expect((await names('(search: "%")')).edges.map((e: any) => e.node.name)).toEqual(['100% Gamma']);
      expect((await names('(search: "_")')).edges.map((e: any) => e.node.name)).toEqual(['Delta_Line']);
    });

    it('pages forward with cursors', async () => {
      const first = (await fresh.admin('{ integrators(first: 2) { edges { node { name } } pageInfo { hasNextPage endCursor } } }')).data.integrators;
      expect(first.edges.map((e: any) => e.node.name)).toEqual(['Epsilon', 'Delta_Line']);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = (await fresh.admin('query ($after: String) { integrators(first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }', { after: first.pageInfo.endCursor })).data.integrators;
      expect(second.edges.map((e: any) => e.node.name)).toEqual(['100% Gamma', 'Beta Shop']);
      const third = (await fresh.admin('query ($after: String) { integrators(first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage } } }', { after: second.pageInfo.endCursor })).data.integrators;
      expect(third).toEqual({ edges: [{ node: { name: 'Alpha Books' } }], pageInfo: { hasNextPage: false } });
    });

    it.each([['first: 0'], ['first: 101'], ['last: 0']])('refuses %s with a VALIDATION error', async (args) => {
      const response = await fresh.admin(`{ integrators(${args}) { totalCount } }`);
      expect(response.errors?.[0].extensions?.code).toBe('VALIDATION');
      expect(response.errors?.[0].message).toMatch(/from 1 to 100/);
    });

    it('accepts first: 100', async () => {
      expect((await fresh.admin('{ integrators(first: 100) { totalCount } }')).errors).toBeUndefined();
    });
  });
});
