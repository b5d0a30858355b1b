// The rules a webhook must satisfy, each tested at its edge through the API.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard, useTestHookyard } from '../support/hookyard.ts';
import { createIntegrator, createTenant, createWebhook, ok, registerEventType, run } from '../support/fixtures.ts';
import { sql } from '../support/sql.ts';
import { decryptSecret } from '../../core/rules/secret.ts';
import { parseSecretKey } from '../../infra/secret-key.ts';
import { loadConfig } from '../../infra/config.ts';
import { createLogger } from '../../infra/logger.ts';
import { startHookyard } from '../../start.ts';
import { createTestDatabase } from '../support/database.ts';
import { gqlClient } from '../support/graphql.ts';

const secretOf = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

describe('the strict URL policy', () => {
  let hy: TestHookyard;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_URL_POLICY: 'strict' });
    integratorId = (await createIntegrator(hy.admin)).id;
  });
  afterAll(async () => {
    await hy?.stop();
  });

  const create = (url: string) => run(hy.admin, 'createWebhook', { integratorId, name: 'w', url, eventTypes: ['*'] });

  it.each([['https://hooks.example.com/in'], ['https://hooks.example.com:8443/in?x=1'], ['https://a.b.c.example.co.uk/'], ['https://hooks.example.com./in']])(
    'accepts %s',
    async (url) => {
      expect((await create(url)).__typename).toBe('WebhookWithSecretPayload');
    },
  );

  it.each([
    ['plain http', 'http://hooks.example.com/in', /must use https/],
    ['IPv4', 'https://127.0.0.1/in', /not the IP address/],
    ['a public IPv4', 'https://93.184.216.34/in', /not the IP address/],
    ['IPv4 as one decimal number', 'https://2130706433/in', /not the IP address/],
    ['IPv4 in hex', 'https://0x7f.0.0.1/in', /not the IP address/],
    ['IPv4 in octal', 'https://0177.0.0.1/in', /not the IP address/],
    ['shortened IPv4', 'https://127.1/in', /not the IP address/],
    ['IPv6 loopback', 'https://[::1]/in', /not the IP address/],
    ['IPv4-mapped IPv6', 'https://[::ffff:127.0.0.1]/in', /not the IP address/],
    ['the metadata address', 'https://169.254.169.254/latest', /not the IP address/],
    ['localhost', 'https://localhost/in', /\.localhost name/],
    ['a localhost subdomain', 'https://api.localhost/in', /\.localhost name/],
    ['localhost with a trailing dot', 'https://localhost./in', /\.localhost name/],
    ['a .internal name', 'https://db.internal/in', /\.internal name/],
    ['a .local name', 'https://printer.local/in', /\.local name/],
    ['a single label', 'https://intranet/in', /fully qualified/],
  ])('refuses %s on create and on update', async (_what, url, message) => {
    const created = await create(url);
    expect(created).toMatchObject({ __typename: 'ValidationError', field: 'input.url', message: expect.stringMatching(message) });
    expect(created.message).toContain('strict');
    const { webhook } = await createWebhook(hy.admin, { integratorId });
    expect(await run(hy.admin, 'updateWebhook', { id: webhook.id, url })).toMatchObject({ __typename: 'ValidationError', field: 'input.url' });
  });
});

describe('the permissive URL policy', () => {
  let hy: TestHookyard;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_URL_POLICY: 'permissive' });
    integratorId = (await createIntegrator(hy.admin)).id;
  });
  afterAll(async () => {
    await hy?.stop();
  });

  const create = (url: string) => run(hy.admin, 'createWebhook', { integratorId, name: 'w', url, eventTypes: ['*'] });

  it.each([['http://localhost:3000/hooks'], ['http://127.0.0.1:9/in'], ['http://[::1]:8080/'], ['http://receiver/in']])('accepts %s for local development', async (url) => {
    expect((await create(url)).__typename).toBe('WebhookWithSecretPayload');
  });

  it.each([['ftp://files.example.com/'], ['javascript:alert(1)'], ['https://user:secret@hooks.example.com/'], [`https://hooks.example.com/${'p'.repeat(2048)}`]])(
    'still refuses %s',
    async (url) => {
      expect(await create(url)).toMatchObject({ __typename: 'ValidationError', field: 'input.url' });
    },
  );

  it('accepts a URL of 2048 characters', async () => {
    const base = 'https://hooks.example.com/';
    expect((await create(base + 'p'.repeat(2048 - base.length))).__typename).toBe('WebhookWithSecretPayload');
  });
});

