import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { WEBHOOK, createIntegrator, createWebhook, ok, registerEventType, run } from '../support/fixtures.ts';

const UNKNOWN_WEBHOOK = 'whk_00000000000000000000000000';

describe('webhooks', () => {
  let hy: TestHookyard;
  let integratorId: string;
  beforeAll(async () => {
    hy = await startTestHookyard();
    integratorId = (await createIntegrator(hy.admin)).id;
    await registerEventType(hy.admin, 'invoice.created');
    await registerEventType(hy.admin, 'invoice.paid');
  });
  afterAll(async () => {
    await hy?.stop();
  });

  const node = async (id: string) => (await hy.admin(`query ($id: ID!) { node(id: $id) { ... on Webhook { ${WEBHOOK} } } }`, { id })).data.node;

  describe('createWebhook', () => {
    it('creates an ACTIVE webhook with the documented defaults, its secret and a "created" history line', async () => {
      const result = await run(hy.admin, 'createWebhook', { integratorId, name: 'Ledger', url: 'https://hooks.example.com/in', eventTypes: ['invoice.created'] });
      expect(result.__typename).toBe('WebhookWithSecretPayload');
      expect(result.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
      expect(Buffer.from(result.secret.slice(6), 'base64')).toHaveLength(32);
      expect(result.webhook).toMatchObject({
        name: 'Ledger',
        description: '',
        url: 'https://hooks.example.com/in',
        eventTypes: ['invoice.created'],
        channels: [],
        headers: {},
        status: 'ACTIVE',
        statusReason: null,
        retrySchedule: null, // none of its own: the event type's default, else Hookyard's (5 s … 10 h)
        filter: null,
        timeoutSeconds: 15,
        rateLimitPerSecond: null,
        previousSecretExpiresAt: null,
        integrator: { id: integratorId },
        history: [{ fromStatus: null, toStatus: 'ACTIVE', reason: 'created', createdAt: result.webhook.createdAt }],
      });
      expect(result.webhook.id).toMatch(/^whk_/);
    });

    it('keeps every field given', async () => {
      const input = {
        integratorId,
        name: 'Full',
        description: 'All fields',
        url: 'http://127.0.0.1:9999/hook',
        eventTypes: ['invoice.created', 'invoice.*', '*'],
        channels: ['eu-west', 'store:42'],
        headers: { 'X-Tenant': 'acme', Authorization: 'Bearer receiver-token' },
        retrySchedule: [1, 2, 3],
        timeoutSeconds: 60,
        rateLimitPerSecond: 10,
      };
      const { webhook } = await ok(hy.admin, 'createWebhook', input);
      const { integratorId: _, ...fields } = input;
      expect(webhook).toMatchObject({ ...fields, integrator: { id: integratorId } });
    });

    it.each([
      [1, 1],
      [100, 1000],
    ])('takes maxInFlight %i and circuitThreshold %i, the edges of their ranges', async (maxInFlight, circuitThreshold) => {
      const { webhook } = await ok(hy.admin, 'createWebhook', { integratorId, name: 'Edges', url: 'https://x.example.com/', eventTypes: ['*'], maxInFlight, circuitThreshold });
      const read = (await hy.admin(`query ($id: ID!) { node(id: $id) { ... on Webhook { maxInFlight circuit { threshold } } } }`, { id: webhook.id })).data.node;
      expect(read).toEqual({ maxInFlight, circuit: { threshold: circuitThreshold } });
    });

    it.each([
      ['an unknown integrator', { integratorId: 'int_00000000000000000000000000' }, 'NotFoundError', undefined],
      ['an empty name', { name: ' ' }, 'ValidationError', 'input.name'],
      ['a URL that is not one', { url: 'hooks.example.com' }, 'ValidationError', 'input.url'],
      ['an ftp URL', { url: 'ftp://hooks.example.com/' }, 'ValidationError', 'input.url'],
      ['a URL with credentials', { url: 'https://user:pass@hooks.example.com/' }, 'ValidationError', 'input.url'],
      ['no event types', { eventTypes: [] }, 'ValidationError', 'input.eventTypes'],
      ['an unregistered event type', { eventTypes: ['invoice.voided'] }, 'ValidationError', 'input.eventTypes'],
      ['a malformed pattern', { eventTypes: ['invoice.**'] }, 'ValidationError', 'input.eventTypes'],
      ['a leading wildcard', { eventTypes: ['*.created'] }, 'ValidationError', 'input.eventTypes'],
      ['a bad channel', { channels: ['has space'] }, 'ValidationError', 'input.channels'],
      ['a malformed secret', { secret: 'not-a-secret' }, 'ValidationError', 'input.secret'],
      ['headers that are not an object', { headers: ['x-a', 'b'] }, 'ValidationError', 'input.headers'],
      ['a header with a number value', { headers: { 'x-a': 1 } }, 'ValidationError', 'input.headers'],
      ['a retry delay of 0', { retrySchedule: [0] }, 'ValidationError', 'input.retrySchedule'],
      ['21 retries', { retrySchedule: Array(21).fill(1) }, 'ValidationError', 'input.retrySchedule'],
      ['a timeout of 0', { timeoutSeconds: 0 }, 'ValidationError', 'input.timeoutSeconds'],
      ['a timeout of 61 s', { timeoutSeconds: 61 }, 'ValidationError', 'input.timeoutSeconds'],
      ['a rate limit of 0', { rateLimitPerSecond: 0 }, 'ValidationError', 'input.rateLimitPerSecond'],
      ['0 requests at once', { maxInFlight: 0 }, 'ValidationError', 'input.maxInFlight'],
      ['101 requests at once', { maxInFlight: 101 }, 'ValidationError', 'input.maxInFlight'],
      ['a circuit threshold of 0', { circuitThreshold: 0 }, 'ValidationError', 'input.circuitThreshold'],
      ['a circuit threshold of 1001', { circuitThreshold: 1001 }, 'ValidationError', 'input.circuitThreshold'],
    ])('refuses %s with a typed error and creates nothing', async (_what, override, typename, field) => {
      const before = (await hy.admin('{ webhooks { totalCount } }')).data.webhooks.totalCount;
      const result = await run(hy.admin, 'createWebhook', { integratorId, name: 'x', url: 'https://x.example.com/', eventTypes: ['*'], ...override });
      expect(result.__typename).toBe(typename);
      if (field) expect(result.field).toBe(field);
      expect((await hy.admin('{ webhooks { totalCount } }')).data.webhooks.totalCount).toBe(before);
    });
  });

  describe('updateWebhook', () => {
    it('changes the fields given and keeps the rest', async () => {
      const { webhook } = await createWebhook(hy.admin, { integratorId, name: 'Old name', channels: ['a'], rateLimitPerSecond: 5 });
      const { webhook: updated } = await ok(hy.admin, 'updateWebhook', {
        id: webhook.id,
        name: 'New name',
        url: 'https://new.example.com/hook',
        eventTypes: ['invoice.paid'],
        headers: { 'x-version': '2' },
        retrySchedule: [10],
        timeoutSeconds: 5,
      });
      expect(updated).toMatchObject({
        name: 'New name',
        url: 'https://new.example.com/hook',
        eventTypes: ['invoice.paid'],
        headers: { 'x-version': '2' },
        retrySchedule: [10],
        timeoutSeconds: 5,
        channels: ['a'],
        rateLimitPerSecond: 5,
        status: 'ACTIVE',
      });
    });

    it('removes the rate limit when given null', async () => {
      const { webhook } = await createWebhook(hy.admin, { integratorId, rateLimitPerSecond: 5 });
      expect((await ok(hy.admin, 'updateWebhook', { id: webhook.id, rateLimitPerSecond: null })).webhook.rateLimitPerSecond).toBeNull();
    });

    it.each([
      ['a bad URL', { url: 'nope' }, 'input.url'],
      ['an unregistered event type', { eventTypes: ['invoice.voided'] }, 'input.eventTypes'],
      ['a reserved header', { headers: { Host: 'evil.example' } }, 'input.headers'],
      ['an empty name', { name: '' }, 'input.name'],
      ['a timeout of 61 s', { timeoutSeconds: 61 }, 'input.timeoutSeconds'],
      ['101 requests at once', { maxInFlight: 101 }, 'input.maxInFlight'],
      ['a circuit threshold of 0', { circuitThreshold: 0 }, 'input.circuitThreshold'],
    ])('refuses %s and keeps the webhook as it was', async (_what, override, field) => {
      const { webhook } = await createWebhook(hy.admin, { integratorId });
      expect(await run(hy.admin, 'updateWebhook', { id: webhook.id, ...override })).toMatchObject({ __typename: 'ValidationError', field });
      expect(await node(webhook.id)).toEqual(webhook);
    });

    it('answers NotFoundError for an unknown webhook', async () => {
      expect(await run(hy.admin, 'updateWebhook', { id: UNKNOWN_WEBHOOK, name: 'x' })).toMatchObject({ __typename: 'NotFoundError' });
    });
  });

  describe('pause, resume and delete', () => {
    it('pauses and resumes, keeping each change with its reason and time in the history', async () => {
      const { webhook } = await createWebhook(hy.admin, { integratorId });
      const paused = (await ok(hy.admin, 'pauseWebhook', { id: webhook.id, reason: 'receiver maintenance' })).webhook;
      expect(paused).toMatchObject({ status: 'PAUSED', statusReason: 'receiver maintenance' });
      expect(paused.pausedAt).not.toBeNull();
      const resumed = (await ok(hy.admin, 'resumeWebhook', { id: webhook.id })).webhook;
      expect(resumed).toMatchObject({ status: 'ACTIVE', statusReason: null, pausedAt: null });
      expect(resumed.history.map((h: any) => [h.fromStatus, h.toStatus, h.reason])).toEqual([
        [null, 'ACTIVE', 'created'],
        ['ACTIVE', 'PAUSED', 'receiver maintenance'],
        ['PAUSED', 'ACTIVE', 'resumed'],
      ]);
      const times = resumed.history.map((h: any) => new Date(h.createdAt).getTime());
      expect([...times].sort((x, y) => x - y)).toEqual(times);
    });

    it('changes nothing when pausing a paused webhook or resuming an active one', async () => {
      const { webhook } = await createWebhook(hy.admin, { integratorId });
      expect((await ok(hy.admin, 'resumeWebhook', { id: webhook.id })).webhook.history).toHaveLength(1);
      await ok(hy.admin, 'pauseWebhook', { id: webhook.id });
      const again = (await ok(hy.admin, 'pauseWebhook', { id: webhook.id, reason: 'again' })).webhook;
      expect(again.history).toHaveLength(2);
      expect(again.statusReason).toBe('paused');
    });

    it('deletes for good: DELETED stays visible, and nothing can change it any more', async () => {
      const { webhook } = await createWebhook(hy.admin, { integratorId });
      await ok(hy.admin, 'pauseWebhook', { id: webhook.id });
      const deleted = (await ok(hy.admin, 'deleteWebhook', { id: webhook.id, reason: 'integrator left' })).webhook;
      expect(deleted).toMatchObject({ status: 'DELETED', statusReason: 'integrator left' });
      expect(deleted.deletedAt).not.toBeNull();
      expect(deleted.history.at(-1)).toMatchObject({ fromStatus: 'PAUSED', toStatus: 'DELETED', reason: 'integrator left' });

      for (const [mutation, input] of [
        ['resumeWebhook', { id: webhook.id }],
        ['pauseWebhook', { id: webhook.id }],
        ['updateWebhook', { id: webhook.id, name: 'revived' }],
        ['rotateWebhookSecret', { id: webhook.id }],
        ['deleteWebhook', { id: webhook.id }],
      ] as const) {
        const result = await run(hy.admin, mutation, input);
        expect(result, mutation).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', message: expect.stringContaining('deleted') });
      }
      expect(await node(webhook.id)).toEqual(deleted);
      const listed = (await hy.admin('{ webhooks(filter: { status: [DELETED] }, first: 100) { edges { node { id } } } }')).data.webhooks.edges;
      expect(listed.map((e: any) => e.node.id)).toContain(webhook.id);
    });

    it.each(['pauseWebhook', 'resumeWebhook', 'deleteWebhook', 'rotateWebhookSecret'] as const)('%s answers NotFoundError for an unknown webhook', async (mutation) => {
      expect(await run(hy.admin, mutation, { id: UNKNOWN_WEBHOOK })).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    });

    it('refuses a reason over 500 characters', async () => {
      const { webhook } = await createWebhook(hy.admin, { integratorId });
      expect(await run(hy.admin, 'pauseWebhook', { id: webhook.id, reason: 'r'.repeat(501) })).toMatchObject({ __typename: 'ValidationError', field: 'input.reason' });
      expect((await node(webhook.id)).status).toBe('ACTIVE');
    });
  });

  describe('rotateWebhookSecret', () => {
    it('returns a new generated secret once and keeps the previous one valid for 24 hours', async () => {
      const { webhook, secret } = await createWebhook(hy.admin, { integratorId });
      const before = Date.now();
      const rotated = await ok(hy.admin, 'rotateWebhookSecret', { id: webhook.id });
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(secret);
      const expires = new Date(rotated.webhook.previousSecretExpiresAt).getTime();
      expect(expires).toBeGreaterThanOrEqual(before + 24 * 3600 * 1000 - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3600 * 1000 + 1000);
    });

    it('takes a given secret, and refuses a malformed one', async () => {
      const { webhook } = await createWebhook(hy.admin, { integratorId });
      const given = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
      expect((await ok(hy.admin, 'rotateWebhookSecret', { id: webhook.id, secret: given })).secret).toBe(given);
      expect(await run(hy.admin, 'rotateWebhookSecret', { id: webhook.id, secret: 'whsec_short' })).toMatchObject({ __typename: 'ValidationError', field: 'input.secret' });
    });
  });

  describe('the webhooks list', () => {
    let fresh: TestHookyard;
    let acme: string;
    let globex: string;
    beforeAll(async () => {
      fresh = await startTestHookyard();
      acme = (await createIntegrator(fresh.admin, { name: 'Acme' })).id;
      globex = (await createIntegrator(fresh.admin, { name: 'Globex' })).id;
      await createWebhook(fresh.admin, { integratorId: acme, name: 'Acme ledger', url: 'https://ledger.acme.example/in' });
      const paused = await createWebhook(fresh.admin, { integratorId: acme, name: 'Acme CRM', description: 'Customer sync', url: 'https://crm.acme.example/in' });
      await ok(fresh.admin, 'pauseWebhook', { id: paused.webhook.id });
      const gone = await createWebhook(fresh.admin, { integratorId: globex, name: 'Globex old', url: 'https://old.globex.example/in' });
      await ok(fresh.admin, 'deleteWebhook', { id: gone.webhook.id });
      await createWebhook(fresh.admin, { integratorId: globex, name: 'Globex billing', url: 'https://billing.globex.example/in' });
    });
    afterAll(async () => {
      await fresh?.stop();
    });

    const names = async (filter: string, variables?: Record<string, unknown>) => {
      const { data, errors } = await fresh.admin(`query ${variables ? '($i: ID)' : ''} { webhooks(filter: ${filter}) { totalCount edges { node { name } } } }`, variables);
      expect(errors).toBeUndefined();
      return data.webhooks.edges.map((e: any) => e.node.name).sort();
    };

    it('lists every webhook, deleted ones included', async () => {
      expect(await names('{}')).toEqual(['Acme CRM', 'Acme ledger', 'Globex billing', 'Globex old']);
    });

    it('filters by integrator', async () => {
      expect(await names('{ integratorId: $i }', { i: acme })).toEqual(['Acme CRM', 'Acme ledger']);
      expect(await names('{ integratorId: $i }', { i: globex })).toEqual(['Globex billing', 'Globex old']);
    });

    it('filters by one or more statuses', async () => {
      expect(await names('{ status: [PAUSED] }')).toEqual(['Acme CRM']);
      expect(await names('{ status: [ACTIVE, DELETED] }')).toEqual(['Acme ledger', 'Globex billing', 'Globex old']);
    });

    it('searches name, description and URL in any case', async () => {
      expect(await names('{ search: "LEDGER" }')).toEqual(['Acme ledger']);
      expect(await names('{ search: "customer" }')).toEqual(['Acme CRM']);
      expect(await names('{ search: "billing.globex" }')).toEqual(['Globex billing']);
    });

    it('combines the filters', async () => {
      expect(await names('{ integratorId: $i, status: [ACTIVE], search: "globex" }', { i: globex })).toEqual(['Globex billing']);
    });
  });
});
