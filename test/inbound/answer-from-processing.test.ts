// An IMMEDIATE hook that answers from processing: 200 with the event id, 500 when the
// publish is refused, 200 Accepted (the item queued, processed later) when processing
// takes longer than the wait; each answer logged as sent. The wait is shortened here
// (HOOKYARD_INBOUND_ANSWER_WAIT_MS), and a webhook row locked by the test holds the publish.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually } from '../support/receiver.ts';
import { createWebhook, ok } from '../support/fixtures.ts';
import { sql } from '../support/sql.ts';
import { call, createInboundHook, inboundRequests, runInbound } from './support.ts';

const WAIT_MS = 4000;

describe('an inbound hook that answers from processing', () => {
  const hy = useTestHookyard({ HOOKYARD_INBOUND_ANSWER_WAIT_MS: String(WAIT_MS) });

  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  async function onlyRequest(hookId: string): Promise<any> {
    const [request] = await inboundRequests(hy.admin, { hookId });
    return request;
  }

  it('publishes at once and answers 200 with the event id, which the log and the event agree on', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.answered', answerMode: 'FROM_PROCESSING' });
    expect(hook).toMatchObject({ answerMode: 'FROM_PROCESSING', failureResponseBody: null, processingMode: 'IMMEDIATE' });
    const answer = await call(`${hook.url}?shop=acme`, json({ orderId: 7 }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    const { eventId } = JSON.parse(answer.body);
    expect(eventId).toMatch(/^evt_/);
    // Processed before the answer: no wait for a worker.
    expect(await onlyRequest(hook.id)).toMatchObject({ state: 'PROCESSED', event: { id: eventId, payload: { orderId: 7, shop: 'acme' } }, response: { status: 200, body: answer.body } });
  });

  it('answers 500 "The scenario did not complete." when publishing is refused, or the hook\'s own text', async () => {
    await ok(hy.admin, 'registerEventType', { name: 'order.strict', schema: { type: 'object', required: ['mustHave'] } });
    const hook = await createInboundHook(hy.admin, { eventType: 'order.strict', answerMode: 'FROM_PROCESSING' });
    const refused = await call(hook.url, json({ other: 1 }));
    expect(refused).toMatchObject({ status: 500, body: 'The scenario did not complete.' });
    expect(await onlyRequest(hook.id)).toMatchObject({ state: 'FAILED', message: expect.stringMatching(/^not published: the payload does not match the schema of order.strict/), response: { status: 500, body: 'The scenario did not complete.' } });
    // The schema met: the same hook answers with the event.
    expect((await call(hook.url, json({ mustHave: 1 }))).status).toBe(200);

    const own = await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, failureResponseBody: 'Order not taken; call us.' });
    expect(own.inboundHook.failureResponseBody).toBe('Order not taken; call us.');
    expect(await call(hook.url, json({ other: 2 }))).toMatchObject({ status: 500, body: 'Order not taken; call us.' });

    // Deliveries switched off: publishing is refused too.
    const tenant = (await hy.admin('{ viewer { tenant { id } } }')).data.viewer.tenant.id;
    await ok(hy.admin, 'setDeliveriesEnabled', { enabled: false });
    try {
      const off = await call(hook.url, json({ mustHave: 3 }));
      expect(off).toMatchObject({ status: 500, body: 'Order not taken; call us.' });
    } finally {
      await sql(hy.databaseUrl, 'update tenant set deliveries_enabled = true where id = $1', [tenant]);
    }
  });

  it('answers 200 Accepted when processing takes longer than the wait; the item stays queued and is published once later', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.slow', answerMode: 'FROM_PROCESSING' });
    const { webhook } = await createWebhook(hy.admin, { url: 'http://127.0.0.1:9/slow', eventTypes: ['order.slow'] });
    // Publishing reads the tenant's webhooks FOR SHARE: a row locked FOR UPDATE holds it.
    const holder = new pg.Client({ connectionString: hy.databaseUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from webhook where id = $1 for update', [webhook.id]);
      const answer = await call(hook.url, json({ orderId: 9 }));
      expect(answer).toMatchObject({ status: 200, body: 'Accepted' });
      expect(await onlyRequest(hook.id)).toMatchObject({ state: 'QUEUED', response: { status: 200, body: 'Accepted' } });
      // Its job waits for the end of the answer's wait, so it never races the answer.
      const [job] = await sql(
        hy.databaseUrl,
        `select j.start_after >= r.received_at + interval '${WAIT_MS} milliseconds' as deferred from pgboss.job j join inbound_request r on r.id = j.data->>'requestId' where j.name = 'inbound-request' and r.hook_id = $1`,
        [hook.id],
      );
      expect(job).toEqual({ deferred: true });
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
    }
    const processed = await eventually(async () => {
      const r = await onlyRequest(hook.id);
      return r.state === 'PROCESSED' ? r : null;
    }, 20_000, 'the item processed once the publish could go on');
    expect(processed.response).toMatchObject({ status: 200, body: 'Accepted' });
    // The receiving process and the job may both have published: one event all the same.
    await eventually(
      async () => (await sql(hy.databaseUrl, `select 1 from pgboss.job where name = 'inbound-request' and data->>'requestId' = $1 and state in ('created', 'retry', 'active')`, [processed.id])).length === 0,
      20_000,
      'the request\'s deferred job done',
    );
    expect(await sql(hy.databaseUrl, `select id from event where type = 'order.slow'`)).toEqual([{ id: processed.event.id }]);
  });

  it('answers 200 Accepted while the hook is stopped, and processes the item once it is started', async () => {
    const hook = await createInboundHook(hy.admin, { eventType: 'order.held', answerMode: 'FROM_PROCESSING' });
    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, status: 'STOPPED' });
    expect(await call(hook.url, json({ n: 1 }))).toMatchObject({ status: 200, body: 'Accepted' });
    expect(await onlyRequest(hook.id)).toMatchObject({ state: 'QUEUED' });
    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, status: 'ACTIVE' });
    await eventually(async () => (await onlyRequest(hook.id)).state === 'PROCESSED', 15_000, 'processed after the start');
  });

  it('is for IMMEDIATE hooks without a custom response only, and says what to fix', async () => {
    for (const processingMode of ['SEQUENTIAL', 'SCHEDULED']) {
      const refused = await runInbound(hy.admin, 'createInboundHook', { name: 'x', eventType: 'order.answered', processingMode, scheduleIntervalSeconds: 60, scheduleBatchSize: 10, answerMode: 'FROM_PROCESSING' });
      expect(refused).toMatchObject({ __typename: 'ValidationError', field: 'input.answerMode', message: expect.stringContaining(`only an IMMEDIATE hook can answer from processing: a ${processingMode} hook processes the item later`) });
    }
    const custom = await runInbound(hy.admin, 'createInboundHook', { name: 'x', eventType: 'order.answered', answerMode: 'FROM_PROCESSING', responseStatus: 202 });
    expect(custom).toMatchObject({ field: 'input.answerMode', message: expect.stringContaining('remove responseStatus, responseBody and responseHeaders, or set answerMode STATIC') });
    // A mail hook answers over SMTP: created so, or made so later.
    const mail = await runInbound(hy.admin, 'createInboundHook', { name: 'x', eventType: 'order.answered', kind: 'MAIL', answerMode: 'FROM_PROCESSING' });
    expect(mail).toMatchObject({ __typename: 'ValidationError', field: 'input.answerMode', message: expect.stringContaining('a mail hook answers over SMTP') });
    const mailHook = await createInboundHook(hy.admin, { eventType: 'order.answered', kind: 'MAIL' });
    expect(await runInbound(hy.admin, 'updateInboundHook', { id: mailHook.id, answerMode: 'FROM_PROCESSING' })).toMatchObject({ field: 'input.answerMode', message: expect.stringContaining('a mail hook answers over SMTP') });
    const stray = await runInbound(hy.admin, 'createInboundHook', { name: 'x', eventType: 'order.answered', failureResponseBody: 'no' });
    expect(stray).toMatchObject({ field: 'input.failureResponseBody', message: expect.stringContaining('set answerMode FROM_PROCESSING, or leave failureResponseBody out') });

    // The failure text's length, at its edge.
    const longest = await createInboundHook(hy.admin, { eventType: 'order.answered', answerMode: 'FROM_PROCESSING', failureResponseBody: 'x'.repeat(64 * 1024) });
    expect(longest.failureResponseBody).toHaveLength(64 * 1024);
    const tooLong = await runInbound(hy.admin, 'updateInboundHook', { id: longest.id, failureResponseBody: 'x'.repeat(64 * 1024 + 1) });
    expect(tooLong).toMatchObject({ field: 'input.failureResponseBody', message: `the failure response body is ${64 * 1024 + 1} characters; the limit is ${64 * 1024}` });

    // A hook that answers from processing cannot leave IMMEDIATE alone; with answerMode STATIC it can, and its failure text goes.
    const sequential = await runInbound(hy.admin, 'updateInboundHook', { id: longest.id, processingMode: 'SEQUENTIAL' });
    expect(sequential).toMatchObject({ field: 'input.answerMode', message: expect.stringContaining('set processingMode IMMEDIATE, or answerMode STATIC') });
    const both = await runInbound(hy.admin, 'updateInboundHook', { id: longest.id, processingMode: 'SEQUENTIAL', answerMode: 'STATIC' });
    expect(both.inboundHook).toMatchObject({ processingMode: 'SEQUENTIAL', answerMode: 'STATIC', failureResponseBody: null });
    // Nor can a custom response be added to it.
    const answering = await createInboundHook(hy.admin, { eventType: 'order.answered', answerMode: 'FROM_PROCESSING' });
    expect(await runInbound(hy.admin, 'updateInboundHook', { id: answering.id, responseBody: 'hi' })).toMatchObject({ field: 'input.answerMode' });
  });
});