describe('webhook event types', () => {
  let hy: TestHookyard;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard();
    integratorId = (await createIntegrator(hy.admin)).id;
    await registerEventType(hy.admin, 'invoice.created');
  });
  afterAll(async () => {
    await hy?.stop();
  });

  const create = (eventTypes: string[]) => run(hy.admin, 'createWebhook', { integratorId, name: 'w', url: 'https://x.example.com/', eventTypes });

  it.each([[['*']], [['invoice.*']], [['billing.invoice.*']], [['invoice.created']], [['invoice.created', 'customer.*']]])('accepts %j', async (eventTypes) => {
    const result = await create(eventTypes);
    expect(result.__typename).toBe('WebhookWithSecretPayload');
    expect(result.webhook.eventTypes).toEqual(eventTypes);
  });

  it('refuses an exact name until it is registered, naming it', async () => {
    expect(await create(['invoice.created', 'invoice.paid'])).toMatchObject({ __typename: 'ValidationError', field: 'input.eventTypes', message: expect.stringContaining('invoice.paid is not registered') });
    await registerEventType(hy.admin, 'invoice.paid');
    expect((await create(['invoice.created', 'invoice.paid'])).__typename).toBe('WebhookWithSecretPayload');
  });

  it.each([[['**']], [['invoice*']], [['*.created']], [['Invoice.*']], [['']]])('refuses the pattern %j', async (eventTypes) => {
    expect(await create(eventTypes)).toMatchObject({ __typename: 'ValidationError', field: 'input.eventTypes' });
  });

  it('accepts 100 patterns and refuses 101', async () => {
    const patterns = (n: number) => Array.from({ length: n }, (_, i) => `r${i}.*`);
    expect((await create(patterns(100))).__typename).toBe('WebhookWithSecretPayload');
    expect(await create(patterns(101))).toMatchObject({ __typename: 'ValidationError', field: 'input.eventTypes' });
  });
});

