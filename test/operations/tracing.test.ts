// OpenTelemetry across processes: an API process and a worker process export OTLP/HTTP
// JSON to a collector stand-in on 127.0.0.1. One event's trace runs from the producer's
// traceparent through the GraphQL operation, the publish and its SQL, to each attempt
// (failed, retried, succeeded) in the worker, whose request carries its span's
// traceparent to the receiver. Without an endpoint, no SDK module loads and no header goes out.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { startHookyardProcess, type HookyardProcess } from '../support/processes.ts';
import { gqlClient, mutate } from '../support/graphql.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { startOtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { createInboundHook } from '../inbound/support.ts';

const SPY = ['--import', path.resolve(import.meta.dirname, '../support/otel-module-spy.ts')];
const ADMIN = `hy_${'t'.repeat(43)}`;
const PRODUCER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';
const INBOUND_TRACE = '0af7651916cd43dd8448eb211c80319c';
const INBOUND_SPAN = 'b7ad6b7169203331';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const CLIENT = 3;
const SERVER = 2;

/** A span of the pg instrumentation (its attribute names follow the semantic conventions' version). */
function isSql(span: ReceivedSpan): boolean {
  return (span.attributes['db.system.name'] ?? span.attributes['db.system']) === 'postgresql';
}

/** The OTel packages a process loaded, as its spy printed them. */
function loadedOtelModules(process: HookyardProcess): string[] {
  return [...process.stderr().matchAll(/^otel module loaded: (\S+)$/gm)].map((m) => m[1]);
}

