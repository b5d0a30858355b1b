// Hostile input over every route and every GraphQL operation, from a seeded generator
// (fast-check): wrong types, huge and deep values, NUL and invalid UTF-8, other tenants'
// and other types' ids, bad cursors and page sizes, bad JSON, odd methods and content
// types, long paths. Against a real server process it proves: no answer is a 5xx or a
// masked internal error, no answer shows a stack or SQL, nothing is logged as an error,
// and the process is alive and healthy after.
//
// The seed is printed; replay a failure with FUZZ_SEED=<seed> npx vitest run test/api/fuzz.test.ts
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  getNamedType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../schema/graphql/schema.ts';
import { EXPORT_PARAMETERS } from '../../api/exports/export-params.ts';
import { createTestDatabase } from '../support/database.ts';
import { createIntegrator, createTenant, createWebhook, publish, registerEventType } from '../support/fixtures.ts';
import { gqlClient } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { rawRequest, type RawResponse } from '../support/raw-http.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const HTTP_RUNS = 700;
const GRAPHQL_RUNS = 1400;
const SOCKET_RUNS = 150;
const WS_RUNS = 200;
const ADMIN_TOKEN = 'hy_fuzz_admin_token_0123456789abcdef';

/** What no answer may show: a stack frame, a source location, or PostgreSQL's words. */
const LEAK =
  /\n\s+at [\w.<]|node_modules|\/work\/|\.ts:\d+:\d+|syntax error at or near|violates (foreign key|unique|not-null|check) constraint|invalid input syntax for|duplicate key value|relation "|column "|out of range for type|stack depth limit|unsupported Unicode escape|invalid byte sequence|Maximum call stack/i;

interface Fixtures {
  own: string[];
  others: string[];
  cursors: string[];
  otherToken: string;
}

// ---- values ------------------------------------------------------------------------------

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\uffff',
  '\u202e',
  "' OR 1=1 --",
  '"; drop table delivery; --',
  '%',
  '_',
  '\\',
  '%00',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '../../../../etc/passwd',
  'x'.repeat(201),
  'y'.repeat(5001),
  'z'.repeat(70_000),
  'invoice.*',
  '*',
  'http://127.0.0.1:1/',
  'javascript:alert(1)',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '2026-02-30T25:61:61Z',
  '0000-00-00',
  '9999-12-31T23:59:59.999999Z',
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => `${s}\u0000${s}`) },
);

const hostileInt = fc.oneof(
  fc.integer({ min: -5, max: 120 }),
  fc.constantFrom(0, -1, 100, 101, 1000, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 1e21),
  fc.double({ noNaN: true }),
);

function deep(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 3 === 0 ? [value] : { k: value };
  return value;
}

const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 90, max: 400 }).map((d) => deep(d)) },
  { weight: 1, arbitrary: hostileString.map((s) => ({ [s]: s, nested: [s] })) },
  { weight: 1, arbitrary: fc.constantFrom({ type: 'object', properties: { a: { $ref: '#' } } }, { $ref: 'http://127.0.0.1:1/schema.json' }, { pattern: '(a+)+$' }) },
  { weight: 1, arbitrary: fc.constant('w'.repeat(20_000)) },
);