describe('webhook secrets', () => {
  const secretKey = randomBytes(32).toString('base64');
  let hy: TestHookyard;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_SECRET_KEY: secretKey });
    integratorId = (await createIntegrator(hy.admin)).id;
  });
  afterAll(async () => {
    await hy?.stop();
  });

  const create = (secret: string) => run(hy.admin, 'createWebhook', { integratorId, name: 'w', url: 'https://x.example.com/', eventTypes: ['*'], secret });

  it.each([[24], [32], [64]])('accepts a given secret of %i bytes and returns it once', async (bytes) => {
    const secret = secretOf(bytes);
    expect(await create(secret)).toMatchObject({ __typename: 'WebhookWithSecretPayload', secret });
  });

  it.each([
    ['23 bytes', secretOf(23)],
    ['65 bytes', secretOf(65)],
    // Without whsec_, 32 to 64 printable ASCII characters are a plain secret (test/delivery/secrets.test.ts); 24 are neither.
    ['no whsec_ prefix, too short for a plain secret', randomBytes(18).toString('base64')],
    ['unpadded base64', secretOf(32).replace(/=+$/, '')],
    ['URL-safe base64', `whsec_${Buffer.from(Array(32).fill(0xfb)).toString('base64url')}=`],
    ['an empty body', 'whsec_'],
  ])('refuses a secret with %s', async (_what, secret) => {
    expect(await create(secret)).toMatchObject({ __typename: 'ValidationError', field: 'input.secret', message: expect.stringContaining('24 to 64') });
  });

  it('exposes no field that could read a secret back', async () => {
    const { data } = await hy.admin('{ __type(name: "Webhook") { fields { name } } }');
    const secretish = data.__type.fields.map((f: { name: string }) => f.name).filter((name: string) => /secret/i.test(name));
    // secretHeaderNames holds names only (test/management/secret-headers.test.ts proves no value comes back).
    expect(secretish).toEqual(['previousSecretExpiresAt', 'secretHeaderNames']);
  });

  it('stores secrets encrypted with the secret key: no table holds one in clear', async () => {
    const { webhook, secret } = await createWebhook(hy.admin, { integratorId });
    const rotated = await ok(hy.admin, 'rotateWebhookSecret', { id: webhook.id });
    const [row] = await sql(hy.databaseUrl, 'select secret_encrypted, previous_secret_encrypted from webhook where id = $1', [webhook.id]);
    const key = parseSecretKey(secretKey);
    expect(decryptSecret(row.secret_encrypted, key)).toBe(rotated.secret);
    expect(decryptSecret(row.previous_secret_encrypted, key)).toBe(secret);

    // What a pg_dump would hold: every row of every table of the schema, as text.
    const tables = await sql(hy.databaseUrl, `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
    for (const { table_name } of tables) {
      const rows = await sql(hy.databaseUrl, `select t::text as row from "${table_name}" t`);
      for (const plain of [secret, rotated.secret]) {
        const body = plain.slice('whsec_'.length);
        const hex = Buffer.from(body, 'base64').toString('hex');
        expect(rows.filter((r) => r.row.includes(body) || r.row.includes(hex)), table_name).toEqual([]);
      }
    }
  });
});

describe('custom headers', () => {
  let hy: TestHookyard;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard();
    integratorId = (await createIntegrator(hy.admin)).id;
  });
  afterAll(async () => {
    await hy?.stop();
  });

  const create = (headers: unknown) => run(hy.admin, 'createWebhook', { integratorId, name: 'w', url: 'https://x.example.com/', eventTypes: ['*'], headers });

  it('accepts ordinary headers, Authorization included', async () => {
    const headers = { Authorization: 'Bearer t', 'X-Tenant-Id': 'acme', 'x-empty': '' };
    expect(await create(headers)).toMatchObject({ __typename: 'WebhookWithSecretPayload', webhook: { headers } });
  });

  it.each([
    ['Connection'],
    ['Keep-Alive'],
    ['Transfer-Encoding'],
    ['TE'],
    ['Trailer'],
    ['Upgrade'],
    ['Proxy-Authorization'],
    ['Host'],
    ['host'],
    ['Content-Length'],
    ['Content-Type'],
    ['User-Agent'],
    ['webhook-id'],
    ['Webhook-Signature'],
    ['WEBHOOK-TIMESTAMP'],
    ['webhook-anything'],
  ])('refuses %s, naming it', async (name) => {
    const result = await create({ [name]: 'x' });
    expect(result).toMatchObject({ __typename: 'ValidationError', field: 'input.headers', message: expect.stringContaining(`"${name}"`) });
  });

  it.each([
    ['a CR LF in a value', { 'x-a': 'b\r\nx-injected: 1' }],
    ['a name with a space', { 'x a': 'b' }],
    ['the same name twice in different case', { 'X-A': '1', 'x-a': '2' }],
    ['21 headers', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, 'v']))],
    ['a value of 4097 characters', { 'x-a': 'v'.repeat(4097) }],
    ['a JSON string', 'x-a: b'],
    ['null values', { 'x-a': null }],
  ])('refuses %s', async (_what, headers) => {
    expect(await create(headers)).toMatchObject({ __typename: 'ValidationError', field: 'input.headers' });
  });

  it('accepts 20 headers with values of 4096 characters', async () => {
    const headers = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-h${i}`, 'v'.repeat(4096)]));
    expect((await create(headers)).__typename).toBe('WebhookWithSecretPayload');
  });
});

