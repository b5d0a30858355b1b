// Tenant B sees and changes none of tenant A's rows, through any query, mutation or
// subscription. The operations are read from schema/schema.graphql, not listed here: every
// ID argument (and every ID field of an input, at any depth) is filled with A's id of the
// right kind, other required arguments get valid values, and each operation is called with
// B's key. A new operation is covered without editing this file; one this file cannot build
// arguments for fails the test by name.
import fs from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { mutate, type GqlClient } from '../support/graphql.ts';
import { ERROR, createTenant, createWebhookSetup, everything, ok, publish } from '../support/fixtures.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { sqlClient } from '../support/sql.ts';
import { openSocket } from '../support/ws.ts';

const schema = buildSchema(fs.readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));

/** The kinds of row an ID can name, longest name first so `EventType` wins over `Event`. */
const KINDS = ['InboundRequest', 'InboundHook', 'EventType', 'Integrator', 'BulkRetry', 'Delivery', 'Attempt', 'Webhook', 'ApiKey', 'Event'] as const;
type Kind = (typeof KINDS)[number];
type Ids = Record<Kind, string>;
const PREFIX: Record<Kind, string> = { BulkRetry: 'blk_', InboundRequest: 'inr_', InboundHook: 'inh_', EventType: 'ety_', Integrator: 'int_', Delivery: 'dlv_', Attempt: 'att_', Webhook: 'whk_', ApiKey: 'key_', Event: 'evt_' };

const SHARED_TYPE = 'invoice.created';
const SHARED_KEY = 'order-shared-by-both-tenants';
const A_MARK = 'tenant-A-only-marker';

/**
 * Values for required non-ID fields, by name. Optional non-ID fields are left out except
 * `idempotencyKey`, which both tenants use, so publishing shares keys across tenants too.
 */
function valueFor(field: string, type: GraphQLNamedType, receiverUrl: string): unknown {
  const byName: Record<string, unknown> = {
    name: 'made by B',
    url: receiverUrl,
    eventTypes: [SHARED_TYPE],
    type: SHARED_TYPE,
    eventType: SHARED_TYPE,
    payload: { from: 'B' },
    idempotencyKey: SHARED_KEY,
    enabled: true,
    from: new Date(Date.now() - 24 * 3600_000).toISOString(),
    filter: {},
  };
  if (field in byName) return byName[field];
  if (isEnumType(type)) return type.getValues()[0].value;
  throw new Error(`no value for the required field ${field} of type ${type.name}: teach valueFor`);
}

const ALWAYS = new Set(['idempotencyKey']);

/** The kind of row an ID field names: from its own name (webhookId, ids of DeliveryFilter), else the input or operation name. */
function kindOf(fieldName: string, ...owners: string[]): Kind | 'any' {
  const own = fieldName.replace(/Ids?$/, '');
  // An inbound request's hook is an inbound hook (hookId).
  if (own === 'hook') return 'InboundHook';
  const named = KINDS.find((k) => k.toLowerCase() === own.toLowerCase());
  if (named) return named;
  for (const owner of owners) {
    const found = KINDS.find((k) => owner.includes(k));
    if (found) return found;
  }
  return 'any';
}

interface Built {
  value: unknown;
  /** The ID fields that could name any kind (node(id:)); the caller tries every kind. */
  anyKind: boolean;
  hasId: boolean;
}

