// ANY /in/<token>: what it parses and what it answers, each answer at its edge.
import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually } from '../support/receiver.ts';
import { sql } from '../support/sql.ts';
import { call, createHeldHook, createInboundHook, inboundRequests, runInbound } from './support.ts';

const MiB = 1024 * 1024;

describe('receiving on /in/<token>', () => {
  // 127.0.0.1 is a trusted proxy here, so X-Forwarded-For can stand for outside senders.
  const hy = useTestHookyard({ HOOKYARD_TRUSTED_PROXIES: '127.0.0.1' });

  async function onlyRequest(hookId: string): Promise<any> {
    const [request] = await inboundRequests(hy.admin, { hookId });
    return request;
  }

  it('merges the query string and a JSON body into one item, the query winning, and logs the request', async () => {
    const hook = await createHeldHook(hy.admin);
    const answer = await call(`${hook.url}?source=query&page=2`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shop': 'acme' }, body: JSON.stringify({ source: 'body', order: { id: 7, lines: [1, 2] } }) });
    expect(answer).toMatchObject({ status: 200, body: 'Accepted' });
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const request = await onlyRequest(hook.id);
    expect(request).toMatchObject({
      kind: 'HTTP',
      method: 'POST',
      url: expect.stringMatching(/^\/in\/.+\?source=query&page=2$/),
      remoteAddress: '127.0.0.1',
      query: { source: 'query', page: '2' },
      body: '{"source":"body","order":{"id":7,"lines":[1,2]}}',
      bodyEncoding: 'UTF8',
      size: 48,
      parsed: { source: 'query', page: '2', order: { id: 7, lines: [1, 2] } },
      state: 'QUEUED',
      status: 'SUCCESS',
      response: { status: 200, body: 'Accepted' },
      event: null,
    });
    expect(request.headers['x-shop']).toBe('acme');
    const listed = await hy.admin(`{ node(id: "${hook.id}") { ... on InboundHook { queuedCount lastRequestAt } } }`);
    expect(listed.data.node.queuedCount).toBe(1);
    expect(Date.parse(listed.data.node.lastRequestAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reads urlencoded and multipart forms: repeated fields as lists, files as name, type and size', async () => {
    const hook = await createHeldHook(hy.admin);
    await call(`${hook.url}?tag=q`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Ada+Lovelace&tag=a&tag=b&city=Z%C3%BCrich' });
    const form = new FormData();
    form.append('customer', 'Grace');
    form.append('invoice', new Blob([Buffer.alloc(1234, 1)], { type: 'application/pdf' }), 'invoice.pdf');
    form.append('invoice', new Blob(['hello'], { type: 'text/plain' }), 'note.txt');
    expect((await call(hook.url, { method: 'PUT', body: form })).status).toBe(200);
    const [multipart, urlencoded] = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(urlencoded.parsed).toEqual({ name: 'Ada Lovelace', tag: 'q', city: 'Zürich' });
    expect(multipart.method).toBe('PUT');
    expect(multipart.parsed).toEqual({
      customer: 'Grace',
      invoice: [
        { filename: 'invoice.pdf', contentType: 'application/pdf', size: 1234 },
        { filename: 'note.txt', contentType: 'text/plain', size: 5 },
      ],
    });
  });

  it('answers 400 for a multipart form cut off inside a file, and lives on (the fuzz seed 1061943746 found it)', async () => {
    const hook = await createHeldHook(hy.admin);
    const cut = '--X\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\nabc';
    const answer = await call(hook.url, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=X' }, body: cut });
    expect(answer).toMatchObject({ status: 400, body: 'Bad Request: the multipart body cannot be read: Unexpected end of form.' });
    expect((await fetch(`${hy.baseUrl}/healthz`)).status).toBe(200);
  });

  it('answers 400 for a JSON body with a NUL byte, naming it escaped, and logs the refusal (the fuzz seed 1940162993 found it)', async () => {
    // JSON.parse names the NUL (and quoted the body) in its error; a raw NUL there made the log insert fail, so the call went unlogged.
    const hook = await createHeldHook(hy.admin);
    const answer = await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":\u0000}') });
    const expected = 'Bad Request: the body says it is JSON but is not: Unexpected token \'\\u0000\'.';
    expect(answer).toMatchObject({ status: 400, body: expected });
    expect(await onlyRequest(hook.id)).toMatchObject({
      state: 'REFUSED',
      status: 'ERROR',
      body: 'eyJhIjoAfQ==',
      bodyEncoding: 'BASE64',
      message: expected.replace(/^Bad Request: (.*)\.$/, '$1'),
      response: { status: 400, body: expected },
    });
  });

  it('keeps any other body raw, as text or base64', async () => {
    const hook = await createHeldHook(hy.admin);
    await call(hook.url, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0xff, 0x00, 0xfe]) });
    const [binary, csv] = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(csv.parsed).toEqual({ body: 'a,b\n1,2\n' });
    expect(binary).toMatchObject({ parsed: { body: '/wD+' }, body: '/wD+', bodyEncoding: 'BASE64', size: 3 });
  });

  it('puts headers and the method in the item, or passes JSON through as one string, when the hook asks', async () => {
    const hook = await createInboundHook(hy.admin, { includeHeaders: true, includeMethod: true, jsonPassthrough: true });
    await call(`${hook.url}?x=1`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-signature': 'abc' }, body: '{"a": 1}' });
    const request = await onlyRequest(hook.id);
    expect(request.parsed).toMatchObject({ body: '{"a": 1}', x: '1', __method: 'PATCH', __headers: { 'x-signature': 'abc', 'content-type': 'application/json' } });
  });

  it('answers the custom response: a redirect with Location, or a JSON body with its Content-Type', async () => {
    const redirect = await createInboundHook(hy.admin, { responseStatus: 302, responseHeaders: { Location: 'https://example.com/thanks' } });
    const answer = await call(redirect.url, { method: 'GET' });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('https://example.com/thanks');
    const json = await createInboundHook(hy.admin, { responseStatus: 201, responseBody: '{"ok":true}', responseHeaders: { 'Content-Type': 'application/json' } });
    const created = await call(json.url, { method: 'POST' });
    expect(created).toMatchObject({ status: 201, body: '{"ok":true}' });
    expect(created.headers.get('content-type')).toBe('application/json');
    expect((await onlyRequest(json.id)).response).toMatchObject({ status: 201, body: '{"ok":true}' });
  });

  it('answers 400 for a body that says it is JSON and is not, and logs it as refused', async () => {
    const hook = await createInboundHook(hy.admin);
    const answer = await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a": ' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/^Bad Request: the body says it is JSON but is not/);
    expect(await onlyRequest(hook.id)).toMatchObject({ state: 'REFUSED', status: 'ERROR', response: { status: 400 } });
  });

  it('answers 400 with the validation errors when the item fails the data structure, and queues nothing', async () => {
    const hook = await createInboundHook(hy.admin, { dataStructure: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'integer' } } } });
    expect(hook.validateDataStructure).toBe(true);
    const refused = await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId":"seven"}' });
    expect(refused.status).toBe(400);
    expect(refused.body).toBe('The item does not match the data structure: item/orderId must be integer');
    const missing = await call(hook.url, { method: 'POST' });
    expect(missing.body).toMatch(/must have required property 'orderId'/);
    const refusedRows = await inboundRequests(hy.admin, { hookId: hook.id, state: ['REFUSED'] });
    expect(refusedRows).toHaveLength(2);
    expect(refusedRows[1]).toMatchObject({ status: 'ERROR', parsed: { orderId: 'seven' } });
    expect((await call(`${hook.url}?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId":7}' })).status).toBe(200);

    // Validation off: accepted, with a warning.
    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, validateDataStructure: false, status: 'STOPPED' });
    expect((await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId":"eight"}' })).status).toBe(200);
    const [warned] = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(warned).toMatchObject({ status: 'WARNING', state: 'QUEUED', message: expect.stringMatching(/does not match the data structure/) });
  });

  it('answers 400 "Queue is full" past the queue limit, not one item before', async () => {
    const hook = await createHeldHook(hy.admin, { queueLimit: 3 });
    for (let i = 0; i < 3; i++) expect((await call(hook.url, { method: 'POST' })).status).toBe(200);
    const full = await call(hook.url, { method: 'POST' });
    expect(full).toMatchObject({ status: 400, body: 'Queue is full' });
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).toHaveLength(3);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['REFUSED'] })).toHaveLength(1);
    // Room again once an item leaves the queue.
    const [oldest] = (await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).slice(-1);
    expect(await runInbound(hy.admin, 'deleteInboundRequests', { ids: [oldest.id] })).toMatchObject({ deletedCount: 1 });
    expect((await call(hook.url, { method: 'POST' })).status).toBe(200);
  });

  it('keeps the queue limit exact when many requests arrive at once, and when one item is left to the limit', async () => {
    const hook = await createHeldHook(hy.admin, { queueLimit: 5 });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => call(`${hook.url}?n=${i}`, { method: 'POST' })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 400 && a.body === 'Queue is full')).toHaveLength(35);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).toHaveLength(5);

    // One place left: of 20 at once, exactly one gets it.
    const [one] = await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] });
    await runInbound(hy.admin, 'deleteInboundRequests', { ids: [one.id] });
    const race = await Promise.all(Array.from({ length: 20 }, () => call(hook.url, { method: 'POST' })));
    expect(race.filter((a) => a.status === 200)).toHaveLength(1);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).toHaveLength(5);
  });

  it('keeps the items waiting when the queue limit is lowered to their number or below, and refuses new ones until fewer wait, however many arrive at once', async () => {
    const hook = await createHeldHook(hy.admin, { queueLimit: 10 });
    for (let i = 0; i < 5; i++) expect((await call(`${hook.url}?n=${i}`, { method: 'POST' })).status).toBe(200);
    const queued = async () => (await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).length;

    // Lowered to the number waiting: all kept, the next refused.
    const atLimit = await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, queueLimit: 5 });
    expect(atLimit.inboundHook).toMatchObject({ queueLimit: 5, queuedCount: 5 });
    expect(await call(hook.url, { method: 'POST' })).toMatchObject({ status: 400, body: 'Queue is full' });

    // Lowered to one below: all five kept (the answer says so), new ones refused, also twenty at once.
    const below = await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, queueLimit: 4 });
    expect(below.inboundHook).toMatchObject({ queueLimit: 4, queuedCount: 5 });
    const refused = await Promise.all(Array.from({ length: 20 }, () => call(hook.url, { method: 'POST' })));
    expect(refused.filter((a) => a.status === 200)).toHaveLength(0);
    expect(await queued()).toBe(5);

    // One leaves: 4 wait, the limit: still full.
    const slots = async () => sql<{ id: string; queue_slot: number }>(hy.databaseUrl, `select id, queue_slot from inbound_request where hook_id = $1 and state = 'QUEUED' order by queue_slot`, [hook.id]);
    const before = await slots();
    expect(before.filter((r) => r.queue_slot < 4)).toHaveLength(4);
    await runInbound(hy.admin, 'deleteInboundRequests', { ids: [before[0].id] });
    expect((await Promise.all(Array.from({ length: 20 }, () => call(hook.url, { method: 'POST' })))).filter((a) => a.status === 200)).toHaveLength(0);
    expect(await queued()).toBe(4);

    // Two more leave (from inside the limit): 2 wait, so exactly two of twenty at once get in, back to the limit.
    const inside = (await slots()).filter((r) => r.queue_slot < 4).slice(0, 2);
    expect(inside).toHaveLength(2);
    await runInbound(hy.admin, 'deleteInboundRequests', { ids: inside.map((r) => r.id) });
    expect(await queued()).toBe(2);
    const race = await Promise.all(Array.from({ length: 20 }, () => call(hook.url, { method: 'POST' })));
    expect(race.filter((a) => a.status === 200)).toHaveLength(2);
    expect(await queued()).toBe(4);
  });

  it('answers 403 outside the IP allowlist, IPv4 and IPv6, trusting X-Forwarded-For only from the configured proxy', async () => {
    const v4 = await createInboundHook(hy.admin, { ipAllowlist: ['203.0.113.0/24'] });
    const outside = await call(v4.url, { method: 'POST', headers: { 'x-forwarded-for': '203.0.114.1' } });
    expect(outside.status).toBe(403);
    expect(outside.body).toBe("Forbidden: 203.0.114.1 is not in this hook's IP allowlist.");
    expect((await call(v4.url, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.255' } })).status).toBe(200);
    // Left of the proxy's own entry, a client-written address proves nothing.
    expect((await call(v4.url, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' } })).status).toBe(403);
    expect((await call(v4.url, { method: 'POST' })).status).toBe(403);

    const v6 = await createInboundHook(hy.admin, { ipAllowlist: ['2001:db8::/32'] });
    expect((await call(v6.url, { method: 'POST', headers: { 'x-forwarded-for': '2001:db8:ffff::1' } })).status).toBe(200);
    expect((await call(v6.url, { method: 'POST', headers: { 'x-forwarded-for': '2001:db9::1' } })).status).toBe(403);
    const refused = await inboundRequests(hy.admin, { hookId: v6.id, state: ['REFUSED'] });
    expect(refused).toMatchObject([{ remoteAddress: '2001:db9::1', response: { status: 403 }, status: 'ERROR' }]);
  });

  it('answers 400 for text PostgreSQL cannot store (NUL, invalid Unicode), naming where, and logs the refusal', async () => {
    const hook = await createHeldHook(hy.admin);
    const nul = await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a\\u0000b"}' });
    expect(nul).toMatchObject({ status: 400, body: expect.stringMatching(/^Bad Request: item.name contains a NUL character/) });
    const surrogate = await call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"s":"\\ud800"}' });
    expect(surrogate).toMatchObject({ status: 400, body: expect.stringMatching(/^Bad Request: item.s contains invalid Unicode/) });
    expect((await call(`${hook.url}?q=%00`, { method: 'POST' })).status).toBe(400);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['REFUSED'] })).toHaveLength(3);
    // A raw body with a NUL byte is kept as base64.
    expect((await call(hook.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a\u0000b' })).status).toBe(200);
    expect((await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] }))[0]).toMatchObject({ parsed: { body: 'YQBi' }, bodyEncoding: 'BASE64' });
  });

  it('answers 404 for an unknown token', async () => {
    const answer = await call(`${hy.baseUrl}/in/${'A'.repeat(43)}`, { method: 'POST', body: 'x' });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatch(/no inbound hook has this URL/);
    expect((await call(`${hy.baseUrl}/in/short`, { method: 'GET' })).status).toBe(404);
  });

  it('answers 413 one byte past the body limit (5 MiB) and accepts the limit itself', async () => {
    const hook = await createHeldHook(hy.admin);
    const atLimit = await call(hook.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a'.repeat(5 * MiB) });
    expect(atLimit.status).toBe(200);
    const over = await call(hook.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a'.repeat(5 * MiB + 1) });
    expect(over.status).toBe(413);
    expect(over.body).toBe(`Payload Too Large: the body is ${5 * MiB + 1} bytes; the limit is ${5 * MiB} bytes.`);
    const [refused, accepted] = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(refused).toMatchObject({ state: 'REFUSED', size: 5 * MiB + 1, body: null, response: { status: 413 } });
    expect(accepted).toMatchObject({ state: 'QUEUED', size: 5 * MiB });
  });

  it('answers 429 with Retry-After past the rate limit, and logs the refusal without queueing it', async () => {
    const hook = await createHeldHook(hy.admin, { rateLimitPerSecond: 3, noRateLimit: false });
    const answers = await Promise.all(Array.from({ length: 4 }, () => call(hook.url, { method: 'POST' })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 429]);
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body).toMatch(/accepts 3 requests per second/);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] })).toHaveLength(3);
    expect(await inboundRequests(hy.admin, { hookId: hook.id, state: ['REFUSED'] })).toMatchObject([{ response: { status: 429 } }]);
    // The next second has room again.
    await eventually(async () => (await call(hook.url, { method: 'POST' })).status === 200, 5000, 'the rate limit window to pass');
  });
});
