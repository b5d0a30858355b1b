import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { mutate } from '../support/graphql.ts';
import { ERROR_FIELDS, WEBHOOK_FIELDS, createIntegrator, createWebhook, createWebhookResult, registerEventType } from './support/management.ts';
import { sql } from '../support/tenants.ts';
import { decryptSecret, parseSecretKey } from '../../schema/rules/secret.ts';

const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

const ACTION = (name: string) =>
  `mutation ($input: WebhookActionInput!) { ${name}(input: $input) { __typename ... on WebhookPayload { webhook { ${WEBHOOK_FIELDS} } } ${ERROR_FIELDS} } }`;
const UPDATE = `mutation ($input: UpdateWebhookInput!) { updateWebhook(input: $input) { __typename ... on WebhookPayload { webhook { ${WEBHOOK_FIELDS} } } ${ERROR_FIELDS} } }`;
const ROTATE = `mutation ($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { __typename ... on WebhookWithSecretPayload { secret webhook { ${WEBHOOK_FIELDS} } } ${ERROR_FIELDS} } }`;

describe('webhooks', () => {
  let hy: TestHookyard;
  let integratorId: string;
  const base = () => ({ integratorId, name: 'Billing', url: 'https://hooks.example.com/billing', eventTypes: ['invoice.created'] });

  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_SECRET_KEY: SECRET_KEY });
    integratorId = (await createIntegrator(hy.admin, { name: 'Acme' })).id;
    await registerEventType(hy.admin, { name: 'invoice.created' });
    await registerEventType(hy.admin, { name: 'invoice.paid' });
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('creates a webhook with the documented defaults and a created line in its history', async () => {
    const { webhook, secret } = await createWebhook(hy.admin, base());
    expect(webhook).toMatchObject({
      name: 'Billing',
      description: '',
      url: 'https://hooks.example.com/billing',
      eventTypes: ['invoice.created'],
      channels: [],
      headers: {},
      status: 'ACTIVE',
      statusReason: null,
      retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 36000],
      timeoutSeconds: 15,
      rateLimitPerSecond: null,
      previousSecretExpiresAt: null,
      integrator: { id: integratorId, name: 'Acme' },
    });
    expect(webhook.id).toMatch(/^whk_[0-9A-Z]{26}$/);
    expect(webhook.history).toEqual([{ fromStatus: null, toStatus: 'ACTIVE', reason: 'created', createdAt: webhook.createdAt }]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
  });

  it('generates a secret that a Standard Webhooks library accepts', async () => {
    const { secret } = await createWebhook(hy.admin, base());
    const payload = JSON.stringify({ hello: 'world' });
    const signer = new StandardWebhook(secret);
    const id = 'msg_1';
    const timestamp = new Date();
    const signature = signer.sign(id, timestamp, payload);
    expect(signer.verify(payload, { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature })).toEqual({ hello: 'world' });
  });

  it('keeps every given field, normalising the URL and dropping duplicate patterns', async () => {
    const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    const { webhook, secret: shown } = await createWebhook(hy.admin, {
      ...base(),
      name: '  Orders  ',
      description: 'all invoice events',
      url: 'HTTPS://Hooks.Example.com:443/a/../b',
      eventTypes: ['invoice.*', 'invoice.created', 'invoice.created', '*'],
      channels: ['eu', 'us', 'eu'],
      secret,
      headers: { 'X-Tenant': 'acme' },
      retrySchedule: [1, 2, 3],
      timeoutSeconds: 5,
      rateLimitPerSecond: 10,
    });
    expect(shown).toBe(secret);
    expect(webhook).toMatchObject({
      name: 'Orders',
      description: 'all invoice events',
      url: 'https://hooks.example.com/b',
      eventTypes: ['invoice.created', 'invoice.*', '*'],
      channels: ['eu', 'us'],
      headers: { 'X-Tenant': 'acme' },
      retrySchedule: [1, 2, 3],
      timeoutSeconds: 5,
      rateLimitPerSecond: 10,
    });
  });

  it('stores the secret encrypted with the secret key, never in clear', async () => {
    const { webhook, secret } = await createWebhook(hy.admin, base());
    const [row] = await sql(hy.databaseUrl, 'select secret_encrypted from webhook where id = $1', [webhook.id]);
    expect(row.secret_encrypted).not.toContain(secret.slice(6));
    expect(decryptSecret(row.secret_encrypted, parseSecretKey(SECRET_KEY))).toBe(secret);
  });

  it.each([
    ['an unknown integrator', { integratorId: 'int_01JD0000000000000000000000' }, 'NotFoundError', undefined],
    ['an empty name', { name: '   ' }, 'ValidationError', 'input.name'],
    ['a URL that is not one', { url: 'not a url' }, 'ValidationError', 'input.url'],
    ['a URL with credentials', { url: 'https://user:pw@hooks.example.com/' }, 'ValidationError', 'input.url'],
    ['an ftp URL', { url: 'ftp://hooks.example.com/' }, 'ValidationError', 'input.url'],
    ['no event type', { eventTypes: [] }, 'ValidationError', 'input.eventTypes'],
    ['an unregistered event type', { eventTypes: ['invoice.voided'] }, 'ValidationError', 'input.eventTypes'],
    ['a malformed pattern', { eventTypes: ['Invoice.Created'] }, 'ValidationError', 'input.eventTypes'],
    ['a malformed channel', { channels: ['has space'] }, 'ValidationError', 'input.channels'],
    ['a malformed secret', { secret: 'whsec_short' }, 'ValidationError', 'input.secret'],
    ['a reserved header', { headers: { 'webhook-signature': 'x' } }, 'ValidationError', 'input.headers'],
    ['a header that is not a string', { headers: { 'x-n': 1 } }, 'ValidationError', 'input.headers'],
    ['headers that are a list', { headers: ['x'] }, 'ValidationError', 'input.headers'],
    ['a header value with a line break', { headers: { 'x-a': 'a\r\nb' } }, 'ValidationError', 'input.headers'],
    ['a retry delay of zero', { retrySchedule: [0] }, 'ValidationError', 'input.retrySchedule'],
    ['a timeout over a minute', { timeoutSeconds: 61 }, 'ValidationError', 'input.timeoutSeconds'],
    ['a rate limit of zero', { rateLimitPerSecond: 0 }, 'ValidationError', 'input.rateLimitPerSecond'],
  ])('refuses %s with a typed error', async (_what, override, typename, field) => {
    const result = await createWebhookResult(hy.admin, { ...base(), ...override });
    expect(result.__typename).toBe(typename);
    expect(result.message).toEqual(expect.any(String));
    if (field) expect(result.field).toBe(field);
  });

  it('refuses to create a webhook for a deleted integrator', async () => {
    const gone = await createIntegrator(hy.admin, { name: 'Gone' });
    await mutate(hy.admin, 'mutation ($id: ID!) { deleteIntegrator(input: { id: $id }) { __typename } }', { id: gone.id });
    const result = await createWebhookResult(hy.admin, { ...base(), integratorId: gone.id });
    expect(result.__typename).toBe('NotFoundError');
  });

  it('updates only the fields it is given', async () => {
    const { webhook } = await createWebhook(hy.admin, { ...base(), description: 'keep me', rateLimitPerSecond: 5 });
    const updated = await mutate(hy.admin, UPDATE, { input: { id: webhook.id, name: 'Renamed', eventTypes: ['invoice.paid'], headers: { 'x-b': '2' } } });
    expect(updated.__typename).toBe('WebhookPayload');
    expect(updated.webhook).toMatchObject({ name: 'Renamed', description: 'keep me', url: webhook.url, eventTypes: ['invoice.paid'], headers: { 'x-b': '2' }, rateLimitPerSecond: 5 });
    expect(new Date(updated.webhook.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(webhook.updatedAt).getTime());
    const cleared = await mutate(hy.admin, UPDATE, { input: { id: webhook.id, rateLimitPerSecond: null } });
    expect(cleared.webhook.rateLimitPerSecond).toBeNull();
    const bad = await mutate(hy.admin, UPDATE, { input: { id: webhook.id, url: 'nope' } });
    expect(bad).toMatchObject({ __typename: 'ValidationError', field: 'input.url' });
    const reread = await hy.admin('query ($id: ID!) { node(id: $id) { ... on Webhook { url name } } }', { id: webhook.id });
    expect(reread.data.node).toEqual({ url: webhook.url, name: 'Renamed' });
  });

  it('pauses, resumes and deletes, keeping each change with its reason in the history', async () => {
    const { webhook } = await createWebhook(hy.admin, base());
    const paused = await mutate(hy.admin, ACTION('pauseWebhook'), { input: { id: webhook.id, reason: 'maintenance window' } });
    expect(paused.webhook).toMatchObject({ status: 'PAUSED', statusReason: 'maintenance window', pausedAt: expect.any(String) });

    const pausedAgain = await mutate(hy.admin, ACTION('pauseWebhook'), { input: { id: webhook.id } });
    expect(pausedAgain.webhook.history).toHaveLength(2);

    const resumed = await mutate(hy.admin, ACTION('resumeWebhook'), { input: { id: webhook.id } });
    expect(resumed.__typename).toBe('WebhookPayload');
    expect(resumed.webhook).toMatchObject({ status: 'ACTIVE', statusReason: null, pausedAt: null });

    const resumedAgain = await mutate(hy.admin, ACTION('resumeWebhook'), { input: { id: webhook.id } });
    expect(resumedAgain.webhook.history).toHaveLength(3);

    const deleted = await mutate(hy.admin, ACTION('deleteWebhook'), { input: { id: webhook.id, reason: 'integrator left' } });
    expect(deleted.webhook).toMatchObject({ status: 'DELETED', statusReason: 'integrator left', deletedAt: expect.any(String) });
    expect(deleted.webhook.history.map((h: any) => [h.fromStatus, h.toStatus, h.reason])).toEqual([
      [null, 'ACTIVE', 'created'],
      ['ACTIVE', 'PAUSED', 'maintenance window'],
      ['PAUSED', 'ACTIVE', 'resumed'],
      ['ACTIVE', 'DELETED', 'integrator left'],
    ]);

    // What the mutations returned is what a fresh read finds.
    const reread = await hy.admin(`query ($id: ID!) { node(id: $id) { ... on Webhook { ${WEBHOOK_FIELDS} } } }`, { id: webhook.id });
    expect(reread.data.node).toEqual(deleted.webhook);
  });

  it('refuses to change a deleted webhook', async () => {
    const { webhook } = await createWebhook(hy.admin, base());
    await mutate(hy.admin, ACTION('deleteWebhook'), { input: { id: webhook.id } });
    for (const name of ['pauseWebhook', 'resumeWebhook', 'deleteWebhook']) {
      const result = await mutate(hy.admin, ACTION(name), { input: { id: webhook.id } });
      expect(result.__typename, name).toBe('ConflictError');
    }
    expect((await mutate(hy.admin, UPDATE, { input: { id: webhook.id, name: 'x' } })).__typename).toBe('ConflictError');
    expect((await mutate(hy.admin, ROTATE, { input: { id: webhook.id } })).__typename).toBe('ConflictError');
  });

  it('cancels the open deliveries of a webhook it deletes', async () => {
    const { webhook } = await createWebhook(hy.admin, base());
    const [tenant] = await sql(hy.databaseUrl, 'select tenant_id from webhook where id = $1', [webhook.id]);
    await sql(hy.databaseUrl, `insert into event (id, tenant_id, type, source, payload, occurred_at, created_at) values ('evt_01JD0000000000000000000001', $1, 'invoice.created', 'test', '{}', now(), now())`, [tenant.tenant_id]);
    for (const [id, status] of [['dlv_01JD0000000000000000000001', 'PENDING'], ['dlv_01JD0000000000000000000002', 'RETRYING'], ['dlv_01JD0000000000000000000003', 'SUCCEEDED']]) {
      await sql(
        hy.databaseUrl,
        `insert into delivery (id, tenant_id, event_id, webhook_id, integrator_id, event_type, status, created_at) values ($1, $2, 'evt_01JD0000000000000000000001', $3, $4, 'invoice.created', $5, now())`,
        [id, tenant.tenant_id, webhook.id, integratorId, status],
      );
    }
    await mutate(hy.admin, ACTION('deleteWebhook'), { input: { id: webhook.id } });
    const rows = await sql(hy.databaseUrl, 'select id, status from delivery where webhook_id = $1 order by id', [webhook.id]);
    expect(rows.map((r) => r.status)).toEqual(['CANCELLED', 'CANCELLED', 'SUCCEEDED']);
  });

  it('rotates the secret, keeping the previous one valid for 24 hours', async () => {
    const { webhook, secret: first } = await createWebhook(hy.admin, base());
    const before = Date.now();
    const rotated = await mutate(hy.admin, ROTATE, { input: { id: webhook.id } });
    expect(rotated.__typename).toBe('WebhookWithSecretPayload');
    expect(rotated.secret).not.toBe(first);
    const expires = new Date(rotated.webhook.previousSecretExpiresAt).getTime();
    expect(expires).toBeGreaterThanOrEqual(before + 24 * 3600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 1000);
    const [row] = await sql(hy.databaseUrl, 'select secret_encrypted, previous_secret_encrypted from webhook where id = $1', [webhook.id]);
    const key = parseSecretKey(SECRET_KEY);
    expect(decryptSecret(row.secret_encrypted, key)).toBe(rotated.secret);
    expect(decryptSecret(row.previous_secret_encrypted, key)).toBe(first);

    const given = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
    expect((await mutate(hy.admin, ROTATE, { input: { id: webhook.id, secret: given } })).secret).toBe(given);
    expect(await mutate(hy.admin, ROTATE, { input: { id: webhook.id, secret: 'whsec_@@@' } })).toMatchObject({ __typename: 'ValidationError', field: 'input.secret' });
  });

  it('answers NotFoundError for a webhook id it does not know', async () => {
    const id = 'whk_01JD0000000000000000000000';
    for (const name of ['pauseWebhook', 'resumeWebhook', 'deleteWebhook']) {
      expect((await mutate(hy.admin, ACTION(name), { input: { id } })).__typename, name).toBe('NotFoundError');
    }
    expect((await mutate(hy.admin, UPDATE, { input: { id, name: 'x' } })).__typename).toBe('NotFoundError');
    expect((await mutate(hy.admin, ROTATE, { input: { id } })).__typename).toBe('NotFoundError');
  });

  it('lists webhooks filtered by integrator, status and search text', async () => {
    const other = await createIntegrator(hy.admin, { name: 'Filtered Co' });
    const a = await createWebhook(hy.admin, { ...base(), integratorId: other.id, name: 'Alpha 100%', url: 'https://alpha.example.com/in' });
    const b = await createWebhook(hy.admin, { ...base(), integratorId: other.id, name: 'Beta', description: 'the_second' });
    await mutate(hy.admin, ACTION('pauseWebhook'), { input: { id: b.webhook.id } });
    const list = async (filter: Record<string, unknown>) => {
      const r = await hy.admin('query ($filter: WebhookFilter) { webhooks(filter: $filter, first: 100) { totalCount edges { node { id } } } }', { filter });
      expect(r.errors).toBeUndefined();
      return r.data.webhooks.edges.map((e: any) => e.node.id);
    };
    expect(await list({ integratorId: other.id })).toEqual([b.webhook.id, a.webhook.id]);
    expect(await list({ integratorId: other.id, status: ['PAUSED'] })).toEqual([b.webhook.id]);
    expect(await list({ integratorId: other.id, search: 'ALPHA.example' })).toEqual([a.webhook.id]);
    expect(await list({ integratorId: other.id, search: '100%' })).toEqual([a.webhook.id]);
    expect(await list({ integratorId: other.id, search: 'the_' })).toEqual([b.webhook.id]);
    expect(await list({ integratorId: other.id, search: '%' })).toEqual([a.webhook.id]);
  });

  it('refuses to delete an integrator that still has a live webhook', async () => {
    const owner = await createIntegrator(hy.admin, { name: 'Owner' });
    const { webhook } = await createWebhook(hy.admin, { ...base(), integratorId: owner.id });
    const DELETE = `mutation ($id: ID!) { deleteIntegrator(input: { id: $id }) { __typename ... on IntegratorPayload { integrator { deletedAt } } ${ERROR_FIELDS} } }`;
    expect((await mutate(hy.admin, DELETE, { id: owner.id })).__typename).toBe('ConflictError');
    await mutate(hy.admin, ACTION('deleteWebhook'), { input: { id: webhook.id } });
    const deleted = await mutate(hy.admin, DELETE, { id: owner.id });
    expect(deleted.__typename).toBe('IntegratorPayload');
    expect(deleted.integrator.deletedAt).toEqual(expect.any(String));
    // The deleted webhook still shows its integrator, for history.
    const reread = await hy.admin('query ($id: ID!) { node(id: $id) { ... on Webhook { integrator { id deletedAt } } } }', { id: webhook.id });
    expect(reread.data.node.integrator).toEqual({ id: owner.id, deletedAt: deleted.integrator.deletedAt });
  });
});

