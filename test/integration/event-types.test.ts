import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { mutate } from '../support/graphql.ts';
import { ERROR_FIELDS, registerEventType } from './support/management.ts';

const FIELDS = 'id name description schema deprecated createdAt updatedAt';
const REGISTER = `mutation ($input: RegisterEventTypeInput!) { registerEventType(input: $input) { __typename ... on EventTypePayload { eventType { ${FIELDS} } } ${ERROR_FIELDS} } }`;
const UPDATE = `mutation ($input: UpdateEventTypeInput!) { updateEventType(input: $input) { __typename ... on EventTypePayload { eventType { ${FIELDS} } } ${ERROR_FIELDS} } }`;

const INVOICE_SCHEMA = { type: 'object', required: ['id'], properties: { id: { type: 'string' }, total: { type: 'number' } } };

describe('event types', () => {
  let hy: TestHookyard;
  beforeAll(async () => {
    hy = await startTestHookyard();
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('registers a type with its payload schema, given as a variable or inline', async () => {
    const result = await mutate(hy.admin, REGISTER, { input: { name: 'invoice.created', description: 'An invoice was issued', schema: INVOICE_SCHEMA } });
    expect(result.eventType).toMatchObject({ name: 'invoice.created', description: 'An invoice was issued', schema: INVOICE_SCHEMA, deprecated: false });
    expect(result.eventType.id).toMatch(/^ety_/);
    const inline = await mutate(
      hy.admin,
      `mutation { registerEventType(input: { name: "invoice.line_item.updated", schema: { type: "object", minProperties: 1, additionalProperties: false } }) { __typename ... on EventTypePayload { eventType { schema } } } }`,
    );
    expect(inline.eventType.schema).toEqual({ type: 'object', minProperties: 1, additionalProperties: false });
  });

  it('refuses a second registration of the same name', async () => {
    await registerEventType(hy.admin, { name: 'customer.created' });
    expect(await mutate(hy.admin, REGISTER, { input: { name: 'customer.created' } })).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
  });

  it('refuses two concurrent registrations of one name with a ConflictError, not an internal error', async () => {
    for (let round = 0; round < 5; round++) {
      const input = { name: `race.round_${round}` };
      const results = await Promise.all(Array.from({ length: 8 }, () => mutate(hy.admin, REGISTER, { input })));
      expect(results.map((r) => r.__typename).sort()).toEqual([...Array(7).fill('ConflictError'), 'EventTypePayload']);
    }
  });

  it.each(['invoice', 'Invoice.Created', 'invoice.', '.created', 'invoice.created!', 'invoice.*', 'a.bbbbbbbbbb…(101 characters)'])('refuses the name %s', async (label) => {
    const name = label.endsWith('characters)') ? `a.${'b'.repeat(99)}` : label;
    expect(await mutate(hy.admin, REGISTER, { input: { name } })).toMatchObject({ __typename: 'ValidationError', field: 'input.name' });
  });

  it.each([
    ['a list', [1, 2]],
    ['a string', 'object'],
    ['an unknown type', { type: 'invoice' }],
    ['a bad keyword value', { type: 'object', required: 'id' }],
  ])('refuses a schema that is %s', async (_what, schema) => {
    expect(await mutate(hy.admin, REGISTER, { input: { name: 'bad.schema', schema } })).toMatchObject({ __typename: 'ValidationError', field: 'input.schema' });
  });

  it('updates description, schema and deprecation, and removes the schema with null', async () => {
    const created = await registerEventType(hy.admin, { name: 'order.shipped', schema: INVOICE_SCHEMA });
    const updated = await mutate(hy.admin, UPDATE, { input: { id: created.id, description: 'Shipped', deprecated: true } });
    expect(updated.eventType).toMatchObject({ description: 'Shipped', deprecated: true, schema: INVOICE_SCHEMA });
    const removed = await mutate(hy.admin, UPDATE, { input: { id: created.id, schema: null } });
    expect(removed.eventType.schema).toBeNull();
    expect(await mutate(hy.admin, UPDATE, { input: { id: created.id, schema: { type: 'nope' } } })).toMatchObject({ __typename: 'ValidationError', field: 'input.schema' });
    expect(await mutate(hy.admin, UPDATE, { input: { id: 'ety_01JD0000000000000000000000', deprecated: true } })).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('lists with search and can leave deprecated types out', async () => {
    const a = await registerEventType(hy.admin, { name: 'listing.visible' });
    const b = await registerEventType(hy.admin, { name: 'listing.hidden' });
    await mutate(hy.admin, UPDATE, { input: { id: b.id, deprecated: true } });
    const names = async (includeDeprecated: boolean) =>
      (await hy.admin('query ($d: Boolean) { eventTypes(search: "LISTING", includeDeprecated: $d) { edges { node { id } } } }', { d: includeDeprecated })).data.eventTypes.edges.map((e: any) => e.node.id);
    expect(await names(true)).toEqual([b.id, a.id]);
    expect(await names(false)).toEqual([a.id]);
  });
});