describe('OpenTelemetry tracing across an API and a worker process', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let api: HookyardProcess;
  let worker: HookyardProcess;
  let baseUrl: string;
  let traced: Receiver;
  let untraced: Receiver;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-otel-'));
    otlp = await startOtlpReceiver();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' };
    const common = { DATABASE_URL: database.url, HOOKYARD_ADMIN_TOKEN: ADMIN, HOOKYARD_DATA_DIR: dataDir, HOOKYARD_URL_POLICY: 'permissive' };
    const port = await freePort();
    api = await startHookyardProcess({ ...common, ...otel, OTEL_SERVICE_NAME: 'hookyard-api', HOOKYARD_ROLE: 'api', PORT: String(port), LOG_LEVEL: 'warn' }, SPY);
    worker = await startHookyardProcess({ ...common, ...otel, OTEL_SERVICE_NAME: 'hookyard-worker', HOOKYARD_ROLE: 'worker', LOG_LEVEL: 'debug' }, SPY);
    baseUrl = `http://127.0.0.1:${port}`;
    let calls = 0;
    // The first attempt fails (500); its retry succeeds.
    traced = await startReceiver((_r, res) => void res.writeHead(++calls === 1 ? 500 : 200).end(calls === 1 ? 'try again' : 'ok'));
    untraced = await startReceiver();
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await traced?.close();
    await untraced?.close();
    await otlp?.close();
    await database?.drop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** Spans of one trace, once `done` holds for them (the exporters send in batches). */
  function traceOf(traceId: string, done: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
    return eventually(async () => {
      const spans = otlp.spans.filter((s) => s.traceId === traceId);
      return done(spans) ? spans : null;
    }, 30_000, `the spans of trace ${traceId}`);
  }

  it('follows one event from the producer through a failed attempt, its retry and the success, in one trace', async () => {
    const admin = gqlClient(baseUrl, ADMIN);
    const setup = await createWebhookSetup(admin, traced.url, { webhook: { retrySchedule: [1] } });
    const quiet = await mutate(
      admin,
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on WebhookWithSecretPayload { webhook { id sendTraceContext } } } }`,
      { input: { integratorId: setup.integratorId, name: 'No trace context', url: untraced.url, eventTypes: [setup.eventType], sendTraceContext: false } },
    );
    expect(quiet.webhook.sendTraceContext).toBe(false);

    // The producer's own trace: its traceparent on the GraphQL request.
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}`, traceparent: `00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01` },
      body: JSON.stringify({
        query: `mutation($input: PublishEventInput!) { publishEvent(input: $input) { ... on PublishedEvent { event { id } deliveryCount } } }`,
        variables: { input: { type: setup.eventType, payload: { invoice: 'inv_payload_marker' } } },
      }),
    });
    const published = (await response.json()).data.publishEvent;
    expect(published.deliveryCount).toBe(2);
    await traced.waitFor(2, 30_000);
    await untraced.waitFor(1, 30_000);

    const spans = await traceOf(PRODUCER_TRACE, (s) => s.filter((x) => x.name.startsWith('deliver ')).length >= 3 && s.filter((x) => x.kind === CLIENT && x.name === 'POST').length >= 3);
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    // The API process: the GraphQL operation continues the producer's span, the publish is beneath it, its SQL beneath that.
    const operation = spans.find((s) => s.kind === SERVER)!;
    expect(operation).toMatchObject({ service: 'hookyard-api', name: 'mutation', parentSpanId: PRODUCER_SPAN, attributes: { 'graphql.operation.type': 'mutation', 'http.route': '/graphql' } });
    const publishSpan = spans.find((s) => s.name === 'hookyard publish')!;
    expect(publishSpan).toMatchObject({ service: 'hookyard-api', parentSpanId: operation.spanId, attributes: { 'hookyard.event.id': published.event.id, 'hookyard.delivery.count': 2 } });
    const underPublish = (s: ReceivedSpan): boolean => s.parentSpanId === publishSpan.spanId || (byId.has(s.parentSpanId) && underPublish(byId.get(s.parentSpanId)!));
    expect(spans.filter((s) => s.service === 'hookyard-api' && isSql(s) && underPublish(s)).map((s) => String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? ''))).toEqual(
      expect.arrayContaining([expect.stringMatching(/insert into delivery/)]),
    );

    // The worker process: each attempt a `deliver` span under the publish, its HTTP request a client span beneath.
    const delivers = spans.filter((s) => s.name === `deliver ${setup.eventType}`);
    expect(delivers.every((s) => s.service === 'hookyard-worker' && s.parentSpanId === publishSpan.spanId)).toBe(true);
    const toTraced = delivers.filter((s) => s.attributes['hookyard.webhook.id'] === setup.webhookId).sort((a, b) => Number(a.attributes['hookyard.attempt.number']) - Number(b.attributes['hookyard.attempt.number']));
    expect(toTraced.map((s) => [s.attributes['hookyard.attempt.number'], s.attributes['hookyard.delivery.status']])).toEqual([
      [1, 'RETRYING'],
      [2, 'SUCCEEDED'],
    ]);
    expect(toTraced[0].events.map((e) => e.name)).toContain('retry scheduled');
    const deliveryId = toTraced[0].attributes['hookyard.delivery.id'];
    expect(toTraced[0].attributes).toMatchObject({
      'hookyard.event.id': published.event.id,
      'hookyard.webhook.id': setup.webhookId,
      'hookyard.integrator.id': setup.integratorId,
      'hookyard.tenant.id': expect.any(String),
      'hookyard.attempt.trigger': 'SCHEDULED',
    });
    expect(toTraced[1].attributes['hookyard.delivery.id']).toBe(deliveryId);
    const requests = toTraced.map((d) => spans.find((s) => s.kind === CLIENT && s.parentSpanId === d.spanId)!);
    expect(requests.map((r) => [r.attributes['http.response.status_code'], r.attributes['error.type'] ?? null, r.statusCode])).toEqual([
      [500, '500', 2],
      [200, null, 0],
    ]);
    expect(requests.every((r) => typeof r.attributes['hookyard.attempt.duration_ms'] === 'number' && r.attributes['server.address'] === '127.0.0.1')).toBe(true);
    // The recording SQL of an attempt shows beneath it.
    expect(spans.some((s) => s.service === 'hookyard-worker' && isSql(s) && s.parentSpanId === toTraced[1].spanId)).toBe(true);

    // Each request to the receiver carried its client span's traceparent; the webhook that said no got none.
    expect(traced.requests.map((r) => TRACEPARENT.exec(String(r.headers.traceparent))?.slice(1))).toEqual(requests.map((r) => [PRODUCER_TRACE, r.spanId]));
    expect(untraced.requests[0].headers.traceparent).toBeUndefined();
    // The attempt log shows the header as it was sent.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const logged = (await client.query(`select request_headers->>'traceparent' as tp from attempt where delivery_id = $1 order by attempt_number`, [deliveryId])).rows.map((r) => r.tp);
      expect(logged).toEqual(traced.requests.map((r) => r.headers.traceparent));
    } finally {
      await client.end();
    }

    // Nothing secret or private in any span: not the payload, the receiver's URL path, nor a header value.
    const everything = JSON.stringify(otlp.spans.map((s) => [s.attributes, s.events]));
    expect(everything).not.toContain('inv_payload_marker');
    expect(everything).not.toContain(new URL(traced.url).pathname + '"');
    expect(everything).not.toContain(setup.secret);
    expect(everything).not.toContain(ADMIN);

    // The worker's log line about each attempt carries the delivery's ids and the trace id.
    const lines = worker.logs().filter((l) => l.msg === 'attempt recorded' && l.deliveryId === deliveryId);
    expect(lines.map((l) => [l.attemptNumber, l.status, l.trace_id, l.eventId, l.webhookId])).toEqual([
      [1, 'RETRYING', PRODUCER_TRACE, published.event.id, setup.webhookId],
      [2, 'SUCCEEDED', PRODUCER_TRACE, published.event.id, setup.webhookId],
    ]);
    // The SDK is what both processes loaded (the spy that the next test relies on sees it).
    expect(loadedOtelModules(worker)).toContain('@opentelemetry/sdk-node');
    expect(loadedOtelModules(api)).toContain('@opentelemetry/instrumentation-pg');
  }, 90_000);

  it("continues an inbound caller's trace into the event it publishes and that event's attempts", async () => {
    const admin = gqlClient(baseUrl, ADMIN);
    const hook = await createInboundHook(admin, { eventType: 'order.received', noRateLimit: true });
    const receiver = await startReceiver();
    try {
      await createWebhookSetup(admin, receiver.url, { eventType: 'order.received' });
      const answer = await fetch(hook.url, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: `00-${INBOUND_TRACE}-${INBOUND_SPAN}-01` }, body: JSON.stringify({ order: 7 }) });
      expect(answer.status).toBeLessThan(300);
      await receiver.waitFor(1, 30_000);
      // The attempt's span ends (and is exported) after its request's: wait for both.
      const spans = await traceOf(INBOUND_TRACE, (s) => s.some((x) => x.kind === CLIENT && x.name === 'POST') && s.some((x) => x.name === 'deliver order.received'));
      const server = spans.find((s) => s.kind === SERVER)!;
      expect(server).toMatchObject({ service: 'hookyard-api', name: 'POST /in/{token}', parentSpanId: INBOUND_SPAN });
      const processing = spans.find((s) => s.name === 'hookyard process inbound request')!;
      expect(processing).toMatchObject({ service: 'hookyard-worker', parentSpanId: server.spanId });
      const deliver = spans.find((s) => s.name === 'deliver order.received')!;
      expect(deliver.parentSpanId).toBe(processing.spanId);
      expect(TRACEPARENT.exec(String(receiver.requests[0].headers.traceparent))?.[1]).toBe(INBOUND_TRACE);
      // The token in the hook's URL is no span's business.
      expect(JSON.stringify(otlp.spans)).not.toContain(new URL(hook.url).pathname.split('/').pop()!);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});

