// The attempts log filters like the delivery log: time range, webhook, integrator,
// delivery, event type, trigger, succeeded, HTTP status (exact or class), error kind,
// newest or oldest first, keyset pages both ways, pages of at most 100, one tenant's only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createTenant } from '../support/fixtures.ts';
import type { GqlClient } from '../support/graphql.ts';
import { at, createCatalog, insertAttempt, insertDeliveries, variedDeliveries, withClient, type Catalog, type SeedDelivery } from '../support/seed.ts';

const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: AttemptFilter, $order: AttemptOrder) {
  attempts(first: $first, after: $after, last: $last, before: $before, filter: $filter, order: $order) {
    totalCount
    edges { node { id } }
    pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
  }
}`;

interface Seeded {
  id: string;
  tenantId: string;
  deliveryId: string;
  webhookId: string;
  integratorId: string;
  eventType: string;
  trigger: 'SCHEDULED' | 'MANUAL';
  succeeded: boolean;
  status: number | null;
  errorKind: string | null;
  createdAt: string;
}

const STATUSES = [200, 503, 404, null, 500, 201, 302];
const KINDS = ['timeout', 'dns', 'refused', 'tls', 'blocked'];

describe('the attempts log', () => {
  let hy: TestHookyard;
  let catalog: Catalog;
  let other: { client: GqlClient; attempts: Seeded[] };
  const attempts: Seeded[] = [];

  async function seed(catalogOf: Catalog, deliveries: SeedDelivery[], count: number): Promise<Seeded[]> {
    const out: Seeded[] = [];
    await withClient(hy.databaseUrl, async (client) => {
      await insertDeliveries(client, deliveries);
      for (let i = 0; i < count; i++) {
        const d = deliveries[i % deliveries.length];
        const status = STATUSES[i % STATUSES.length];
        const succeeded = status != null && status < 300;
        const errorKind = status == null ? KINDS[i % KINDS.length] : null;
        // Every fourth shares its created_at with the previous one: ties fall to the id.
        const createdAt = at(1000 + (i % 4 === 3 ? i - 1 : i));
        const trigger = i % 5 === 0 ? 'MANUAL' : 'SCHEDULED';
        const id = await insertAttempt(client, { tenantId: catalogOf.tenantId, deliveryId: d.id, webhookId: d.webhookId, succeeded, createdAt, status, trigger, errorKind, number: 1 + (i % 3) });
        out.push({ id, tenantId: catalogOf.tenantId, deliveryId: d.id, webhookId: d.webhookId, integratorId: d.integratorId, eventType: d.eventType, trigger, succeeded, status, errorKind, createdAt });
      }
    });
    return out;
  }

  const newest = (list: Seeded[]) => [...list].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1)).map((a) => a.id);

  async function page(client: GqlClient, variables: Record<string, unknown>) {
    const response = await client(PAGE, variables);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data.attempts;
  }

  async function walk(client: GqlClient, variables: Record<string, unknown>, size: number, backward = false): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 200; guard++) {
      const p = await page(client, backward ? { ...variables, last: size, before: cursor } : { ...variables, first: size, after: cursor });
      const got = p.edges.map((e: { node: { id: string } }) => e.node.id);
      if (backward) ids.unshift(...got);
      else ids.push(...got);
      if (!(backward ? p.pageInfo.hasPreviousPage : p.pageInfo.hasNextPage)) return ids;
      cursor = backward ? p.pageInfo.startCursor : p.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  beforeAll(async () => {
    // The seeded log is from January 2026: retention (7 days by default) would delete it mid-file.
    hy = await startTestHookyard({ HOOKYARD_RETENTION_DAYS: '3650' });
    catalog = await createCatalog(hy.admin, hy.databaseUrl, hy.adminToken, 'a');
    attempts.push(...(await seed(catalog, variedDeliveries(catalog, 20), 70)));
    const tenant = await createTenant(hy.databaseUrl, 'neighbour');
    const client = hy.client(tenant.token);
    const otherCatalog = await createCatalog(client, hy.databaseUrl, tenant.token, 'b');
    other = { client, attempts: await seed(otherCatalog, variedDeliveries(otherCatalog, 6), 9) };
  }, 120_000);

  afterAll(async () => {
    await hy?.stop();
  });

  it('applies every filter, alone, and counts what it matches', async () => {
    const d = attempts[3];
    const cases: [string, Record<string, unknown>, (a: Seeded) => boolean][] = [
      ['createdFrom and createdTo', { createdFrom: at(1010), createdTo: at(1030) }, (a) => a.createdAt >= at(1010) && a.createdAt < at(1030)],
      ['createdFrom alone (edge included)', { createdFrom: attempts[20].createdAt }, (a) => a.createdAt >= attempts[20].createdAt],
      ['webhookId', { webhookId: catalog.webhooks[1].id }, (a) => a.webhookId === catalog.webhooks[1].id],
      ['integratorId', { integratorId: catalog.integrators[2].id }, (a) => a.integratorId === catalog.integrators[2].id],
      ['deliveryId', { deliveryId: d.deliveryId }, (a) => a.deliveryId === d.deliveryId],
      ['eventType', { eventType: 'order.shipped' }, (a) => a.eventType === 'order.shipped'],
      ['trigger MANUAL', { trigger: 'MANUAL' }, (a) => a.trigger === 'MANUAL'],
      ['trigger SCHEDULED', { trigger: 'SCHEDULED' }, (a) => a.trigger === 'SCHEDULED'],
      ['succeeded true', { succeeded: true }, (a) => a.succeeded],
      ['succeeded false', { succeeded: false }, (a) => !a.succeeded],
      ['httpStatus exact', { httpStatus: '503' }, (a) => a.status === 503],
      ['httpStatus class 5xx', { httpStatus: '5xx' }, (a) => a.status != null && a.status >= 500 && a.status <= 599],
      ['httpStatus class 2XX', { httpStatus: '2XX' }, (a) => a.status != null && a.status >= 200 && a.status <= 299],
      ['httpStatus 3xx', { httpStatus: '3xx' }, (a) => a.status != null && a.status >= 300 && a.status <= 399],
      ['errorKind', { errorKind: 'TIMEOUT' }, (a) => a.errorKind === 'timeout'],
      ['errorKind BLOCKED', { errorKind: 'BLOCKED' }, (a) => a.errorKind === 'blocked'],
      ['several at once', { succeeded: false, trigger: 'SCHEDULED', httpStatus: '5xx' }, (a) => !a.succeeded && a.trigger === 'SCHEDULED' && a.status != null && a.status >= 500],
    ];
    for (const [name, filter, predicate] of cases) {
      const expected = newest(attempts.filter(predicate));
      expect(expected.length, name).toBeGreaterThan(0);
      expect(expected.length, name).toBeLessThan(attempts.length - 1);
      const p = await page(hy.admin, { first: 100, filter });
      expect(p.edges.map((e: { node: { id: string } }) => e.node.id), name).toEqual(expected);
      expect(p.totalCount, name).toBe(expected.length);
    }
  });

  it('pages newest or oldest first, forward and backward, without a gap or a repeat', async () => {
    const expected = newest(attempts);
    expect(await walk(hy.admin, {}, 9)).toEqual(expected);
    expect(await walk(hy.admin, {}, 9, true)).toEqual(expected);
    expect(await walk(hy.admin, { order: 'OLDEST_FIRST' }, 8)).toEqual([...expected].reverse());
    expect(await walk(hy.admin, { order: 'OLDEST_FIRST' }, 8, true)).toEqual([...expected].reverse());
    const filtered = newest(attempts.filter((a) => !a.succeeded));
    expect(await walk(hy.admin, { filter: { succeeded: false }, order: 'OLDEST_FIRST' }, 4)).toEqual([...filtered].reverse());
  });

  it('refuses a cursor of the other order, and pages over 100', async () => {
    const first = await page(hy.admin, { first: 5 });
    const response = await hy.admin(PAGE, { first: 5, after: first.pageInfo.endCursor, order: 'OLDEST_FIRST' });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'after' });
    expect((await page(hy.admin, { first: 100 })).edges).toHaveLength(70);
    const tooMany = await hy.admin(PAGE, { first: 101 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });

  it('refuses a bad filter naming the field', async () => {
    for (const [filter, field] of [
      [{ httpStatus: '6xx' }, 'filter.httpStatus'],
      [{ httpStatus: '99' }, 'filter.httpStatus'],
      [{ httpStatus: '5x' }, 'filter.httpStatus'],
      [{ webhookId: catalog.integrators[0].id }, 'filter.webhookId'],
      [{ integratorId: 'int_nope' }, 'filter.integratorId'],
      [{ deliveryId: attempts[0].id }, 'filter.deliveryId'],
      [{ createdFrom: at(20), createdTo: at(10) }, 'filter.createdTo'],
      [{ eventType: '  ' }, 'filter.eventType'],
    ] as const) {
      const response = await hy.admin(PAGE, { first: 5, filter });
      expect(response.errors?.[0]?.extensions, JSON.stringify(filter)).toMatchObject({ code: 'VALIDATION', field });
    }
  });

  it("shows a tenant only its own attempts, whatever it filters by", async () => {
    const mine = await page(other.client, { first: 100 });
    expect(mine.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(newest(other.attempts));
    expect(mine.totalCount).toBe(other.attempts.length);
    for (const filter of [
      { webhookId: catalog.webhooks[1].id },
      { integratorId: catalog.integrators[2].id },
      { deliveryId: attempts[3].deliveryId },
      { eventType: attempts[0].eventType, httpStatus: '5xx' },
      { errorKind: 'TIMEOUT' as const, trigger: 'SCHEDULED' as const },
    ]) {
      const p = await page(other.client, { first: 100, filter });
      const theirs = other.attempts.filter((a) =>
        Object.entries(filter).every(([k, v]) =>
          k === 'httpStatus' ? a.status != null && a.status >= 500 : k === 'errorKind' ? a.errorKind === String(v).toLowerCase() : (a as unknown as Record<string, unknown>)[k] === v,
        ),
      );
      expect(p.edges.map((e: { node: { id: string } }) => e.node.id), JSON.stringify(filter)).toEqual(newest(theirs));
    }
  });
});