describe('the webhook limit', () => {
  let hy: TestHookyard;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_WEBHOOK_LIMIT: '3' });
    integratorId = (await createIntegrator(hy.admin, { name: 'Acme' })).id;
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('holds even when creates race, and frees a place when a webhook is deleted', async () => {
    const input = { integratorId, name: 'w', url: 'https://hooks.example.com/', eventTypes: ['*'] };
    const results = await Promise.all(Array.from({ length: 6 }, () => createWebhookResult(hy.admin, input)));
    const kinds = results.map((r) => r.__typename).sort();
    expect(kinds).toEqual(['LimitExceededError', 'LimitExceededError', 'LimitExceededError', 'WebhookWithSecretPayload', 'WebhookWithSecretPayload', 'WebhookWithSecretPayload']);
    expect(results.find((r) => r.__typename === 'LimitExceededError')).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 3 });

    const first = results.find((r) => r.__typename === 'WebhookWithSecretPayload')!;
    await mutate(hy.admin, ACTION('deleteWebhook'), { input: { id: first.webhook.id } });
    expect((await createWebhookResult(hy.admin, input)).__typename).toBe('WebhookWithSecretPayload');
  });
});

describe('the strict URL policy', () => {
  let hy: TestHookyard;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_URL_POLICY: 'strict' });
    integratorId = (await createIntegrator(hy.admin, { name: 'Acme' })).id;
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it.each([
    'http://hooks.example.com/',
    'https://127.0.0.1/',
    'https://[::1]/',
    'https://2130706433/',
    'https://localhost/',
    'https://db.internal/',
    'https://intranet/',
  ])('refuses %s', async (url) => {
    const result = await createWebhookResult(hy.admin, { integratorId, name: 'w', url, eventTypes: ['*'] });
    expect(result).toMatchObject({ __typename: 'ValidationError', field: 'input.url' });
  });

  it('accepts an https URL with a public host name, on create and update', async () => {
    const { webhook } = await createWebhook(hy.admin, { integratorId, name: 'w', url: 'https://hooks.example.com/x', eventTypes: ['*'] });
    expect((await mutate(hy.admin, UPDATE, { input: { id: webhook.id, url: 'http://hooks.example.com/x' } })).__typename).toBe('ValidationError');
    expect((await mutate(hy.admin, UPDATE, { input: { id: webhook.id, url: 'https://other.example.org/' } })).webhook.url).toBe('https://other.example.org/');
  });
});
