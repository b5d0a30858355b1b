import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { addApiKey, createTenant } from '../support/fixtures.ts';
import { call, createInboundHook, INBOUND_HOOK, runInbound } from './support.ts';

describe('inbound hooks over GraphQL', () => {
  const hy = useTestHookyard();

  it('creates a hook with an unguessable URL under /in/ and the documented defaults', async () => {
    const hook = await createInboundHook(hy.admin, { name: 'Shop orders' });
    expect(hook.url).toMatch(new RegExp(`^${hy.baseUrl}/in/[A-Za-z0-9_-]{43}$`));
    expect(hook).toMatchObject({
      kind: 'HTTP',
      eventType: 'order.received',
      processingMode: 'IMMEDIATE',
      queueLimit: 10000,
      rateLimitPerSecond: 30,
      ipAllowlist: [],
      status: 'ACTIVE',
      dataStructure: null,
      validateDataStructure: false,
      lastRequestAt: null,
      queuedCount: 0,
    });
    const other = await createInboundHook(hy.admin, { name: 'Second' });
    expect(other.url).not.toBe(hook.url);
  });

  it('refuses settings a user can fix, naming the field', async () => {
    await createInboundHook(hy.admin, { name: 'x' });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ eventType: 'not.registered' }, 'input.eventType', /not registered/],
      [{ eventType: 'Bad Name' }, 'input.eventType', /not an event type name/],
      [{ processingMode: 'SCHEDULED', scheduleBatchSize: 10 }, 'input.scheduleIntervalSeconds', /needs scheduleIntervalSeconds/],
      [{ processingMode: 'SCHEDULED', scheduleIntervalSeconds: 60 }, 'input.scheduleBatchSize', /needs scheduleBatchSize/],
      [{ queueLimit: 0 }, 'input.queueLimit', /from 1 to/],
      [{ ipAllowlist: ['10.0.0.0/8', 'nonsense'] }, 'input.ipAllowlist[1]', /not an IP address or CIDR/],
      [{ rateLimitPerSecond: 0 }, 'input.rateLimitPerSecond', /from 1 to/],
      [{ responseStatus: 500 }, 'input.responseStatus', /from 200 to 499/],
      [{ responseStatus: 302 }, 'input.responseHeaders', /needs a Location header/],
      [{ responseHeaders: { 'Content-Length': '5' } }, 'input.responseHeaders', /cannot be set/],
      [{ dataStructure: { type: 'nonsense' } }, 'input.dataStructure', /not a valid JSON Schema/],
    ];
    for (const [input, field, message] of cases) {
      const result = await runInbound(hy.admin, 'createInboundHook', { name: 'Bad', eventType: 'order.received', ...input });
      expect(result, JSON.stringify(input)).toMatchObject({ __typename: 'ValidationError', field });
      expect(result.message).toMatch(message);
    }
  });

  it('normalizes the IP allowlist and keeps a custom response', async () => {
    const hook = await createInboundHook(hy.admin, {
      ipAllowlist: ['203.0.113.7', '2001:db8::/32', ' 10.0.0.0/8 '],
      responseStatus: 302,
      responseHeaders: { Location: 'https://example.com/thanks' },
    });
    expect(hook.ipAllowlist).toEqual(['203.0.113.7/32', '2001:db8::/32', '10.0.0.0/8']);
    expect(hook).toMatchObject({ responseStatus: 302, responseHeaders: { Location: 'https://example.com/thanks' } });
  });

  it('searches hooks by name or event type and pages them', async () => {
    await createInboundHook(hy.admin, { name: 'Stripe payments', eventType: 'payment.received' });
    const found = await hy.admin(`{ inboundHooks(search: "STRIPE", first: 10) { totalCount edges { node { name } } } }`);
    expect(found.data.inboundHooks).toEqual({ totalCount: 1, edges: [{ node: { name: 'Stripe payments' } }] });
    const byType = await hy.admin(`{ inboundHooks(search: "payment.rec", first: 10) { totalCount } }`);
    expect(byType.data.inboundHooks.totalCount).toBe(1);
    const page = await hy.admin(`{ inboundHooks(first: 1) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`);
    expect(page.data.inboundHooks.pageInfo.hasNextPage).toBe(true);
  });

  it('updates, regenerates the token (the old URL answers 404) and deletes (410 Gone)', async () => {
    const hook = await createInboundHook(hy.admin);
    const updated = await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, name: 'Renamed', queueLimit: 5, includeHeaders: true });
    expect(updated.inboundHook).toMatchObject({ name: 'Renamed', queueLimit: 5, includeHeaders: true, eventType: 'order.received' });

    const regenerated = (await runInbound(hy.admin, 'regenerateInboundHookToken', { id: hook.id })).inboundHook;
    expect(regenerated.url).not.toBe(hook.url);
    expect((await call(hook.url, { method: 'POST' })).status).toBe(404);
    expect((await call(regenerated.url, { method: 'POST' })).status).toBe(200);

    const deleted = await runInbound(hy.admin, 'deleteInboundHook', { id: hook.id });
    expect(deleted.inboundHook).toMatchObject({ status: 'DELETED' });
    const gone = await call(regenerated.url, { method: 'POST' });
    expect(gone.status).toBe(410);
    expect(gone.body).toMatch(/^Gone: this inbound hook was deleted on \d{4}-/);
    const again = await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, name: 'x' });
    expect(again).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('lets VIEWER keys read hooks but change nothing', async () => {
    const hook = await createInboundHook(hy.admin);
    const { tenantId } = await (async () => {
      const r = await hy.admin('{ viewer { tenant { id } } }');
      return { tenantId: r.data.viewer.tenant.id };
    })();
    const viewer = hy.client(await addApiKey(hy.databaseUrl, tenantId, 'VIEWER'));
    const read = await viewer(`{ node(id: "${hook.id}") { ... on InboundHook { ${INBOUND_HOOK} } } }`);
    expect(read.data.node.id).toBe(hook.id);
    for (const [name, input] of [
      ['createInboundHook', { name: 'x', eventType: 'order.received' }],
      ['updateInboundHook', { id: hook.id, name: 'x' }],
      ['deleteInboundHook', { id: hook.id }],
      ['regenerateInboundHookToken', { id: hook.id }],
      ['redetermineDataStructure', { id: hook.id }],
      ['clearInboundQueue', { hookId: hook.id }],
      ['deleteInboundRequests', { ids: ['inr_01JD00000000000000000000AA'] }],
    ] as const) {
      expect(await runInbound(viewer, name, input), name).toMatchObject({ __typename: 'ForbiddenError' });
    }
  });

  it('shows another tenant none of its hooks', async () => {
    const hook = await createInboundHook(hy.admin);
    const other = await createTenant(hy.databaseUrl, 'Other');
    const client = hy.client(other.token);
    expect((await client(`{ node(id: "${hook.id}") { id } }`)).data.node).toBeNull();
    expect((await client(`{ inboundHooks(first: 10) { totalCount } }`)).data.inboundHooks.totalCount).toBe(0);
    expect(await runInbound(client, 'deleteInboundHook', { id: hook.id })).toMatchObject({ __typename: 'NotFoundError' });
  });
});
