import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { mutate } from '../support/graphql.ts';
import { ERROR } from '../support/fixtures.ts';

const FIELDS = 'id name description schema deprecated createdAt updatedAt';
const REGISTER = `mutation ($input: RegisterEventTypeInput!) { registerEventType(input: $input) { __typename ... on EventTypePayload { eventType { ${FIELDS} } } ${ERROR} } }`;

// The rest of registration and updates is in test/management/event-types.test.ts.
const INVOICE_SCHEMA = { type: 'object', required: ['id'], properties: { id: { type: 'string' }, total: { type: 'number' } } };

describe('event types', () => {
  const hy = useTestHookyard();

  it('takes a payload schema as a variable or written inline in the query', async () => {
    const result = await mutate(hy.admin, REGISTER, { input: { name: 'invoice.created', description: 'An invoice was issued', schema: INVOICE_SCHEMA } });
    expect(result.eventType).toMatchObject({ name: 'invoice.created', description: 'An invoice was issued', schema: INVOICE_SCHEMA, deprecated: false });
    expect(result.eventType.id).toMatch(/^ety_/);
    const inline = await mutate(
      hy.admin,
      `mutation { registerEventType(input: { name: "invoice.line_item.updated", schema: { type: "object", minProperties: 1, additionalProperties: false } }) { __typename ... on EventTypePayload { eventType { schema } } } }`,
    );
    expect(inline.eventType.schema).toEqual({ type: 'object', minProperties: 1, additionalProperties: false });
  });

  it('refuses two concurrent registrations of one name with a ConflictError, not an internal error', async () => {
    for (let round = 0; round < 5; round++) {
      const input = { name: `race.round_${round}` };
      const results = await Promise.all(Array.from({ length: 8 }, () => mutate(hy.admin, REGISTER, { input })));
      expect(results.map((r) => r.__typename).sort()).toEqual([...Array(7).fill('ConflictError'), 'EventTypePayload']);
    }
  });
});