/** Anything at all, for a value of the wrong type. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(hostileString, hostileInt, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }), fc.constant(deep(150)));

function idArbitrary(fixtures: Fixtures): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...fixtures.own) },
    { weight: 3, arbitrary: fc.constantFrom(...fixtures.others) },
    { weight: 1, arbitrary: fc.constantFrom(...fixtures.own).map((id) => `${id.slice(0, 4)}${id.slice(4).toLowerCase()}`) },
    { weight: 1, arbitrary: fc.constantFrom('whk_', 'dlv_00000000000000000000000000', 'evt_ZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'int_01K0000000000000000000000\u0000', 'ten_x', 'key_1') },
    { weight: 2, arbitrary: hostileString },
  );
}

function cursorArbitrary(fixtures: Fixtures): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom('bnVsbA==', 'bnVsbA', 'e30', 'W10', 'WzEsMl0', 'W251bGwsbnVsbF0', '!!!', 'eyJzIjoiIiwiayI6W119', ...fixtures.cursors),
    fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
    fc.tuple(fc.constantFrom(...fixtures.cursors), fc.integer({ min: 0, max: 30 })).map(([c, i]) => c.slice(0, i) + c.slice(i + 1)),
    hostileString,
  );
}

/** A value for an argument or input field of `type` (named `name`): mostly its type, sometimes not. */
function inputValue(type: GraphQLInputType, name: string, fixtures: Fixtures, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return fc.oneof({ weight: 12, arbitrary: inputValue(type.ofType, name, fixtures, depth) }, { weight: 1, arbitrary: fc.constant(null) });
  const wrong = { weight: 1, arbitrary: anyValue };
  if (isListType(type)) {
    const item = inputValue(type.ofType as GraphQLInputType, name, fixtures, depth + 1);
    return fc.oneof(
      { weight: 6, arbitrary: fc.array(item, { maxLength: 4 }) },
      // A long list of small items (a long list of large ones would only measure the network).
      { weight: 1, arbitrary: fc.noShrink(fc.array(fc.constantFrom(...fixtures.own, 'x', 1, null), { minLength: 990, maxLength: 1010 })) },
      wrong,
    );
  }
  if (isInputObjectType(type)) {
    if (depth > 3) return fc.constant({});
    const fields = Object.values(type.getFields());
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of fields) record[field.name] = inputValue(field.type, field.name, fixtures, depth + 1);
    const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
    return fc.oneof(
      { weight: 8, arbitrary: fc.record(record, { requiredKeys: required as never[] }) },
      { weight: 1, arbitrary: fc.record(record, { requiredKeys: [] }).map((v) => ({ ...v, unknownField: 1 })) },
      wrong,
    );
  }
  if (isEnumType(type)) return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...type.getValues().map((v) => v.name)) }, wrong);
  const scalar = getNamedType(type).name;
  if (/^(after|before)$/.test(name)) return fc.oneof({ weight: 6, arbitrary: cursorArbitrary(fixtures) }, wrong);
  if (/^(first|last)$/.test(name)) return fc.oneof({ weight: 6, arbitrary: hostileInt }, wrong);
  switch (scalar) {
    case 'ID':
      return fc.oneof({ weight: 8, arbitrary: idArbitrary(fixtures) }, wrong);
    case 'Int':
    case 'Float':
      return fc.oneof({ weight: 6, arbitrary: hostileInt }, wrong);
    case 'Boolean':
      return fc.oneof({ weight: 6, arbitrary: fc.boolean() }, wrong);
    case 'DateTime':
      return fc.oneof({ weight: 4, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) }, { weight: 2, arbitrary: hostileString }, wrong);
    case 'JSON':
      return hostileJson;
    default:
      return fc.oneof({ weight: 8, arbitrary: hostileString }, { weight: 2, arbitrary: fc.constantFrom('invoice.created', 'https://example.invalid/hook', 'ops@example.com') }, wrong);
  }
}

// ---- operations ----------------------------------------------------------------------------