describe('with no OTLP endpoint', () => {
  it('loads no OpenTelemetry SDK module and sends no traceparent', async () => {
    const database = await createTestDatabase();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-otel-off-'));
    const receiver = await startReceiver();
    const port = await freePort();
    const hookyard = await startHookyardProcess(
      { DATABASE_URL: database.url, HOOKYARD_ADMIN_TOKEN: ADMIN, HOOKYARD_DATA_DIR: dataDir, HOOKYARD_URL_POLICY: 'permissive', PORT: String(port), LOG_LEVEL: 'warn', OTEL_SERVICE_NAME: 'ignored' },
      SPY,
    );
    try {
      const admin = gqlClient(`http://127.0.0.1:${port}`, ADMIN);
      const setup = await createWebhookSetup(admin, receiver.url);
      // The webhook setting: on by default, and changed by updateWebhook like any other.
      const setting = async (input: Record<string, unknown>) =>
        (await mutate(admin, `mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { ... on WebhookPayload { webhook { sendTraceContext } } } }`, { input: { id: setup.webhookId, ...input } })).webhook.sendTraceContext;
      expect(await setting({})).toBe(true);
      expect(await setting({ sendTraceContext: false })).toBe(false);
      expect(await setting({ name: 'Renamed' })).toBe(false);
      expect(await setting({ sendTraceContext: true })).toBe(true);
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}`, traceparent: `00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01` },
        body: JSON.stringify({ query: `mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename } }`, variables: { input: { type: setup.eventType, payload: {} } } }),
      });
      expect((await response.json()).data.publishEvent.__typename).toBe('PublishedEvent');
      expect((await publish(admin, { type: setup.eventType, payload: {} })).__typename).toBe('PublishedEvent');
      await receiver.waitFor(2, 30_000);
      expect(receiver.requests.map((r) => r.headers.traceparent)).toEqual([undefined, undefined]);
      expect(loadedOtelModules(hookyard)).toEqual([]);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        expect((await client.query(`select count(*)::int as n from delivery where trace_parent is not null`)).rows[0].n).toBe(0);
      } finally {
        await client.end();
      }
    } finally {
      await hookyard.stop();
      await receiver.close();
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