describe('the webhook limit', () => {
  const hy = useTestHookyard({ HOOKYARD_WEBHOOK_LIMIT: '3' });

  it('allows exactly the limit, answers LIMIT_EXCEEDED to the next, and counts deleted ones out', async () => {
    const integratorId = (await createIntegrator(hy.admin)).id;
    const created = [];
    for (let i = 0; i < 3; i++) created.push((await createWebhook(hy.admin, { integratorId, name: `w${i}` })).webhook);
    const refused = await run(hy.admin, 'createWebhook', { integratorId, name: 'w3', url: 'https://x.example.com/', eventTypes: ['*'] });
    expect(refused).toMatchObject({ __typename: 'LimitExceededError', code: 'LIMIT_EXCEEDED', limit: 3 });
    await ok(hy.admin, 'deleteWebhook', { id: created[0].id });
    expect((await run(hy.admin, 'createWebhook', { integratorId, name: 'w3', url: 'https://x.example.com/', eventTypes: ['*'] })).__typename).toBe('WebhookWithSecretPayload');
    expect((await hy.admin('{ viewer { tenant { webhookLimit } } }')).data.viewer.tenant.webhookLimit).toBe(3);
  });

  it('holds when creates race: exactly the limit succeed, the rest get LIMIT_EXCEEDED', async () => {
    const tenant = await createTenant(hy.databaseUrl, 'racing');
    await sql(hy.databaseUrl, 'update tenant set webhook_limit = 3 where id = $1', [tenant.tenantId]);
    const client = hy.client(tenant.token);
    const integratorId = (await createIntegrator(client)).id;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => run(client, 'createWebhook', { integratorId, name: `race ${i}`, url: 'https://x.example.com/', eventTypes: ['*'] })),
    );
    const typenames = results.map((r) => r.__typename);
    expect(typenames.filter((t) => t === 'WebhookWithSecretPayload')).toHaveLength(3);
    expect(typenames.filter((t) => t === 'LimitExceededError')).toHaveLength(9);
    const [{ count }] = await sql(hy.databaseUrl, `select count(*)::int as count from webhook where tenant_id = $1 and status <> 'DELETED'`, [tenant.tenantId]);
    expect(count).toBe(3);
  });

  it('applies a changed HOOKYARD_WEBHOOK_LIMIT at the next start, not only at the first', async () => {
    const database = await createTestDatabase();
    const start = (env: Record<string, string>) =>
      startHookyard(loadConfig({ DATABASE_URL: database.url, PORT: '0', HOOKYARD_SMTP_PORT: '0', HOOKYARD_SECRET_KEY: randomBytes(32).toString('base64'), HOOKYARD_ADMIN_TOKEN: 'hy_limit_test_token_0123456789', ...env }), createLogger('silent'));
    const limitAfter = async (env: Record<string, string>) => {
      const running = await start(env);
      try {
        return (await gqlClient(running.baseUrl!, 'hy_limit_test_token_0123456789')('{ viewer { tenant { webhookLimit } } }')).data.viewer.tenant.webhookLimit;
      } finally {
        await running.stop();
      }
    };
    try {
      expect(await limitAfter({})).toBe(100);
      expect(await limitAfter({ HOOKYARD_WEBHOOK_LIMIT: '250' })).toBe(250);
      expect(await limitAfter({ HOOKYARD_WEBHOOK_LIMIT: '5' })).toBe(5);
      // Unset again, the last limit stays: the variable changes it, its absence does not.
      expect(await limitAfter({})).toBe(5);
    } finally {
      await database.drop();
    }
  });

  it('counts per tenant: another tenant full does not stop this one', async () => {
    const other = await createTenant(hy.databaseUrl, 'roomy');
    const client = hy.client(other.token);
    expect((await createWebhook(client)).webhook.status).toBe('ACTIVE');
  });
});