/** Leaf fields of a type, and one level of its object fields' leaves: enough to run resolvers. */
function selection(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isUnionType(named)) {
    return `{ __typename ${named
      .getTypes()
      .map((member) => `... on ${member.name} ${selection(member, depth)}`)
      .join(' ')} }`;
  }
  if (isInterfaceType(named)) return '{ __typename ... on Error { code message } }';
  if (!isObjectType(named)) return '{ __typename }';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields()) as GraphQLField<unknown, unknown>[]) {
    if (field.args.some((a) => isNonNullType(a.type))) continue;
    const inner = getNamedType(field.type);
    if (isLeafType(inner)) parts.push(field.name);
    else if (depth < 1) parts.push(`${field.name} ${selection(field.type, depth + 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

interface Operation {
  kind: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
}

function operations(): Operation[] {
  const list: Operation[] = [];
  for (const [kind, root] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const) {
    for (const field of Object.values(root?.getFields() ?? {})) list.push({ kind, field: field as GraphQLField<unknown, unknown> });
  }
  return list;
}

function operationRequest(op: Operation, fixtures: Fixtures): fc.Arbitrary<{ query: string; variables: Record<string, unknown> }> {
  const args = op.field.args;
  const definitions = args.map((a, i) => `$a${i}: ${String(a.type)}`).join(', ');
  const call = args.length ? `(${args.map((a, i) => `${a.name}: $a${i}`).join(', ')})` : '';
  const query = `${op.kind}${definitions ? ` (${definitions})` : ''} { ${op.field.name}${call} ${selection(op.field.type)} }`;
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  args.forEach((a, i) => (record[`a${i}`] = inputValue(a.type, a.name, fixtures)));
  return fc.record(record, { requiredKeys: [] }).map((variables) => ({ query, variables }));
}

// ---- HTTP ------------------------------------------------------------------------------------

interface HttpCase {
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

const pathSegment = fc.oneof(
  fc.constantFrom('graphql', 'export', 'deliveries.csv', 'deliveries.pdf', 'metrics', 'healthz', '_app', 'immutable', 'index.html', '..', '.', '%2e%2e', '%2f', '%00', '%', '%zz', '%C0%AF', '%ED%A0%80', '%FF', '.env', '.git'),
  fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent),
  fc.integer({ min: 200, max: 400 }).map((n) => 'a'.repeat(n)),
);

function httpCase(fixtures: Fixtures): fc.Arbitrary<HttpCase> {
  const auth = fc.constantFrom<Record<string, string>>(
    { authorization: `Bearer ${ADMIN_TOKEN}` },
    { authorization: `Bearer ${fixtures.otherToken}` },
    {},
    { authorization: 'Bearer ' },
    { authorization: `Basic ${ADMIN_TOKEN}` },
    { authorization: `Bearer ${'x'.repeat(300)}` },
    { authorization: 'Bearer hy_%00' },
  );
  const exportParam = fc.tuple(
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...EXPORT_PARAMETERS) }, { weight: 1, arbitrary: hostileString }),
    fc.oneof(
      hostileString,
      idArbitrary(fixtures).map(String),
      fc.constantFrom('FAILED,RETRYING', 'failed', 'ATTEMPTS:DESC,CREATED_AT', 'NOPE:UP', 'CREATED_AT:ASC:X', ':', ',,,', 'true', 'maybe', '2026-01-01', '-99999999', '1e3'),
    ),
  );
  const encoded = (value: string) => {
    try {
      return encodeURIComponent(value);
    } catch {
      return '%ED%A0%80'; // a lone surrogate, as the bytes a browser cannot send
    }
  };
  const exportQuery = fc.array(exportParam, { maxLength: 6 }).map((params) => params.map(([k, v]) => `${encoded(k)}=${encoded(v)}`).join('&'));
  const rawQuery = fc.constantFrom('', '?', '?&&&', '?a', '?%', '?%00=%00', '?search=%ZZ', `?ids=${'dlv_x,'.repeat(2000)}`, '?query=%7B', '?query={viewer{role}}');
  const exportCase = fc.record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD', 'DELETE'),
    target: fc.tuple(fc.constantFrom('/export/deliveries.csv', '/export/deliveries.pdf'), fc.oneof(exportQuery.map((q) => `?${q}`), rawQuery)).map(([p, q]) => p + q),
    headers: auth,
  });
  const badBodies = fc.oneof(
    fc.constantFrom('', '{', '[]', 'null', '1', '"x"', '{"query": 1}', '{"query": null}', '{"query": "{ viewer { role } }", "variables": "x"}', '{"query": "{ viewer { role } }", "variables": []}', '{"query":"{ viewer { role } }","extensions":{"persistedQuery":{"sha256Hash":"x"}}}', '{"query":"{ viewer { role } }","operationName":"\\u0000"}', '{"query":"query A { viewer { role } } query A { viewer { role } }"}', '{"query":"{ __schema { types { name } } }"}', '{"query":"subscription { webhookUpdated { __typename } }"}', '[{"query":"{ viewer { role } }"}]', `{"query":"${'{ viewer '.repeat(500)}"}`, `{"query":"{ viewer { role } }", "variables": ${'['.repeat(5000)}${']'.repeat(5000)}}`, `${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.concat([Buffer.from('{"query":"{ viewer { role } }","x":"'), Buffer.from(bytes), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('"}')])),
  );
  const graphqlCase = fc.record({
    method: fc.constantFrom('POST', 'POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
    target: fc.oneof(fc.constant('/graphql'), rawQuery.map((q) => `/graphql${q}`)),
    headers: fc
      .tuple(
        auth,
        fc.constantFrom('application/json', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/graphql', 'application/graphql-response+json', '', 'x/y; a="'),
        fc.constantFrom<Record<string, string>>({}, { 'x-graphql-yoga-csrf': '1' }, { accept: 'text/event-stream' }, { accept: 'application/graphql-response+json' }, { 'content-encoding': 'gzip' }),
      )
      .map(([a, type, extra]) => ({ ...a, ...(type ? { 'content-type': type } : {}), ...extra })),
    body: badBodies,
  });
  const anyRoute = fc.record({
    method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PROPFIND', 'TRACE'),
    target: fc.oneof(
      fc.array(pathSegment, { minLength: 1, maxLength: 6 }).map((segments) => `/${segments.join('/')}`),
      fc.constantFrom('/metrics', '/healthz', '/metrics?x=%00', '/healthz/../metrics', '//graphql', '/graphql/', '/GRAPHQL', '/export/', '/export/deliveries.csv/', '/export/deliveries.xlsx', '/_app/immutable/x.js', `/${'a/'.repeat(1500)}`),
    ),
    headers: fc.oneof(auth, fc.constantFrom<Record<string, string>>({ origin: 'https://evil.example' }, { range: 'bytes=99999999-' }, { 'if-modified-since': 'yesterday' }, { 'accept-encoding': 'x'.repeat(4000) })),
  });
  return fc.oneof({ weight: 3, arbitrary: exportCase }, { weight: 3, arbitrary: graphqlCase }, { weight: 3, arbitrary: anyRoute });
}

// ---- checks ------------------------------------------------------------------------------------

function checkAnswer(what: string, response: RawResponse): void {
  // Without client/build the app shell is a 503 that says so (a state of the install, not a fault).
  const notBuilt = response.status === 503 && response.headers['retry-after'] === '30' && (response.body === '' || response.body.startsWith('The dashboard is not built'));
  if (response.status >= 500 && !notBuilt) throw new Error(`${what}: answered ${response.status}: ${response.body.slice(0, 500)}`);
  if (LEAK.test(response.body)) throw new Error(`${what}: the answer shows internals: ${response.body.slice(0, 1000)}`);
  if (/INTERNAL_SERVER_ERROR|Unexpected error\./.test(response.body)) throw new Error(`${what}: a masked internal error: ${response.body.slice(0, 500)}`);
}

/** Sends a raw request line and headers as given (bytes Node's client would refuse to write). */
function socketRequest(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      // One answer is enough; the server may keep the connection open.
      if (/\r\n\r\n/.test(answer)) socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(answer) : reject(error)));
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}

