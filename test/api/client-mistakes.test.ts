// The client's mistakes are the client's errors: a NUL or invalid Unicode in any string
// or id, a garbled cursor, a payload nested past the limit each answer a VALIDATION error
// naming the field (GraphQL, both transports) or a 400 (exports), and log nothing at
// error level: no masked "Unexpected error.", no stack trace.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { startHookyard, type Running } from '../../start.ts';
import { createTestDatabase } from '../support/database.ts';
import { gqlClient, type GqlClient } from '../support/graphql.ts';
import { createIntegrator, createWebhook, registerEventType, ERROR } from '../support/fixtures.ts';
import { openSocket } from '../support/ws.ts';

const ADMIN_TOKEN = 'hy_client_mistakes_test_token_0123456789';

/** Variables as JSON text: JSON.stringify itself overflows the stack on 10,000 levels. */
function nestedJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

describe('client mistakes', () => {
  const logged: any[] = [];
  let running: Running;
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let admin: GqlClient;
  let baseUrl: string;
  let webhookId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-data-'));
    const config = loadConfig({ DATABASE_URL: database.url, HOOKYARD_DATA_DIR: dataDir, PORT: '0', HOOKYARD_SMTP_PORT: '0', LOG_LEVEL: 'warn', HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN, HOOKYARD_URL_POLICY: 'permissive' });
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    running = await startHookyard(config, log);
    baseUrl = running.baseUrl!;
    admin = gqlClient(baseUrl, ADMIN_TOKEN);
    await registerEventType(admin, 'invoice.created');
    const integrator = await createIntegrator(admin);
    webhookId = (await createWebhook(admin, { integratorId: integrator.id, eventTypes: ['invoice.created'] })).webhook.id;
  });

  afterAll(async () => {
    await running?.stop();
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** A GraphQL POST whose variables are given as JSON text. */
  const rawGraphql = async (query: string, variables: string) => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: `{"query":${JSON.stringify(query)},"variables":${variables}}`,
    });
    return (await response.json()) as { data: any; errors?: any[] };
  };

  /**
   * A VALIDATION failure naming `field`: a mutation's typed ValidationError result, or for
   * a query (no error union) a GraphQL error with extensions.code VALIDATION. Returns its message.
   */
  const validation = (response: { data?: any; errors?: any[] }, field: string | RegExp): string => {
    const typed = Object.values(response.data ?? {}).find((value: any) => value?.__typename === 'ValidationError') as any;
    if (typed) {
      expect(response.errors, JSON.stringify(response)).toBeUndefined();
      expect(typed).toMatchObject({ code: 'VALIDATION', field });
      return typed.message;
    }
    expect(response.errors, JSON.stringify(response)).toHaveLength(1);
    expect(response.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field });
    expect(response.errors![0].message).not.toMatch(/Unexpected error/);
    return response.errors![0].message;
  };

  it('answers a subscription sent over plain HTTP without asking for a stream with 400 at once, and streams it as Server-Sent Events when asked', async () => {
    const post = (accept?: string) =>
      fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', ...(accept ? { accept } : {}) },
        body: JSON.stringify({ query: 'subscription { webhookUpdated { __typename } }' }),
        signal: AbortSignal.timeout(10_000),
      });
    for (const accept of [undefined, 'application/json', 'application/graphql-response+json']) {
      const refused = await post(accept);
      expect(refused.status, String(accept)).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain('a subscription needs a stream');
    }
    const controller = new AbortController();
    const streamed = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { webhookUpdated { __typename } }' }),
      signal: controller.signal,
    });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
  });

  it('refuses a NUL in a name, passed as a variable or written in the query', async () => {
    // A mutation answers its typed ValidationError.
    expect(validation(await admin(`mutation($i: CreateIntegratorInput!) { createIntegrator(input: $i) { ${ERROR} } }`, { i: { name: 'Acme\u0000' } }), 'input.name')).toMatch(/NUL/);
    expect(validation(await admin(`mutation { createIntegrator(input: { name: "Acme\\u0000" }) { ${ERROR} } }`), 'input.name')).toMatch(/NUL/);
  });

  it('refuses a NUL in a search, a reason and an id', async () => {
    validation(await admin('query($s: String) { deliveries(filter: { search: $s }) { totalCount } }', { s: '\u0000' }), 'filter.search');
    validation(await admin('{ deliveries(filter: { search: "a\\u0000" }) { totalCount } }'), 'filter.search');
    validation(await admin('{ webhooks(filter: { search: "\\u0000" }) { totalCount } }'), 'filter.search');
    validation(await admin(`mutation($id: ID!) { pauseWebhook(input: { id: $id, reason: "x\\u0000" }) { ${ERROR} } }`, { id: webhookId }), 'input.reason');
    validation(await admin('query($id: ID!) { node(id: $id) { id } }', { id: 'whk_\u0000' }), 'id');
    validation(await admin('query($id: ID!) { node(id: $id) { id } }', { id: 'whk_\ud800' }), 'id');
    validation(await admin('{ node(id: "\\u0000") { id } }'), 'id');
    validation(await admin('{ deliveries(filter: { ids: ["dlv_\\u0000"] }) { totalCount } }'), 'filter.ids[0]');
  });

  it('refuses invalid Unicode (an unpaired surrogate) the same way', async () => {
    const response = await admin(`mutation($i: CreateIntegratorInput!) { createIntegrator(input: $i) { ${ERROR} } }`, { i: { name: 'Acme \ud800' } });
    expect(validation(response, 'input.name')).toMatch(/Unicode/);
  });

  it('refuses a NUL in a JSON payload, in a value or in a key', async () => {
    const publish = `mutation($p: JSON!) { publishEvent(input: { type: "invoice.created", payload: $p }) { __typename ${ERROR} } }`;
    expect(validation(await admin(publish, { p: { note: 'a\u0000b' } }), 'input.payload')).toMatch(/input\.payload\.note contains a NUL/);
    expect(validation(await admin(publish, { p: { 'a\u0000': 1 } }), 'input.payload')).toMatch(/a key in input\.payload contains a NUL/);
  });

  it('refuses the cursor bnVsbA== ("null") and other garbage on every list, but takes the cursors it gave out', async () => {
    for (const list of ['integrators', 'webhooks', 'eventTypes']) {
      validation(await admin(`{ ${list}(after: "bnVsbA==") { totalCount } }`), 'after');
      validation(await admin(`{ ${list}(after: "bnVsbA") { totalCount } }`), 'after');
      validation(await admin(`{ ${list}(last: 1, before: "WzEsMl0") { totalCount } }`), 'before');
      validation(await admin(`{ ${list}(after: "${Buffer.from('["2026-01-01T00:00:00.000Z","x"]').toString('base64url')}") { totalCount } }`), 'after');
    }
    validation(await admin('{ deliveries(after: "bnVsbA==") { totalCount } }'), 'after');
    validation(await admin('{ events(after: "bnVsbA") { totalCount } }'), 'after');
    validation(await admin('{ attempts(after: "bnVsbA") { totalCount } }'), 'after');
    await registerEventType(admin, 'invoice.paid');
    const first = await admin('{ eventTypes(first: 1) { edges { node { name } } pageInfo { endCursor } } }');
    const next = await admin(`{ eventTypes(first: 1, after: "${first.data.eventTypes.pageInfo.endCursor}") { edges { node { name } } } }`);
    expect(next.errors).toBeUndefined();
    expect(next.data.eventTypes.edges).toHaveLength(1);
    expect(next.data.eventTypes.edges[0].node.name).not.toBe(first.data.eventTypes.edges[0].node.name);
  });

  it('takes a payload nested exactly 100 levels (the default limit) and refuses 101 and 10,000', async () => {
    const publish = `mutation($p: JSON!) { publishEvent(input: { type: "invoice.created", payload: $p }) { __typename ${ERROR} } }`;
    const atLimit = await admin(publish, { p: nested(100) });
    expect(atLimit.errors, JSON.stringify(atLimit.errors)).toBeUndefined();
    expect(atLimit.data.publishEvent.__typename).toBe('PublishedEvent');
    expect(validation(await admin(publish, { p: nested(101) }), 'input.payload')).toMatch(/deeper than 100 levels/);
    validation(await rawGraphql(publish, `{"p":${nestedJson(10_000)}}`), 'input.payload');
    // Inside an input variable the limit counts from the payload, not from the input around it.
    const inInput = await admin(`mutation($e: PublishEventInput!) { publishEvent(input: $e) { __typename ${ERROR} } }`, { e: { type: 'invoice.created', payload: nested(100) } });
    expect(inInput.data?.publishEvent?.__typename, JSON.stringify(inInput)).toBe('PublishedEvent');
    validation(await rawGraphql(`mutation($e: PublishEventInput!) { publishEvent(input: $e) { __typename ${ERROR} } }`, `{"e":{"type":"invoice.created","payload":${nestedJson(10_000)}}}`), 'input.payload');
  });

  it('refuses a deep JSON literal written in the query, and a deep JSON Schema', async () => {
    const literal = (depth: number) => '{ a: '.repeat(depth) + '1' + ' }'.repeat(depth);
    const ok = await admin(`mutation { publishEvent(input: { type: "invoice.created", payload: ${literal(100)} }) { __typename ${ERROR} } }`);
    expect(ok.data?.publishEvent?.__typename, JSON.stringify(ok)).toBe('PublishedEvent');
    validation(await admin(`mutation { publishEvent(input: { type: "invoice.created", payload: ${literal(101)} }) { __typename ${ERROR} } }`), 'input.payload');
    validation(await rawGraphql(`mutation($s: JSON) { registerEventType(input: { name: "deep.schema", schema: $s }) { __typename ${ERROR} } }`, `{"s":${nestedJson(10_000)}}`), 'input.schema');
  });

  it('answers the same over graphql-ws', async () => {
    const socket = await openSocket(baseUrl);
    try {
      expect(await socket.init({ authorization: `Bearer ${ADMIN_TOKEN}` })).toBe('ack');
      const result = await socket.operation('subscription($w: ID) { webhookUpdated(webhookId: $w) { __typename } }', { w: '\u0000' });
      // graphql-ws hands it over as a result with errors, then completes.
      expect((result.error?.[0] ?? result.next[0]?.errors?.[0])?.extensions).toMatchObject({ code: 'VALIDATION', field: 'webhookId' });
      const query = await socket.operation('{ deliveries(filter: { search: "\\u0000" }) { totalCount } }');
      expect(query.next[0]?.errors?.[0]?.extensions ?? query.error?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'filter.search' });
    } finally {
      socket.close();
    }
  });

  it('answers 400 naming the parameter for a NUL in an export parameter', async () => {
    for (const name of ['search', 'eventType', 'integratorId', 'webhookId', 'ids', 'status', 'orderBy']) {
      for (const format of ['csv', 'pdf']) {
        const response = await fetch(`${baseUrl}/export/deliveries.${format}?${name}=a%00b`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(response.status, `${format} ${name}`).toBe(400);
        const body = (await response.json()) as any;
        expect(body.error).toMatchObject({ code: 'VALIDATION', field: name });
        expect(body.error.message).toMatch(/NUL/);
      }
    }
  });

  it('logged no error and no stack trace for any of it', () => {
    const errors = logged.filter((entry) => entry.level >= 50 || entry.err?.stack);
    expect(errors, JSON.stringify(errors).slice(0, 2000)).toEqual([]);
  });
});
