// A custom header can be secret (an Authorization for the receiver): its value is sent
// with every attempt, stored encrypted like the signing secret, never returned by the
// API (only its name), masked in the attempt log, and nowhere in the database in clear.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { addApiKey, createIntegrator, ERROR, publish, registerEventType } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sql } from '../support/sql.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';

const FIELDS = 'id headers secretHeaderNames';
const CREATE = `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on WebhookWithSecretPayload { webhook { ${FIELDS} } } ${ERROR} } }`;
const UPDATE = `mutation ($input: UpdateWebhookInput!) { updateWebhook(input: $input) { __typename ... on WebhookPayload { webhook { ${FIELDS} } } ${ERROR} } }`;

describe('secret custom headers', () => {
  const hy = useTestHookyard();
  let receiver: Receiver;
  let integratorId: string;
  const marker = `Bearer marker-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    receiver = await startReceiver();
    integratorId = (await createIntegrator(hy.admin)).id;
    await registerEventType(hy.admin, 'invoice.created');
  });
  afterAll(async () => {
    await receiver?.close();
  });

  const create = (input: Record<string, unknown>) =>
    mutate(hy.admin, CREATE, { input: { integratorId, name: 'Ledger', url: receiver.url, eventTypes: ['invoice.created'], ...input } });

  /** Every row of every table of the database as text, the way a dump would hold it. */
  async function rowsContaining(text: string): Promise<string[]> {
    const tables = await sql<{ name: string }>(hy.databaseUrl, `select format('%I.%I', table_schema, table_name) as name from information_schema.tables where table_schema in ('public', 'pgboss') and table_type = 'BASE TABLE'`);
    expect(tables.length).toBeGreaterThan(10);
    const found: string[] = [];
    for (const { name } of tables) {
      const [{ n }] = await sql<{ n: number }>(hy.databaseUrl, `select count(*)::int as n from ${name} t where strpos(t::text, $1) > 0`, [text]);
      if (n) found.push(name);
    }
    return found;
  }

  it('sends the value, shows only the name, masks it in the attempt log, and keeps it nowhere in clear', async () => {
    const created = await create({ headers: { 'x-tenant': 'acme' }, secretHeaders: { Authorization: marker } });
    expect(created.__typename).toBe('WebhookWithSecretPayload');
    expect(created.webhook.headers).toEqual({ 'x-tenant': 'acme' });
    expect(created.webhook.secretHeaderNames).toEqual(['Authorization']);
    expect(JSON.stringify(created)).not.toContain(marker);

    const published = await publish(hy.admin, { type: 'invoice.created', payload: { n: 1 } });
    expect(published.deliveryCount).toBe(1);
    await receiver.waitFor(1);
    expect(receiver.requests[0].headers.authorization).toBe(marker);
    expect(receiver.requests[0].headers['x-tenant']).toBe('acme');

    const attempt = await eventually(async () => {
      const result = await hy.admin(`{ deliveries(first: 1, filter: { webhookId: "${created.webhook.id}" }) { edges { node { attempts { request { headers } } } } } }`);
      return result.data?.deliveries.edges[0]?.node.attempts[0];
    }, 10_000, 'the attempt recorded');
    expect(attempt.request.headers.Authorization).toBe('[secret]');
    expect(attempt.request.headers['x-tenant']).toBe('acme');

    const [{ tenant_id: tenantId }] = await sql(hy.databaseUrl, 'select tenant_id from webhook where id = $1', [created.webhook.id]);
    const viewer = hy.client(await addApiKey(hy.databaseUrl, tenantId, 'VIEWER'));
    const seen = await viewer(`{ node(id: "${created.webhook.id}") { ... on Webhook { headers secretHeaderNames } } }`);
    expect(seen.data.node).toEqual({ headers: { 'x-tenant': 'acme' }, secretHeaderNames: ['Authorization'] });

    expect(await rowsContaining(marker.slice('Bearer '.length))).toEqual([]);
    // The check can see a value that is in clear: the plain header is found.
    expect(await rowsContaining('acme')).toContain('public.webhook');
  });

  it('sets a value by name (any case), removes one with null, keeps the others, and sends what is current', async () => {
    const created = await create({ secretHeaders: { Authorization: 'Bearer first', 'X-Api-Key': 'key-1' } });
    const id = created.webhook.id;
    const changed = await mutate(hy.admin, UPDATE, { input: { id, secretHeaders: { authorization: 'Bearer second', 'X-Api-Key': null } } });
    expect(changed.webhook.secretHeaderNames).toEqual(['authorization']);
    const kept = await mutate(hy.admin, UPDATE, { input: { id, headers: { 'x-region': 'eu' } } });
    expect(kept.webhook).toMatchObject({ headers: { 'x-region': 'eu' }, secretHeaderNames: ['authorization'] });

    const before = receiver.requests.length;
    await mutate(hy.admin, `mutation { sendTestEvent(input: { webhookId: "${id}" }) { __typename } }`);
    await receiver.waitFor(before + 1);
    const sent = receiver.requests[before].headers;
    expect(sent.authorization).toBe('Bearer second');
    expect(sent['x-api-key']).toBeUndefined();
    expect(sent['x-region']).toBe('eu');
  });

  it('checks secret headers by the same rules as the others, and both kinds together', async () => {
    const reserved = await create({ secretHeaders: { 'Content-Length': '12' } });
    expect(reserved).toMatchObject({ code: 'VALIDATION', field: 'input.secretHeaders' });
    expect(reserved.message).toMatch(/Content-Length/);

    const twice = await create({ headers: { 'x-key': 'a' }, secretHeaders: { 'X-Key': 'b' } });
    expect(twice).toMatchObject({ code: 'VALIDATION' });
    expect(twice.message).toMatch(/appears twice/);

    const badValue = await create({ secretHeaders: { Authorization: 'line\nbreak' } });
    expect(badValue).toMatchObject({ code: 'VALIDATION', field: 'input.secretHeaders' });

    const notAnObject = await create({ secretHeaders: ['Authorization'] });
    expect(notAnObject).toMatchObject({ code: 'VALIDATION', field: 'input.secretHeaders' });

    const tooMany = await create({
      headers: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`x-plain-${i}`, 'v'])),
      secretHeaders: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`x-secret-${i}`, 'v'])),
    });
    expect(tooMany).toMatchObject({ code: 'VALIDATION' });
    expect(tooMany.message).toMatch(/at most 20 custom headers/);
    const twenty = await create({
      headers: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`x-plain-${i}`, 'v'])),
      secretHeaders: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`x-secret-${i}`, 'v'])),
    });
    expect(twenty.__typename).toBe('WebhookWithSecretPayload');
  });
});