// ---- the suite -----------------------------------------------------------------------------------

describe('fuzzing every route and operation', () => {
  let server: ServerProcess;
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let baseUrl: string;
  let port: number;
  let fixtures: Fixtures;
  const counts = { http: 0, graphql: 0, socket: 0, ws: 0 };

  beforeAll(async () => {
    console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run test/api/fuzz.test.ts)`);
    database = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-fuzz-'));
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // The API only: no worker, so no webhook URL the fuzzer invents is ever called.
    server = startServerProcess({
      DATABASE_URL: database.url,
      HOOKYARD_DATA_DIR: dataDir,
      PORT: String(port),
      HOOKYARD_ROLE: 'api',
      HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN,
      HOOKYARD_URL_POLICY: 'permissive',
      HOOKYARD_WS_MESSAGES_PER_SECOND: '10000',
      HOOKYARD_WS_SOCKETS_PER_KEY: '10000',
      LOG_LEVEL: 'warn',
    });
    await server.ready();
    const admin = gqlClient(baseUrl, ADMIN_TOKEN);
    const eventType = await registerEventType(admin, 'invoice.created');
    const integrator = await createIntegrator(admin);
    const { webhook } = await createWebhook(admin, { integratorId: integrator.id, eventTypes: ['invoice.created'] });
    const published = await publish(admin, { type: 'invoice.created', payload: { id: 1 } });
    const deliveries = await admin('{ deliveries(first: 5) { edges { node { id } } pageInfo { endCursor } } }');
    const lists = await admin('{ integrators(first: 1) { pageInfo { endCursor } } events(first: 1) { pageInfo { endCursor } } }');
    const other = await createTenant(database.url, 'other tenant');
    const otherAdmin = gqlClient(baseUrl, other.token);
    await registerEventType(otherAdmin, 'invoice.created');
    const otherIntegrator = await createIntegrator(otherAdmin);
    const { webhook: otherWebhook } = await createWebhook(otherAdmin, { integratorId: otherIntegrator.id, eventTypes: ['invoice.created'] });
    const otherEvent = await publish(otherAdmin, { type: 'invoice.created', payload: { id: 2 } });
    const otherDeliveries = await otherAdmin('{ deliveries(first: 5) { edges { node { id } } } }');
    fixtures = {
      own: [eventType.id, integrator.id, webhook.id, published.event.id, ...deliveries.data.deliveries.edges.map((e: any) => e.node.id)],
      others: [otherWebhook.id, otherIntegrator.id, otherEvent.event.id, other.tenantId, ...otherDeliveries.data.deliveries.edges.map((e: any) => e.node.id)],
      cursors: [deliveries.data.deliveries.pageInfo.endCursor, lists.data.integrators.pageInfo.endCursor, lists.data.events.pageInfo.endCursor].filter(Boolean),
      otherToken: other.token,
    };
  }, 120_000);

  afterAll(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it(`answers ${HTTP_RUNS} hostile HTTP requests over every route as client errors`, { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(httpCase(fixtures), async (c) => {
        counts.http++;
        let response: RawResponse;
        try {
          response = await rawRequest(baseUrl, c.target, { method: c.method, headers: c.headers, body: c.method === 'GET' || c.method === 'HEAD' ? undefined : c.body });
        } catch (error) {
          // A request line over Node's header limit is answered 431, and a method a route refuses
          // is answered before its body is read; either way Node closes the connection while a
          // client with a large body may still be writing: a reset is the expected end of that
          // (the process's health is checked after the run).
          const refusedUnread = c.target.length > 8000 || (!['GET', 'HEAD', 'POST'].includes(c.method) && (c.body?.length ?? 0) > 16 * 1024);
          if (refusedUnread && /ECONNRESET|EPIPE|socket hang up/.test(String(error))) return;
          throw error;
        }
        checkAnswer(`${c.method} ${c.target.slice(0, 200)}`, response);
      }),
      { seed: SEED, numRuns: HTTP_RUNS, endOnFailure: true },
    );
  });

  it(`answers ${GRAPHQL_RUNS} hostile GraphQL operations over HTTP (every query and mutation) without an internal error`, { timeout: 120_000 }, async () => {
    // Subscriptions over HTTP stream (server-sent events) until the client leaves: they are
    // fuzzed over graphql-ws below.
    const all = operations().filter((op) => op.kind !== 'subscription');
    const request = fc.oneof(...all.map((op) => operationRequest(op, fixtures)));
    const token = fc.constantFrom(ADMIN_TOKEN, ADMIN_TOKEN, ADMIN_TOKEN, fixtures.otherToken);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(request, token, async ({ query, variables }, bearer) => {
        counts.graphql++;
        seen.add(query.split(/[({]/)[1]?.trim() ?? query);
        // JSON text by hand: a few values nest too deep for JSON.stringify's own taste.
        const body = JSON.stringify({ query, variables });
        const started = performance.now();
        const response = await rawRequest(baseUrl, '/graphql', { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body });
        if (process.env.FUZZ_SLOW && performance.now() - started > 300) console.log(`slow ${Math.round(performance.now() - started)} ms, ${body.length} bytes: ${body.slice(0, 300)}`);
        checkAnswer(query.slice(0, 200), response);
      }),
      { seed: SEED + 1, numRuns: GRAPHQL_RUNS, endOnFailure: true },
    );
    // Every operation was tried at least once.
    expect(seen.size).toBeGreaterThan(all.length / 2);
  });

  it(`answers ${WS_RUNS} hostile graphql-ws messages (every operation, subscriptions too) without an internal error`, { timeout: 120_000 }, async () => {
    const all = operations();
    const subscribe = fc.oneof(...all.map((op) => operationRequest(op, fixtures))).map((payload) => ({ type: 'subscribe', payload }));
    const garbage = fc.oneof(
      fc.constantFrom('{', 'null', '[]', '{"type":"subscribe"}', '{"type":"subscribe","id":1,"payload":{"query":"{ viewer { role } }"}}', '{"type":"nope"}', '{"type":"connection_init"}', '{"type":"pong"}', '{"type":"complete","id":"zz"}'),
      fc.string({ unit: 'binary', maxLength: 50 }),
    );
    const message = fc.oneof({ weight: 4, arbitrary: subscribe.map((m) => ({ json: m })) }, { weight: 1, arbitrary: garbage.map((text) => ({ text })) });
    let ws: WebSocket | null = null;
    let closeCode: number | null = null;
    const inbox: any[] = [];
    const connect = async () => {
      ws = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
      closeCode = null;
      ws.on('message', (data) => inbox.push(JSON.parse(String(data))));
      ws.on('close', (code) => (closeCode = code));
      await new Promise<void>((resolve, reject) => {
        ws!.once('open', () => resolve());
        ws!.once('error', reject);
      });
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
    };
    let id = 0;
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        counts.ws++;
        if (!ws || closeCode !== null) await connect();
        const sent = 'json' in m ? JSON.stringify({ ...m.json, id: String(++id) }) : m.text;
        ws!.send(sent);
        // Let the server answer before the next message.
        const until = Date.now() + 2000;
        while (closeCode === null && !inbox.some((x) => x.id === String(id) && x.type !== 'next') && 'json' in m && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
        if (closeCode !== null && closeCode >= 4500) throw new Error(`the server closed the socket with ${closeCode} after ${sent.slice(0, 300)}`);
        const text = JSON.stringify(inbox.splice(0));
        if (LEAK.test(text) || /INTERNAL_SERVER_ERROR|Unexpected error\./.test(text)) throw new Error(`internals after ${sent.slice(0, 300)}: ${text.slice(0, 1000)}`);
      }),
      { seed: SEED + 2, numRuns: WS_RUNS, endOnFailure: true },
    );
    (ws as WebSocket | null)?.close();
  });

  it(`answers ${SOCKET_RUNS} malformed request lines and headers (raw bytes) with a 4xx, or closes`, { timeout: 120_000 }, async () => {
    const line = fc.oneof(
      fc.constantFrom('GET / HTTP/1.1', 'GET /\u0000 HTTP/1.1', 'GET /\u00ff HTTP/1.1', 'GET * HTTP/1.1', 'GET http://127.0.0.1/graphql HTTP/1.1', 'GET //../../ HTTP/1.1', 'BREW / HTTP/1.1', 'GET / HTTP/9.9', 'GET  / HTTP/1.1', `GET /${'a'.repeat(20_000)} HTTP/1.1`, 'POST /graphql HTTP/1.1'),
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `GET /${s} HTTP/1.1`),
    );
    const headers = fc.oneof(
      fc.constantFrom('Host: x', 'Host: x\r\nContent-Length: -1', 'Host: x\r\nContent-Length: 5\r\nContent-Length: 6', 'Host: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3', 'Host: x\r\nX: \u0000', 'Host: x\r\nAuthorization: Bearer \u00ff', `Host: x\r\nX-Big: ${'b'.repeat(20_000)}`, 'Host: x\r\n: empty', 'Host: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `Host: x\r\nX-Fuzz: ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(line, headers, async (l, h) => {
        counts.socket++;
        const answer = await socketRequest(port, Buffer.from(`${l}\r\n${h}\r\n\r\n`, 'latin1'));
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
        const notBuilt = status === 503 && answer.includes('The dashboard is not built');
        if (status >= 500 && !notBuilt) throw new Error(`${JSON.stringify(l).slice(0, 100)}: answered ${answer.slice(0, 300)}`);
        if (LEAK.test(answer)) throw new Error(`${JSON.stringify(l).slice(0, 100)}: internals: ${answer.slice(0, 500)}`);
      }),
      { seed: SEED + 3, numRuns: SOCKET_RUNS, endOnFailure: true },
    );
  });

  it('leaves the process alive and healthy, having logged no error', async () => {
    const total = counts.http + counts.graphql + counts.socket + counts.ws;
    console.log(`fuzz seed ${SEED}: ${total} hostile requests (${JSON.stringify(counts)})`);
    expect(total).toBeGreaterThanOrEqual(2000);
    expect(server.child.exitCode).toBeNull();
    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect((await gqlClient(baseUrl, ADMIN_TOKEN)('{ viewer { role } }')).data).toEqual({ viewer: { role: 'ADMIN' } });
    expect(server.stderr()).toBe('');
    const errors = server
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.level >= 50);
    expect(errors, JSON.stringify(errors).slice(0, 3000)).toEqual([]);
  });
});
