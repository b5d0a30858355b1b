// A VIEWER key reads everything of its tenant and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import type { GqlClient } from '../support/graphql.ts';
import { MUTATIONS, type MutationName, createIntegrator, createWebhook, everything, ok, registerEventType, run } from '../support/fixtures.ts';

describe('a VIEWER key', () => {
  let hy: TestHookyard;
  let viewer: GqlClient;
  let ids: { integratorId: string; spareIntegratorId: string; eventTypeId: string; webhookId: string; apiKeyId: string };

  beforeAll(async () => {
    hy = await startTestHookyard();
    const integrator = await createIntegrator(hy.admin);
    const spare = await createIntegrator(hy.admin, { name: 'No webhooks' });
    const eventType = await registerEventType(hy.admin, 'invoice.created');
    const { webhook } = await createWebhook(hy.admin, { integratorId: integrator.id });
    const key = await ok(hy.admin, 'createApiKey', { name: 'read only', role: 'VIEWER' });
    viewer = hy.client(key.token);
    ids = { integratorId: integrator.id, spareIntegratorId: spare.id, eventTypeId: eventType.id, webhookId: webhook.id, apiKeyId: key.apiKey.id };
  });

  afterAll(async () => {
    await hy?.stop();
  });

  it('reads what an ADMIN key reads', async () => {
    const asViewer = await everything(viewer);
    const asAdmin = await everything(hy.admin);
    expect(asViewer.viewer.role).toBe('VIEWER');
    expect({ ...asViewer, viewer: null }).toEqual({ ...asAdmin, viewer: null });
    expect(asViewer.webhooks.totalCount).toBe(1);
  });

  // Valid inputs that an ADMIN key would get through, so only the role can refuse them.
  const inputs: Record<MutationName, () => Record<string, unknown>> = {
    createIntegrator: () => ({ name: 'New' }),
    updateIntegrator: () => ({ id: ids.integratorId, name: 'Renamed' }),
    deleteIntegrator: () => ({ id: ids.spareIntegratorId }),
    registerEventType: () => ({ name: 'invoice.paid' }),
    updateEventType: () => ({ id: ids.eventTypeId, deprecated: true }),
    createWebhook: () => ({ integratorId: ids.integratorId, name: 'x', url: 'https://x.example.com/', eventTypes: ['*'] }),
    updateWebhook: () => ({ id: ids.webhookId, name: 'Renamed' }),
    pauseWebhook: () => ({ id: ids.webhookId }),
    resumeWebhook: () => ({ id: ids.webhookId }),
    deleteWebhook: () => ({ id: ids.webhookId }),
    rotateWebhookSecret: () => ({ id: ids.webhookId }),
    createApiKey: () => ({ name: 'escalate', role: 'ADMIN' }),
    revokeApiKey: () => ({ id: ids.apiKeyId }),
    setDeliveriesEnabled: () => ({ enabled: false }),
  };

  it('gets ForbiddenError from every mutation and changes nothing', async () => {
    const before = await everything(hy.admin);
    const mutations = Object.keys(MUTATIONS) as MutationName[];
    for (const name of mutations) {
      const result = await run(viewer, name, inputs[name]());
      expect(result, name).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN', message: expect.stringMatching(/VIEWER.*ADMIN key/) });
    }
    expect(await everything(hy.admin)).toEqual(before);
  });

  it('gets ForbiddenError from every mutation in the schema, whatever its input', async () => {
    const before = await everything(hy.admin);
    const { data } = await hy.admin(INTROSPECTION);
    const types = new Map<string, IntrospectedType>(data.__schema.types.map((t: IntrospectedType) => [t.name, t]));
    const mutations = types.get('Mutation')!.fields!;
    expect(mutations.length).toBeGreaterThanOrEqual(Object.keys(MUTATIONS).length);
    for (const field of mutations) {
      // Any well-typed input will do: the role must be checked before the input is.
      const declared = field.args.map((a) => `$${a.name}: ${typeName(a.type)}`).join(', ');
      const passed = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
      const variables = Object.fromEntries(field.args.map((a) => [a.name, sampleValue(a.type, types)]));
      const response = await viewer(`mutation (${declared}) { ${field.name}(${passed}) { __typename ... on Error { code } } }`, variables);
      expect(response.errors, field.name).toBeUndefined();
      expect(response.data[field.name], field.name).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    }
    expect(await everything(hy.admin)).toEqual(before);
  });
});

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface IntrospectedType {
  name: string;
  kind: string;
  fields: { name: string; args: { name: string; type: TypeRef }[] }[] | null;
  inputFields: { name: string; type: TypeRef }[] | null;
  enumValues: { name: string }[] | null;
}

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }';
const INTROSPECTION = `{ __schema { types { name kind
  fields { name args { name type { ${TYPE_REF} } } }
  inputFields { name type { ${TYPE_REF} } }
  enumValues { name } } } }`;

function typeName(ref: TypeRef): string {
  if (ref.kind === 'NON_NULL') return `${typeName(ref.ofType!)}!`;
  if (ref.kind === 'LIST') return `[${typeName(ref.ofType!)}]`;
  return ref.name!;
}

/** A value of the type: required fields filled, optional ones left out. */
function sampleValue(ref: TypeRef, types: Map<string, IntrospectedType>): unknown {
  if (ref.kind === 'NON_NULL') return sampleValue(ref.ofType!, types);
  if (ref.kind === 'LIST') return [sampleValue(ref.ofType!, types)];
  const type = types.get(ref.name!)!;
  if (type.kind === 'ENUM') return type.enumValues![0].name;
  if (type.kind === 'INPUT_OBJECT') {
    return Object.fromEntries(type.inputFields!.filter((f) => f.type.kind === 'NON_NULL').map((f) => [f.name, sampleValue(f.type, types)]));
  }
  const scalars: Record<string, unknown> = { String: 'x', ID: 'whk_00000000000000000000000000', Int: 1, Float: 1, Boolean: true, JSON: {}, DateTime: '2026-01-01T00:00:00Z' };
  if (!(type.name in scalars)) throw new Error(`no sample value for the scalar ${type.name}`);
  return scalars[type.name];
}
