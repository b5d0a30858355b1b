import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard, useTestHookyard } from '../support/hookyard.ts';
import { ok, registerEventType, run } from '../support/fixtures.ts';

const INVOICE_SCHEMA = { type: 'object', required: ['id', 'total'], properties: { id: { type: 'string' }, total: { type: 'number', minimum: 0 }, email: { type: 'string', format: 'email' } } };

describe('event types', () => {
  const hy = useTestHookyard();

  describe('registerEventType', () => {
    it('registers a name with a description and a JSON Schema', async () => {
      const result = await run(hy.admin, 'registerEventType', { name: 'invoice.created', description: 'An invoice was issued', schema: INVOICE_SCHEMA });
      expect(result.__typename).toBe('EventTypePayload');
      expect(result.eventType).toMatchObject({ name: 'invoice.created', description: 'An invoice was issued', schema: INVOICE_SCHEMA, deprecated: false });
      expect(result.eventType.id).toMatch(/^ety_/);
    });

    it('registers a name without a schema', async () => {
      expect((await registerEventType(hy.admin, 'customer.updated')).schema).toBeNull();
    });

    it.each([['invoice.line_item.updated'], ['a.b'], [`${'a'.repeat(49)}.${'b'.repeat(50)}`]])('accepts the name %s', async (name) => {
      expect((await run(hy.admin, 'registerEventType', { name })).__typename).toBe('EventTypePayload');
    });

    it.each([['invoice'], ['Invoice.Created'], ['invoice.*'], ['invoice..created'], ['.created'], ['1nvoice.created'], ['invoice created'], [`${'a'.repeat(50)}.${'b'.repeat(50)}`]])(
      'refuses the name %s with a ValidationError on input.name',
      async (name) => {
        expect(await run(hy.admin, 'registerEventType', { name })).toMatchObject({ __typename: 'ValidationError', field: 'input.name', message: expect.stringContaining('resource.action') });
      },
    );

    it.each([
      ['a schema that ajv cannot compile', { type: 'objekt' }],
      ['a schema with a bad keyword value', { type: 'object', required: 'id' }],
      ['a schema that is not an object', ['type', 'object']],
      ['a string', 'object'],
    ])('refuses %s with a ValidationError on input.schema', async (_what, schema) => {
      const result = await run(hy.admin, 'registerEventType', { name: 'order.placed', schema });
      expect(result).toMatchObject({ __typename: 'ValidationError', field: 'input.schema' });
    });

    it('refuses a name already registered with a ConflictError', async () => {
      await registerEventType(hy.admin, 'payment.failed');
      expect(await run(hy.admin, 'registerEventType', { name: 'payment.failed' })).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', message: expect.stringContaining('updateEventType') });
    });
  });

  describe('updateEventType', () => {
    it('changes description, schema and deprecated, keeping what is left out', async () => {
      const eventType = await registerEventType(hy.admin, 'refund.issued', { description: 'first', schema: { type: 'object' } });
      const described = await ok(hy.admin, 'updateEventType', { id: eventType.id, description: 'second' });
      expect(described.eventType).toMatchObject({ description: 'second', schema: { type: 'object' }, deprecated: false });
      const deprecated = await ok(hy.admin, 'updateEventType', { id: eventType.id, deprecated: true, schema: INVOICE_SCHEMA });
      expect(deprecated.eventType).toMatchObject({ description: 'second', schema: INVOICE_SCHEMA, deprecated: true });
    });

    it('removes the schema when given null', async () => {
      const eventType = await registerEventType(hy.admin, 'refund.voided', { schema: { type: 'object' } });
      expect((await ok(hy.admin, 'updateEventType', { id: eventType.id, schema: null })).eventType.schema).toBeNull();
    });

    it('refuses an invalid schema and keeps the old one', async () => {
      const eventType = await registerEventType(hy.admin, 'refund.failed', { schema: { type: 'object' } });
      expect(await run(hy.admin, 'updateEventType', { id: eventType.id, schema: { type: 42 } })).toMatchObject({ __typename: 'ValidationError', field: 'input.schema' });
      const { data } = await hy.admin('query ($id: ID!) { node(id: $id) { ... on EventType { schema } } }', { id: eventType.id });
      expect(data.node.schema).toEqual({ type: 'object' });
    });

    it('answers NotFoundError for an unknown id', async () => {
      expect(await run(hy.admin, 'updateEventType', { id: 'ety_00000000000000000000000000', description: 'x' })).toMatchObject({ __typename: 'NotFoundError' });
    });
  });

  describe('the event types list', () => {
    let fresh: TestHookyard;
    beforeAll(async () => {
      fresh = await startTestHookyard();
      for (const name of ['invoice.created', 'invoice.paid', 'customer.created']) await registerEventType(fresh.admin, name);
      const old = await registerEventType(fresh.admin, 'invoice.legacy_sent');
      await ok(fresh.admin, 'updateEventType', { id: old.id, deprecated: true });
    });
    afterAll(async () => {
      await fresh?.stop();
    });

    const names = async (args: string) => (await fresh.admin(`{ eventTypes${args} { totalCount edges { node { name } } } }`)).data.eventTypes;

    it('lists every event type, deprecated included, with a total count', async () => {
      const result = await names('');
      expect(result.totalCount).toBe(4);
      expect(result.edges.map((e: any) => e.node.name).sort()).toEqual(['customer.created', 'invoice.created', 'invoice.legacy_sent', 'invoice.paid']);
    });

    it('leaves deprecated ones out on request', async () => {
      expect((await names('(includeDeprecated: false)')).totalCount).toBe(3);
    });

    it('searches names in any case', async () => {
      expect((await names('(search: "INVOICE.")')).totalCount).toBe(3);
      expect((await names('(search: "created")')).edges.map((e: any) => e.node.name).sort()).toEqual(['customer.created', 'invoice.created']);
    });
  });
});