/** Builds a value for an input type. `full` also fills optional fields that hold ids. */
function buildInput(type: GraphQLInputType, fieldName: string, owners: string[], ids: Ids, receiverUrl: string, full: boolean): Built {
  if (isNonNullType(type)) return buildInput(type.ofType, fieldName, owners, ids, receiverUrl, full);
  if (isListType(type)) {
    const inner = getNamedType(type);
    if (isScalarType(inner) && inner.name === 'ID') {
      const kind = kindOf(fieldName, ...owners);
      if (kind === 'any') throw new Error(`cannot tell which ids the list ${owners[0]}.${fieldName} takes`);
      return { value: [ids[kind]], anyKind: false, hasId: true };
    }
    if (isInputObjectType(inner)) {
      const built = buildInput(inner, fieldName, owners, ids, receiverUrl, full);
      return { ...built, value: [built.value] };
    }
    return { value: valueFor(fieldName, inner, receiverUrl), anyKind: false, hasId: false };
  }
  if (isScalarType(type) && type.name === 'ID') {
    const kind = kindOf(fieldName, ...owners);
    return { value: kind === 'any' ? ids : ids[kind], anyKind: kind === 'any', hasId: true };
  }
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    let anyKind = false;
    let hasId = false;
    for (const field of Object.values(type.getFields()) as GraphQLInputField[]) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (!required && !full && !ALWAYS.has(field.name)) continue;
      if (!required && !ALWAYS.has(field.name) && !holdsId(field.type)) continue;
      const built = buildInput(field.type, field.name, [type.name, ...owners], ids, receiverUrl, full);
      value[field.name] = built.value;
      anyKind ||= built.anyKind;
      hasId ||= built.hasId;
    }
    return { value, anyKind, hasId };
  }
  return { value: valueFor(fieldName, getNamedType(type), receiverUrl), anyKind: false, hasId: false };
}

function holdsId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (isScalarType(named)) return named.name === 'ID';
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((f) => holdsId(f.type, seen));
}

/** A selection of every field to `depth`, through unions and interfaces, with arguments where required. */
function selection(type: GraphQLOutputType, depth: number, receiverUrl: string, alias = new Set<string>()): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return '';
  if (depth === 0) return isObjectType(named) && 'id' in named.getFields() ? '{ id }' : '{ __typename }';
  if (isUnionType(named) || isInterfaceType(named)) {
    const members = isUnionType(named) ? named.getTypes() : schema.getPossibleTypes(named);
    // Members may have fields of one name and different types (Delivery.status, Webhook.status): alias those.
    const typesOf = new Map<string, Set<string>>();
    for (const m of members) for (const f of Object.values(m.getFields())) typesOf.set(f.name, (typesOf.get(f.name) ?? new Set()).add(f.type.toString()));
    const conflicting = new Set([...typesOf].filter(([, types]) => types.size > 1).map(([name]) => name));
    return `{ __typename ${members.map((m) => `... on ${m.name} ${selection(m, depth, receiverUrl, conflicting)}`).join(' ')} }`;
  }
  const fields = Object.values((named as GraphQLObjectType).getFields()) as GraphQLField<unknown, unknown>[];
  const parts = fields.map((f) => {
    const args = f.args.filter((a) => isNonNullType(a.type));
    const argText = args.length ? `(${args.map((a) => `${a.name}: ${JSON.stringify(valueFor(a.name, getNamedType(a.type), receiverUrl))}`).join(', ')})` : '';
    return `${alias.has(f.name) ? `${named.name}_${f.name}: ` : ''}${f.name}${argText} ${selection(f.type, depth - 1, receiverUrl)}`;
  });
  return `{ __typename ${parts.join(' ')} }`;
}

interface Call {
  operation: 'query' | 'mutation' | 'subscription';
  name: string;
  variant: string;
  document: string;
  variables: Record<string, unknown>;
}

/**
 * The calls of one operation with these ids: all ID fields filled (`full`) and only the
 * required arguments (`minimal`); an ID of any kind (node) is tried with each kind.
 */
function callsOf(operation: Call['operation'], field: GraphQLField<unknown, unknown>, ids: Ids, receiverUrl: string): Call[] {
  const calls: Call[] = [];
  for (const full of [true, false]) {
    const built = new Map<GraphQLArgument, Built>();
    for (const arg of field.args) {
      const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
      if (!required && !(full && holdsId(arg.type))) continue;
      built.set(arg, buildInput(arg.type, arg.name, [field.name], ids, receiverUrl, full));
    }
    const kinds: (Kind | null)[] = [...built.values()].some((b) => b.anyKind) ? [...KINDS] : [null];
    for (const kind of kinds) {
      const variables: Record<string, unknown> = {};
      for (const [arg, b] of built) variables[arg.name] = b.anyKind && kind ? substituteAny(b.value, ids, kind) : b.value;
      const declarations = [...built.keys()].map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
      const argText = [...built.keys()].map((a) => `${a.name}: $${a.name}`).join(', ');
      const depth = operation === 'query' ? 5 : 4;
      calls.push({
        operation,
        name: field.name,
        variant: `${full ? 'full' : 'minimal'}${kind ? ` ${kind}` : ''}`,
        document: `${operation}${declarations ? ` (${declarations})` : ''} { ${field.name}${argText ? `(${argText})` : ''} ${selection(field.type, depth, receiverUrl)} }`,
        variables,
      });
    }
    if (!field.args.some((a) => holdsId(a.type))) break; // nothing differs between the variants
  }
  return calls;
}

function substituteAny(value: unknown, ids: Ids, kind: Kind): unknown {
  if (value === ids) return ids[kind];
  if (Array.isArray(value)) return value.map((v) => substituteAny(v, ids, kind));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteAny(v, ids, kind)]));
  return value;
}

function operations(): { operation: Call['operation']; field: GraphQLField<unknown, unknown> }[] {
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const;
  return roots.flatMap(([operation, type]) => (type ? Object.values(type.getFields()).map((field) => ({ operation, field })) : []));
}

/** Every object in a response that has an `id`, and every string in it. */
function walk(value: unknown, visit: (id: string | undefined, strings: string[]) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    visit(typeof record.id === 'string' ? record.id : undefined, Object.values(record).filter((v): v is string => typeof v === 'string'));
    Object.values(record).forEach((v) => walk(v, visit));
  }
}

function idsIn(value: unknown): Set<string> {
  const found = new Set<string>();
  walk(value, (id, strings) => {
    if (id) found.add(id);
    for (const s of strings) if (/^[a-z]{3}_[0-9A-Za-z]+$/.test(s)) found.add(s);
  });
  return found;
}

describe('two tenants, every operation of the schema', () => {
  let hy: TestHookyard;
  let db: ReturnType<typeof sqlClient>;
  let tenantB: GqlClient;
  let tokenB: string;
  let tenantAId: string;
  let tenantBId: string;
  let receiverA: Receiver;
  let receiverB: Receiver;
  let a: Ids;
  let b: Ids;
  let snapshotOfA: unknown;
  let listsOfA: unknown;
  const seenByB: { call: Call; response: unknown }[] = [];

  /** Every row of tenant A, in every table that has a tenant_id, and A's tenant row. */
  const rowsOfA = async () => {
    const tables = await db.query<{ table_name: string }>(
      `select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
    );
    const rows: Record<string, unknown[]> = { tenant: await db.query('select * from tenant where id = $1', [tenantAId]) };
    for (const { table_name } of tables) rows[table_name] = await db.query(`select * from "${table_name}" where tenant_id = $1 order by 1`, [tenantAId]);
    return rows;
  };
  const rowsOfBText = async () => {
    const tables = await db.query<{ table_name: string }>(`select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant_id'`);
    let text = '';
    for (const { table_name } of tables) text += JSON.stringify(await db.query(`select * from "${table_name}" where tenant_id = $1`, [tenantBId]));
    return text;
  };
  const queueDrained = () =>
    eventually(async () => {
      const open = await db.one<{ n: number }>(`select count(*)::int as n from pgboss.job where name = 'deliver' and state in ('created', 'retry', 'active')`);
      const openDeliveries = await db.one<{ n: number }>(`select count(*)::int as n from delivery where status in ('PENDING', 'RETRYING') and next_attempt_at is not null`);
      return open.n === 0 && openDeliveries.n === 0;
    }, 30_000, 'the delivery queue to drain');

  /** Integrator, event type, two webhooks (one paused), a delivered event with its attempt, a spare API key. */
  async function rowsFor(client: GqlClient, receiver: Receiver, mark: string): Promise<Ids> {
    const setup = await createWebhookSetup(client, receiver.url, { eventType: SHARED_TYPE, webhook: { name: `${mark} hook`, eventTypes: ['invoice.*'] } });
    await ok(client, 'updateIntegrator', { id: setup.integratorId, name: `${mark} integrator`, contactEmail: 'ops@a.example' });
    const paused = await createWebhookSetup(client, receiver.url, { eventType: SHARED_TYPE, webhook: { name: `${mark} paused hook` } });
    await ok(client, 'pauseWebhook', { id: paused.webhookId, reason: `${mark} paused it` });
    const eventType = (await client('{ eventTypes { edges { node { id } } } }')).data.eventTypes.edges[0].node.id;
    const published = await publish(client, { type: SHARED_TYPE, payload: { mark }, idempotencyKey: SHARED_KEY });
    expect(published).toMatchObject({ __typename: 'PublishedEvent', duplicate: false });
    const delivery = await eventually(async () => {
      const d = (await client('query ($w: ID!) { deliveries(filter: { webhookId: $w }) { edges { node { id status attempts { id } } } } }', { w: setup.webhookId })).data
        .deliveries.edges[0]?.node;
      return d?.status === 'SUCCEEDED' ? d : null;
    }, 20_000, `${mark} delivery`);
    const key = await ok(client, 'createApiKey', { name: `${mark} spare key`, role: 'VIEWER' });
    const bulkRetry = await retryAll(client, delivery.id);
    // An inbound hook, stopped, with one request waiting in its queue (nothing moves afterwards).
    const hook = await mutate(client, `mutation { createInboundHook(input: { name: "${mark} inbound", eventType: "${SHARED_TYPE}" }) { ... on InboundHookPayload { inboundHook { id url } } ${ERROR} } }`);
    const hookId = hook.inboundHook.id;
    await mutate(client, `mutation ($id: ID!) { updateInboundHook(input: { id: $id, status: STOPPED }) { __typename } }`, { id: hookId });
    expect((await fetch(`${hook.inboundHook.url}?mark=${mark}`, { method: 'POST' })).status).toBe(200);
    const request = (await client('query ($h: ID) { inboundRequests(filter: { hookId: $h }) { edges { node { id } } } }', { h: hookId })).data.inboundRequests.edges[0].node;
    return {
      InboundHook: hookId,
      InboundRequest: request.id,
      EventType: eventType,
      Integrator: setup.integratorId,
      Delivery: delivery.id,
      Attempt: delivery.attempts[0].id,
      Webhook: setup.webhookId,
      ApiKey: key.apiKey.id,
      Event: published.event.id,
      BulkRetry: bulkRetry,
    };
  }

  beforeAll(async () => {
    hy = await startTestHookyard();
    db = sqlClient(hy.databaseUrl);
    receiverA = await startReceiver();
    receiverB = await startReceiver();
    tenantAId = (await db.one<{ tenant_id: string }>('select tenant_id from api_key limit 1')).tenant_id;
    a = await rowsFor(hy.admin, receiverA, A_MARK);
    const created = await createTenant(hy.databaseUrl, 'tenant B');
    tokenB = created.token;
    tenantBId = created.tenantId;
    tenantB = hy.client(tokenB);
    b = await rowsFor(tenantB, receiverB, 'tenant-B');
    await queueDrained();
    for (const [kind, id] of Object.entries(a)) expect(id.startsWith(PREFIX[kind as Kind]), kind).toBe(true);
    snapshotOfA = await rowsOfA();
    listsOfA = await everything(hy.admin);
  });

  afterAll(async () => {
    await db?.end();
    await receiverA?.close();
    await receiverB?.close();
    await hy?.stop();
  });

  it('can build a call of every query, mutation and subscription in the schema', () => {
    const all = operations();
    expect(all.length).toBeGreaterThan(20);
    for (const { operation, field } of all) expect(() => callsOf(operation, field, a, receiverB.url), `${operation} ${field.name}`).not.toThrow();
  });

  it("gives B nothing of A's through any query or mutation called with A's ids", { timeout: 120_000 }, async () => {
    const before = receiverA.requests.length;
    const aIds = new Set(Object.values(a));
    const leaks: string[] = [];
    for (const { operation, field } of operations().filter((o) => o.operation !== 'subscription')) {
      for (const call of callsOf(operation, field, a, receiverB.url)) {
        const response = await tenantB(call.document, call.variables);
        const where = `${call.operation} ${call.name} (${call.variant})`;
        seenByB.push({ call, response });
        // Client mistakes would be typed errors; a top-level error means the call never ran.
        if (response.errors?.length) leaks.push(`${where}: errors ${JSON.stringify(response.errors)}`);
        const text = JSON.stringify(response.data ?? null);
        if (text.includes(A_MARK)) leaks.push(`${where}: shows A's names: ${text.slice(0, 300)}`);
        for (const id of idsIn(response.data)) if (aIds.has(id)) leaks.push(`${where}: returns A's ${id}`);
        // A mutation given A's ids must not succeed on them.
        if (operation === 'mutation' && call.variant.startsWith('full') && hasIdArgument(field)) {
          const result = (response.data as Record<string, any> | null)?.[field.name];
          const refused = result && (/Error$/.test(result.__typename) || (typeof result.count === 'number' && result.count === 0));
          if (!refused && result && !isHarmless(result)) leaks.push(`${where}: succeeded with A's ids: ${JSON.stringify(result).slice(0, 300)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    await queueDrained();
    expect(receiverA.requests.length, "A's receiver got B's requests").toBe(before);
    expect(await rowsOfA()).toEqual(snapshotOfA);
    expect(await everything(hy.admin)).toEqual(listsOfA);
    const bText = await rowsOfBText();
    for (const [kind, id] of Object.entries(a)) expect(bText.includes(id), `a row of B references A's ${kind} ${id}`).toBe(false);
  });

  it("publishes B's events with the same type name and idempotency key as A's to B's webhooks only", async () => {
    const beforeA = receiverA.requests.length;
    const beforeB = receiverB.requests.length;
    const again = await publish(tenantB, { type: SHARED_TYPE, payload: { from: 'B' }, idempotencyKey: SHARED_KEY });
    // B's own first event with that key, never A's.
    expect(again).toMatchObject({ __typename: 'PublishedEvent', duplicate: true, deliveryCount: 0, event: { id: b.Event } });
    const fresh = await publish(tenantB, { type: SHARED_TYPE, payload: { from: 'B' }, idempotencyKey: 'only-b-has-this' });
    // B's ACTIVE and PAUSED webhooks (the paused one holds it); none of A's two.
    expect(fresh).toMatchObject({ __typename: 'PublishedEvent', duplicate: false, deliveryCount: 2 });
    const rows = await db.query<{ webhook_id: string; tenant_id: string }>('select webhook_id, tenant_id from delivery where event_id = $1 order by webhook_id', [fresh.event.id]);
    expect(rows.every((r) => r.tenant_id === tenantBId)).toBe(true);
    expect(rows.map((r) => r.webhook_id)).toContain(b.Webhook);
    expect(rows.map((r) => r.webhook_id)).not.toContain(a.Webhook);
    await eventually(async () => receiverB.requests.length > beforeB, 20_000, "B's receiver");
    await queueDrained();
    expect(receiverA.requests.length).toBe(beforeA);
  });

  it("returns each tenant its own first event for a shared idempotency key, whichever tenant claimed it first", async () => {
    for (const [first, second] of [
      [hy.admin, tenantB],
      [tenantB, hy.admin],
    ] as const) {
      const key = `key-${Math.random().toString(36).slice(2)}`;
      const one = await publish(first, { type: SHARED_TYPE, payload: {}, idempotencyKey: key });
      const two = await publish(second, { type: SHARED_TYPE, payload: {}, idempotencyKey: key });
      expect(two.duplicate).toBe(false);
      expect(two.event.id).not.toBe(one.event.id);
      expect(await publish(first, { type: SHARED_TYPE, payload: {}, idempotencyKey: key })).toMatchObject({ duplicate: true, event: { id: one.event.id } });
      expect(await publish(second, { type: SHARED_TYPE, payload: {}, idempotencyKey: key })).toMatchObject({ duplicate: true, event: { id: two.event.id } });
    }
  });

  it("answers null to node(id:) over graphql-ws too, for every one of A's ids", async () => {
    const socket = await openSocket(hy.baseUrl);
    expect(await socket.init({ authorization: `Bearer ${tokenB}` })).toBe('ack');
    for (const id of Object.values(a)) {
      expect((await socket.operation('query ($id: ID!) { node(id: $id) { id } }', { id })).next, id).toEqual([{ data: { node: null } }]);
    }
    socket.close();
  });

  it('does not let B subscribe to an event type only A registered', async () => {
    await ok(hy.admin, 'registerEventType', { name: 'refund.only_a_has_this' });
    const refused = await mutate(tenantB, `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ${ERROR} } }`, {
      input: { integratorId: b.Integrator, name: 'b', url: receiverB.url, eventTypes: ['refund.only_a_has_this'] },
    });
    expect(refused).toMatchObject({ __typename: 'ValidationError', field: 'input.eventTypes' });
  });

  it("does not send a test event to A's webhook when B asks for one", async () => {
    const before = receiverA.requests.length;
    expect(await mutate(tenantB, `mutation ($input: SendTestEventInput!) { sendTestEvent(input: $input) { __typename ${ERROR} } }`, { input: { webhookId: a.Webhook } })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    await queueDrained();
    expect(receiverA.requests.length).toBe(before);
    expect((await db.one('select count(*)::int as n from delivery where webhook_id = $1 and tenant_id <> $2', [a.Webhook, tenantAId])).n).toBe(0);
  });

  it("tells B's subscriptions nothing of A's changes, filtered by A's ids or not", { timeout: 120_000 }, async () => {
    const subscriptions = operations().filter((o) => o.operation === 'subscription');
    const probes = subscriptions.flatMap(({ field }) => callsOf('subscription', field, a, receiverB.url)).map((call) => ({ call, stream: stream(hy.baseUrl, tokenB, call) }));
    // The same subscriptions with B's ids: once these hear of B's changes, A's (made first) would have arrived too.
    const controls = subscriptions.flatMap(({ field }) => callsOf('subscription', field, b, receiverB.url)).map((call) => ({ call, stream: stream(hy.baseUrl, tokenB, call) }));
    for (const { stream: s } of [...probes, ...controls]) await s.ready;
    const ofA = await publish(hy.admin, { type: SHARED_TYPE, payload: {} });
    await ok(hy.admin, 'updateWebhook', { id: a.Webhook, description: 'changed by A' });
    await retry(hy.admin, a.Delivery);
    await retryAll(hy.admin, a.Delivery);
    await eventually(async () => (await db.one('select count(*)::int as n from attempt where tenant_id = $1 and trigger = $2', [tenantAId, 'MANUAL'])).n > 0, 20_000, "A's manual attempt");
    await callInboundHook(hy.admin, a.InboundHook);
    await renameInboundHook(hy.admin, a.InboundHook, 'changed by A');
    await publish(tenantB, { type: SHARED_TYPE, payload: {} });
    await ok(tenantB, 'updateWebhook', { id: b.Webhook, description: 'changed by B' });
    await retry(tenantB, b.Delivery);
    await retryAll(tenantB, b.Delivery);
    await callInboundHook(tenantB, b.InboundHook);
    await renameInboundHook(tenantB, b.InboundHook, 'changed by B');
    for (const { call, stream: s } of controls) {
      await eventually(async () => s.messages.length > 0, 20_000, `B's subscription ${call.name} (${call.variant}) to hear of B's change`);
    }
    await queueDrained();
    const aIds = new Set([
      ...Object.values(a),
      ofA.event.id,
      ...(await db.query<{ id: string }>('select id from delivery where tenant_id = $1 union all select id from attempt where tenant_id = $1 union all select id from inbound_request where tenant_id = $1', [tenantAId])).map((r) => r.id),
    ]);
    for (const { call, stream: s } of [...probes, ...controls]) {
      const where = `subscription ${call.name} (${call.variant})`;
      const isProbe = probes.some((p) => p.call === call);
      // A's ids may be refused as not found (B has no such row); nothing else may go wrong.
      const codes = s.errors.flat().map((e: any) => e?.extensions?.code);
      expect(codes, where).toEqual(isProbe ? codes.map(() => 'NOT_FOUND') : []);
      for (const m of s.messages) for (const id of idsIn(m)) expect(aIds.has(id), `${where} told B of A's ${id}`).toBe(false);
      if (call.variant.startsWith('full') && isProbe) expect(s.messages.filter(Boolean), `${where} with A's ids`).toEqual([]);
    }
    for (const { stream: s } of [...probes, ...controls]) s.close();
  });

  it("reaches B's own rows with the same calls given B's ids, so the refusals above are isolation, not bad arguments", { timeout: 120_000 }, async () => {
    const misses: string[] = [];
    // Deleting and revoking last, so they do not take away what the other calls need.
    const order = (name: string) => (/^(delete|revoke)/.test(name) ? 1 : 0);
    const all = operations()
      .filter((o) => o.operation !== 'subscription')
      .sort((x, y) => order(x.field.name) - order(y.field.name));
    for (const { operation, field } of all) {
      if (!hasIdArgument(field)) continue;
      for (const call of callsOf(operation, field, b, receiverB.url).filter((c) => c.variant.startsWith('full'))) {
        const response = await tenantB(call.document, call.variables);
        const where = `${call.operation} ${call.name} (${call.variant})`;
        if (response.errors?.length) misses.push(`${where}: errors ${JSON.stringify(response.errors)}`);
        const result = (response.data as Record<string, any> | null)?.[field.name];
        if (operation === 'mutation' && result?.__typename === 'NotFoundError') misses.push(`${where}: ${result.message}`);
        if (operation === 'query') {
          const found = idsIn(response.data);
          if (!Object.values(b).some((id) => found.has(id))) misses.push(`${where}: found none of B's rows: ${JSON.stringify(response).slice(0, 300)}`);
        }
      }
    }
    expect(misses).toEqual([]);
  });

});

/** Calls an inbound hook's URL (the hooks here are stopped: the request is queued and stays). */
async function callInboundHook(client: GqlClient, hookId: string) {
  const url = (await client('query ($id: ID!) { node(id: $id) { ... on InboundHook { url } } }', { id: hookId })).data.node.url;
  expect((await fetch(url, { method: 'POST' })).status).toBe(200);
}

/** Renames an inbound hook (a change inboundHookUpdated pushes). */
async function renameInboundHook(client: GqlClient, hookId: string, name: string) {
  const result = await mutate(client, `mutation ($input: UpdateInboundHookInput!) { updateInboundHook(input: $input) { __typename ${ERROR} } }`, { input: { id: hookId, name } });
  expect(result.__typename).toBe('InboundHookPayload');
}

/** A bulk retry of one delivery; returns its id. */
async function retryAll(client: GqlClient, deliveryId: string): Promise<string> {
  const result = await mutate(client, `mutation ($input: RetryDeliveriesInput!) { retryDeliveries(input: $input) { __typename ... on RetryDeliveriesPayload { bulkRetry { id } } ${ERROR} } }`, { input: { filter: { ids: [deliveryId] } } });
  expect(result.__typename).toBe('RetryDeliveriesPayload');
  const id: string = result.bulkRetry.id;
  // Done queueing, so that waiting for the delivery queue to drain covers its attempt too.
  await eventually(async () => (await client('query ($id: ID!) { node(id: $id) { ... on BulkRetry { state } } }', { id })).data.node?.state === 'DONE', 20_000, `bulk retry ${id} DONE`);
  return id;
}

async function retry(client: GqlClient, id: string) {
  const result = await mutate(client, `mutation ($input: RetryDeliveryInput!) { retryDelivery(input: $input) { __typename ${ERROR} } }`, { input: { id } });
  expect(result.__typename).toBe('DeliveryPayload');
}

function hasIdArgument(field: GraphQLField<unknown, unknown>): boolean {
  return field.args.some((a) => holdsId(a.type));
}

/** A successful answer that changed nothing: a count of 0 (retryDeliveries with A's filter). */
function isHarmless(result: Record<string, unknown>): boolean {
  return Object.entries(result).every(([k, v]) => k === '__typename' || v === 0 || v === null || v === false || (Array.isArray(v) && v.length === 0));
}

/** One graphql-ws subscription on its own socket, collecting what it is sent. */
function stream(baseUrl: string, token: string, call: Call) {
  const messages: unknown[] = [];
  const errors: unknown[] = [];
  let close = () => {};
  const ready = (async () => {
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    close = () => ws.close();
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'connection_ack') {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: call.document, variables: call.variables } }));
          // The subscription is registered once the server has read the message; a ping after it proves that.
          ws.send(JSON.stringify({ type: 'ping' }));
        } else if (message.type === 'pong') resolve();
        else if (message.type === 'next') {
          if (message.payload.errors) errors.push(message.payload.errors);
          messages.push(message.payload.data);
        } else if (message.type === 'error') errors.push(message.payload);
      });
      ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    });
  })();
  return { messages, errors, ready, close: () => close() };
}
