import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createTenant } from '../support/fixtures.ts';
import type { GqlClient } from '../support/graphql.ts';
import { newId } from '../../core/ids.ts';
import { at, createCatalog, insertAttempt, insertDeliveries, variedDeliveries, withClient, type Catalog, type SeedDelivery } from '../support/seed.ts';

const FIELDS = ['CREATED_AT', 'INTEGRATOR', 'WEBHOOK', 'EVENT_TYPE', 'ATTEMPTS', 'LAST_ATTEMPT_AT', 'SUCCEEDED', 'DELIVERED_AT'] as const;
type Field = (typeof FIELDS)[number];
type Order = { field: Field; direction: 'ASC' | 'DESC' };

const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: DeliveryFilter, $orderBy: [DeliveryOrder!]) {
  deliveries(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id status succeeded attemptCount createdAt deliveredAt lastAttemptAt eventType webhook { id } integrator { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const PAGE_NO_COUNT = PAGE.replace('totalCount', '');

/** The order the log promises, computed independently: the keys, then created_at and id in the last key's direction. */
function expectedOrder(rows: SeedDelivery[], catalog: Catalog, orderBy: Order[]): string[] {
  const rank = (list: { id: string; name: string }[]) => {
    const sorted = [...list].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : a.id < b.id ? -1 : 1));
    return new Map(sorted.map((x, i) => [x.id, i]));
  };
  const integratorRank = rank(catalog.integrators);
  const webhookRank = rank(catalog.webhooks);
  const value = (r: SeedDelivery, field: Field | 'ID'): string | number => {
    switch (field) {
      case 'CREATED_AT':
        return r.createdAt;
      case 'DELIVERED_AT':
        return r.deliveredAt ?? 'infinity';
      case 'LAST_ATTEMPT_AT':
        return r.lastAttemptAt ?? 'infinity';
      case 'ATTEMPTS':
        return r.attemptCount;
      case 'SUCCEEDED':
        return r.status === 'SUCCEEDED' ? 1 : 0;
      case 'EVENT_TYPE':
        return r.eventType;
      case 'INTEGRATOR':
        return integratorRank.get(r.integratorId)!;
      case 'WEBHOOK':
        return webhookRank.get(r.webhookId)!;
      case 'ID':
        return r.id;
    }
  };
  const last = orderBy.at(-1)?.direction ?? 'DESC';
  const keys: { field: Field | 'ID'; direction: 'ASC' | 'DESC' }[] = [...orderBy];
  if (!orderBy.some((o) => o.field === 'CREATED_AT')) keys.push({ field: 'CREATED_AT', direction: last });
  keys.push({ field: 'ID', direction: last });
  return [...rows]
    .sort((a, b) => {
      for (const k of keys) {
        const x = value(a, k.field);
        const y = value(b, k.field);
        if (x !== y) return (x < y ? -1 : 1) * (k.direction === 'ASC' ? 1 : -1);
      }
      return 0;
    })
    .map((r) => r.id);
}

async function pageOf(client: GqlClient, variables: Record<string, unknown>, query = PAGE) {
  const response = await client(query, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data.deliveries;
}

async function walkForward(client: GqlClient, variables: Record<string, unknown>, size: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 200; guard++) {
    const page: any = await pageOf(client, { ...variables, first: size, after }, PAGE_NO_COUNT);
    ids.push(...page.edges.map((e: any) => e.node.id));
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
  throw new Error('paging did not end');
}

async function walkBackward(client: GqlClient, variables: Record<string, unknown>, size: number): Promise<string[]> {
  const ids: string[] = [];
  let before: string | null = null;
  for (let guard = 0; guard < 200; guard++) {
    const page: any = await pageOf(client, { ...variables, last: size, before }, PAGE_NO_COUNT);
    ids.unshift(...page.edges.map((e: any) => e.node.id));
    expect(page.pageInfo.hasNextPage).toBe(before !== null);
    if (!page.pageInfo.hasPreviousPage) return ids;
    before = page.pageInfo.startCursor;
  }
  throw new Error('paging did not end');
}

describe('the deliveries query', () => {
  let hy: TestHookyard;
  let catalog: Catalog;
  let other: { tenantId: string; token: string; client: GqlClient; catalog: Catalog; rows: SeedDelivery[] };
  let rows: SeedDelivery[];
  let attemptId: string;

  beforeAll(async () => {
    // The seeded log is from January 2026: retention (7 days by default) would delete it mid-file.
    hy = await startTestHookyard({ HOOKYARD_RETENTION_DAYS: '3650' });
    catalog = await createCatalog(hy.admin, hy.databaseUrl, hy.adminToken, 'a');
    const tenant = await createTenant(hy.databaseUrl, 'neighbour');
    const client = hy.client(tenant.token);
    const otherCatalog = await createCatalog(client, hy.databaseUrl, tenant.token, 'b');
    rows = variedDeliveries(catalog, 47);
    const otherRows = variedDeliveries(otherCatalog, 12);
    other = { ...tenant, client, catalog: otherCatalog, rows: otherRows };
    await withClient(hy.databaseUrl, async (c) => {
      await insertDeliveries(c, rows);
      await insertDeliveries(c, otherRows);
      attemptId = await insertAttempt(c, { tenantId: catalog.tenantId, deliveryId: rows[5].id, webhookId: rows[5].webhookId, succeeded: false, createdAt: at(300) });
    });
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('lists newest first by default, with the total count', async () => {
    const page = await pageOf(hy.admin, { first: 10 });
    expect(page.totalCount).toBe(rows.length);
    expect(page.edges.map((e: any) => e.node.id)).toEqual(expectedOrder(rows, catalog, [{ field: 'CREATED_AT', direction: 'DESC' }]).slice(0, 10));
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  for (const field of FIELDS) {
    for (const direction of ['ASC', 'DESC'] as const) {
      it(`sorts by ${field} ${direction} and pages forward and backward through the same order`, async () => {
        const orderBy = [{ field, direction }];
        const expected = expectedOrder(rows, catalog, orderBy);
        expect(await walkForward(hy.admin, { orderBy }, 6)).toEqual(expected);
        expect(await walkBackward(hy.admin, { orderBy }, 6)).toEqual(expected);
      });
    }
  }

  it('sorts by several columns at once, in mixed directions', async () => {
    for (const orderBy of [
      [{ field: 'ATTEMPTS', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'ASC' }],
      [{ field: 'SUCCEEDED', direction: 'ASC' }, { field: 'DELIVERED_AT', direction: 'DESC' }],
      [{ field: 'INTEGRATOR', direction: 'ASC' }, { field: 'WEBHOOK', direction: 'DESC' }, { field: 'ATTEMPTS', direction: 'ASC' }],
      [{ field: 'EVENT_TYPE', direction: 'DESC' }, { field: 'INTEGRATOR', direction: 'DESC' }],
      [{ field: 'WEBHOOK', direction: 'ASC' }, { field: 'LAST_ATTEMPT_AT', direction: 'ASC' }],
      // The first key one way and created at the other: walked value by value.
      [{ field: 'ATTEMPTS', direction: 'ASC' }, { field: 'CREATED_AT', direction: 'DESC' }],
      [{ field: 'DELIVERED_AT', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'ASC' }],
      [{ field: 'LAST_ATTEMPT_AT', direction: 'ASC' }, { field: 'CREATED_AT', direction: 'DESC' }],
      [{ field: 'SUCCEEDED', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'ASC' }],
      [{ field: 'EVENT_TYPE', direction: 'ASC' }, { field: 'CREATED_AT', direction: 'DESC' }],
    ] as Order[][]) {
      const expected = expectedOrder(rows, catalog, orderBy);
      expect(await walkForward(hy.admin, { orderBy }, 5), JSON.stringify(orderBy)).toEqual(expected);
      expect(await walkBackward(hy.admin, { orderBy }, 5), JSON.stringify(orderBy)).toEqual(expected);
    }
  });

  const filters: [string, Record<string, unknown>, (r: SeedDelivery) => boolean][] = [];
  beforeAll(() => {
    const w = catalog.webhooks[1];
    const i = catalog.integrators[2];
    filters.push(
      ['createdFrom and createdTo', { createdFrom: at(3), createdTo: at(9) }, (r) => r.createdAt >= at(3) && r.createdAt < at(9)],
      ['createdFrom alone', { createdFrom: at(5) }, (r) => r.createdAt >= at(5)],
      ['createdTo alone', { createdTo: at(5) }, (r) => r.createdAt < at(5)],
      ['deliveredFrom and deliveredTo', { deliveredFrom: at(203), deliveredTo: at(207) }, (r) => r.deliveredAt !== null && r.deliveredAt >= at(203) && r.deliveredAt < at(207)],
      ['deliveredFrom alone, which leaves out the undelivered', { deliveredFrom: at(205) }, (r) => r.deliveredAt !== null && r.deliveredAt >= at(205)],
      ['deliveredTo alone', { deliveredTo: at(205) }, (r) => r.deliveredAt !== null && r.deliveredAt < at(205)],
      ['attemptsMin and attemptsMax', { attemptsMin: 2, attemptsMax: 3 }, (r) => r.attemptCount >= 2 && r.attemptCount <= 3],
      ['attemptsMax 0', { attemptsMax: 0 }, (r) => r.attemptCount === 0],
      ['integratorId', { integratorId: i.id }, (r) => r.integratorId === i.id],
      ['webhookId', { webhookId: w.id }, (r) => r.webhookId === w.id],
      ['eventType', { eventType: 'invoice.paid' }, (r) => r.eventType === 'invoice.paid'],
      ['succeeded true', { succeeded: true }, (r) => r.status === 'SUCCEEDED'],
      ['succeeded false (failed-only)', { succeeded: false }, (r) => r.status !== 'SUCCEEDED'],
      ['one status', { status: ['FAILED'] }, (r) => r.status === 'FAILED'],
      ['several statuses', { status: ['FAILED', 'RETRYING', 'PENDING'] }, (r) => ['FAILED', 'RETRYING', 'PENDING'].includes(r.status)],
      ['an empty status list (any status)', { status: [] }, () => true],
      ['ids', { ids: [rows[0].id, rows[9].id, rows[30].id] }, (r) => [rows[0].id, rows[9].id, rows[30].id].includes(r.id)],
      ['an empty id list (nothing)', { ids: [] }, () => false],
      ['search by part of an integrator name, any case', { search: 'ACME' }, (r) => r.integratorId === catalog.integrators[1].id],
      ['search by part of a webhook name', { search: 'audit' }, (r) => r.webhookId === catalog.webhooks[2].id],
      ['search by part of a webhook URL', { search: 'zeta-orders' }, (r) => r.webhookId === catalog.webhooks[0].id],
      ['search by part of an event type', { search: 'shipped' }, (r) => r.eventType === 'order.shipped'],
      ['search by a delivery id', { search: rows[12].id }, (r) => r.id === rows[12].id],
      ['search by an event id', { search: rows[13].eventId }, (r) => r.id === rows[13].id],
      ['search by a webhook id', { search: w.id }, (r) => r.webhookId === w.id],
      ['search by an integrator id', { search: i.id }, (r) => r.integratorId === i.id],
      ['search with LIKE wildcards, taken literally', { search: '%' }, () => false],
      ['search that matches nothing', { search: 'no such thing' }, () => false],
      ['search and filters together', { search: 'acme', status: ['SUCCEEDED'], attemptsMin: 2 }, (r) => r.integratorId === catalog.integrators[1].id && r.status === 'SUCCEEDED' && r.attemptCount >= 2],
    );
  });

  it('applies every filter, and counts what it matches', async () => {
    expect(filters.length).toBeGreaterThan(20);
    for (const [name, filter, predicate] of filters) {
      const expected = rows.filter(predicate);
      const page = await pageOf(hy.admin, { first: 100, filter });
      expect(page.edges.map((e: any) => e.node.id), name).toEqual(expectedOrder(expected, catalog, [{ field: 'CREATED_AT', direction: 'DESC' }]));
      expect(page.totalCount, name).toBe(expected.length);
    }
    // Each filter above matches something and leaves something out, except those meant not to.
    const informative = filters.filter(([, , p]) => rows.some(p) && !rows.every(p));
    expect(informative.length).toBeGreaterThan(20);
  });

  it('finds the delivery of an attempt id', async () => {
    const page = await pageOf(hy.admin, { first: 5, filter: { search: attemptId } });
    expect(page.edges.map((e: any) => e.node.id)).toEqual([rows[5].id]);
  });

  it('pages through a filtered, sorted list both ways', async () => {
    const filter = { status: ['SUCCEEDED', 'FAILED'], attemptsMin: 1 };
    const orderBy: Order[] = [{ field: 'DELIVERED_AT', direction: 'DESC' }];
    const expected = expectedOrder(rows.filter((r) => ['SUCCEEDED', 'FAILED'].includes(r.status) && r.attemptCount >= 1), catalog, orderBy);
    expect(await walkForward(hy.admin, { filter, orderBy }, 4)).toEqual(expected);
    expect(await walkBackward(hy.admin, { filter, orderBy }, 4)).toEqual(expected);
  });

  it('sorts by integrator or webhook name within an integrator, webhook or status filter, both ways', async () => {
    const webhook = catalog.webhooks[3];
    const integrator = catalog.integrators[1];
    const cases: [Record<string, unknown>, (r: SeedDelivery) => boolean, Order[]][] = [
      [{ webhookId: webhook.id }, (r) => r.webhookId === webhook.id, [{ field: 'INTEGRATOR', direction: 'ASC' }]],
      [{ integratorId: integrator.id }, (r) => r.integratorId === integrator.id, [{ field: 'WEBHOOK', direction: 'DESC' }]],
      [{ integratorId: integrator.id, webhookId: catalog.webhooks[0].id }, () => false, [{ field: 'WEBHOOK', direction: 'ASC' }]],
      [{ status: ['FAILED', 'RETRYING'] }, (r) => ['FAILED', 'RETRYING'].includes(r.status), [{ field: 'WEBHOOK', direction: 'ASC' }, { field: 'ATTEMPTS', direction: 'DESC' }]],
      // Walked name by name from the (tenant, status, name) indexes; names without failures are skipped.
      [{ status: ['FAILED'] }, (r) => r.status === 'FAILED', [{ field: 'WEBHOOK', direction: 'ASC' }]],
      [{ status: ['CANCELLED'], createdFrom: at(2) }, (r) => r.status === 'CANCELLED' && r.createdAt >= at(2), [{ field: 'INTEGRATOR', direction: 'DESC' }]],
    ];
    for (const [filter, predicate, orderBy] of cases) {
      const expected = expectedOrder(rows.filter(predicate), catalog, orderBy);
      expect(await walkForward(hy.admin, { filter, orderBy }, 2), JSON.stringify(filter)).toEqual(expected);
      expect(await walkBackward(hy.admin, { filter, orderBy }, 2), JSON.stringify(filter)).toEqual(expected);
    }
  });

  it('sorts a filtered log first one way and by created at the other, paging both ways across ties', { timeout: 120_000 }, async () => {
    const type = 'invoice.paid';
    const cases: [Record<string, unknown>, (r: SeedDelivery) => boolean, Order[]][] = [
      // Read as a plain one-direction order, each first-key value turned round, the last one read again.
      [{ status: ['FAILED'] }, (r) => r.status === 'FAILED', [{ field: 'DELIVERED_AT', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'ASC' }]],
      [{ status: ['FAILED', 'SUCCEEDED'] }, (r) => ['FAILED', 'SUCCEEDED'].includes(r.status), [{ field: 'DELIVERED_AT', direction: 'ASC' }, { field: 'CREATED_AT', direction: 'DESC' }]],
      [{ succeeded: false }, (r) => r.status !== 'SUCCEEDED', [{ field: 'ATTEMPTS', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'ASC' }]],
      [{ eventType: type }, (r) => r.eventType === type, [{ field: 'SUCCEEDED', direction: 'ASC' }, { field: 'CREATED_AT', direction: 'DESC' }]],
      [{ attemptsMin: 1 }, (r) => r.attemptCount >= 1, [{ field: 'LAST_ATTEMPT_AT', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'ASC' }]],
      // Walked name by name from the (tenant, event type, name) indexes.
      [{ eventType: type }, (r) => r.eventType === type, [{ field: 'WEBHOOK', direction: 'ASC' }]],
      [{ eventType: type }, (r) => r.eventType === type, [{ field: 'INTEGRATOR', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'ASC' }]],
    ];
    for (const [filter, predicate, orderBy] of cases) {
      const matching = rows.filter(predicate);
      const expected = expectedOrder(matching, catalog, orderBy);
      // Rows share first-key values, so pages of 2 and 3 end inside a value and the cursor's own value continues.
      const lead: Record<string, (r: SeedDelivery) => unknown> = {
        DELIVERED_AT: (r) => r.deliveredAt,
        LAST_ATTEMPT_AT: (r) => r.lastAttemptAt,
        ATTEMPTS: (r) => r.attemptCount,
        SUCCEEDED: (r) => r.status === 'SUCCEEDED',
        WEBHOOK: (r) => r.webhookId,
        INTEGRATOR: (r) => r.integratorId,
      };
      const values = new Set(matching.map(lead[orderBy[0].field]));
      expect(values.size, JSON.stringify(filter)).toBeLessThan(matching.length - 1);
      for (const size of [2, 3]) {
        expect(await walkForward(hy.admin, { filter, orderBy }, size), `${JSON.stringify(filter)} ${JSON.stringify(orderBy)} by ${size}`).toEqual(expected);
        expect(await walkBackward(hy.admin, { filter, orderBy }, size), `${JSON.stringify(filter)} ${JSON.stringify(orderBy)} by ${size}`).toEqual(expected);
      }
    }
  });

  it('pages on without a gap or a repeat while new deliveries keep arriving', async () => {
    let added = 0;
    const allIds = (direction: 'ASC' | 'DESC') =>
      withClient(hy.databaseUrl, async (c) =>
        (await c.query(`select id from delivery where tenant_id = $1 order by created_at ${direction}, id ${direction}`, [catalog.tenantId])).rows.map((r) => r.id as string),
      );
    for (const direction of ['DESC', 'ASC'] as const) {
      const orderBy = [{ field: 'CREATED_AT', direction }];
      const existing = await allIds(direction);
      const seen: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 100; guard++) {
        const page: any = await pageOf(hy.admin, { first: 7, after, orderBy }, PAGE_NO_COUNT);
        seen.push(...page.edges.map((e: any) => e.node.id));
        // New deliveries arrive between pages, newer than everything (as in production).
        const fresh = variedDeliveries(catalog, 3).map((r, k) => ({ ...r, createdAt: at(10_000 + added + k) }));
        await withClient(hy.databaseUrl, (c) => insertDeliveries(c, fresh));
        added += fresh.length;
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(new Set(seen).size, 'no repeats').toBe(seen.length);
      // Newest first: the pages are exactly the rows there were. Oldest first: those, then the new ones in order.
      expect(seen.slice(0, existing.length)).toEqual(existing);
      if (direction === 'DESC') expect(seen).toEqual(existing);
      else expect(seen.length).toBeGreaterThan(existing.length);
    }
    // Backward while rows arrive: walking from the oldest end toward the newest.
    const orderBy = [{ field: 'CREATED_AT', direction: 'DESC' }];
    const snapshot = await allIds('DESC');
    const seen: string[] = [];
    let beforeCursor: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page: any = await pageOf(hy.admin, { last: 9, before: beforeCursor, orderBy }, PAGE_NO_COUNT);
      seen.unshift(...page.edges.map((e: any) => e.node.id));
      const fresh = variedDeliveries(catalog, 2).map((r, k) => ({ ...r, createdAt: at(10_000 + added + k) }));
      await withClient(hy.databaseUrl, (c) => insertDeliveries(c, fresh));
      added += fresh.length;
      if (!page.pageInfo.hasPreviousPage) break;
      beforeCursor = page.pageInfo.startCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(seen.length - snapshot.length)).toEqual(snapshot);
    // Reset the log for the tests that count rows.
    await withClient(hy.databaseUrl, (c) => c.query(`delete from event where tenant_id = $1 and created_at >= $2`, [catalog.tenantId, at(10_000)]));
  });

  it('shows a tenant only its own deliveries, whatever it filters or searches for', async () => {
    const mine = await pageOf(other.client, { first: 100 });
    expect(mine.totalCount).toBe(other.rows.length);
    expect(new Set(mine.edges.map((e: any) => e.node.id))).toEqual(new Set(other.rows.map((r) => r.id)));
    for (const filter of [{ search: rows[0].id }, { webhookId: catalog.webhooks[0].id }, { integratorId: catalog.integrators[0].id }, { ids: [rows[0].id] }, { search: 'acme a' }]) {
      const page = await pageOf(other.client, { first: 100, filter });
      expect(page.edges, JSON.stringify(filter)).toEqual([]);
      expect(page.totalCount).toBe(0);
    }
    for (const field of ['INTEGRATOR', 'WEBHOOK']) {
      const sorted = await pageOf(other.client, { first: 100, orderBy: [{ field, direction: 'ASC' }] });
      expect(sorted.edges.map((e: any) => e.node.id)).toEqual(expectedOrder(other.rows, other.catalog, [{ field: field as Field, direction: 'ASC' }]));
    }
    const node = await other.client('query ($id: ID!) { node(id: $id) { id } }', { id: rows[0].id });
    expect(node.data.node).toBeNull();
  });

  it('refuses a cursor it did not give out, or one from another sort, as a validation error', async () => {
    const page = await pageOf(hy.admin, { first: 2 });
    const garbled = [
      'not-a-cursor!',
      Buffer.from('{"s":"deliveries:CREATED_AT:DESC","k":["2026-01-01","x"]}').toString('base64url'),
      Buffer.from('{"s":"deliveries:CREATED_AT:DESC","k":["2026-01-10T12:00:00.000500Z","dlv_1\' or 1=1"]}').toString('base64url'),
      Buffer.from('[1,2,3]').toString('base64url'),
      page.pageInfo.endCursor.slice(0, -3),
      'A'.repeat(3000),
    ];
    for (const after of garbled) {
      const response = await hy.admin(PAGE, { first: 2, after });
      expect(response.status, after.slice(0, 30)).toBe(200);
      expect(response.errors?.[0].extensions, after.slice(0, 30)).toMatchObject({ code: 'VALIDATION', field: 'after' });
    }
    const foreign = await hy.admin(PAGE, { first: 2, after: page.pageInfo.endCursor, orderBy: [{ field: 'ATTEMPTS', direction: 'DESC' }] });
    expect(foreign.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION', field: 'after' });
    const backwardWithAfter = await hy.admin(PAGE, { last: 2, after: page.pageInfo.endCursor });
    expect(backwardWithAfter.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION', field: 'after' });
  });

  it('refuses bad input with a typed error naming the field, never a 500', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ first: 101 }, 'first'],
      [{ last: 0 }, 'last'],
      [{ first: 1, filter: { createdFrom: at(10), createdTo: at(5) } }, 'filter.createdTo'],
      [{ first: 1, filter: { createdFrom: at(5), createdTo: at(5) } }, 'filter.createdTo'],
      [{ first: 1, filter: { deliveredFrom: at(10), deliveredTo: at(5) } }, 'filter.deliveredTo'],
      [{ first: 1, filter: { attemptsMin: 4, attemptsMax: 2 } }, 'filter.attemptsMax'],
      [{ first: 1, filter: { attemptsMin: -1 } }, 'filter.attemptsMin'],
      [{ first: 1, filter: { search: 'x'.repeat(201) } }, 'filter.search'],
      [{ first: 1, filter: { search: 'x'.repeat(10 * 1024) } }, 'filter.search'],
      [{ first: 1, filter: { webhookId: 'not-an-id' } }, 'filter.webhookId'],
      [{ first: 1, filter: { integratorId: catalog.webhooks[0].id } }, 'filter.integratorId'],
      [{ first: 1, filter: { ids: ['dlv_nope'] } }, 'filter.ids'],
      [{ first: 1, filter: { ids: Array.from({ length: 1001 }, () => newId('Delivery')) } }, 'filter.ids'],
      [{ first: 1, orderBy: [{ field: 'ATTEMPTS', direction: 'ASC' }, { field: 'ATTEMPTS', direction: 'DESC' }] }, 'orderBy'],
    ];
    for (const [variables, field] of cases) {
      const response = await hy.admin(PAGE, variables);
      expect(response.status, field).toBe(200);
      expect(response.errors?.[0].extensions, JSON.stringify(variables).slice(0, 80)).toMatchObject({ code: 'VALIDATION', field });
    }
  });

  it('lists the attempts of a delivery, with the full request and response, per tenant', async () => {
    const query = `query ($filter: AttemptFilter) { attempts(first: 10, filter: $filter) { totalCount edges { node { id deliveryId succeeded request { url method body } response { status body } } } } }`;
    const mine = await hy.admin(query, { filter: { deliveryId: rows[5].id } });
    expect(mine.data.attempts.totalCount).toBe(1);
    expect(mine.data.attempts.edges[0].node).toMatchObject({ id: attemptId, deliveryId: rows[5].id, succeeded: false, request: { url: 'http://127.0.0.1/hook', method: 'POST' }, response: { status: 500, body: 'ok' } });
    expect((await hy.admin(query, { filter: { succeeded: true } })).data.attempts.totalCount).toBe(0);
    expect((await hy.admin(query, { filter: { webhookId: rows[5].webhookId } })).data.attempts.totalCount).toBe(1);
    const theirs = await other.client(query, { filter: { deliveryId: rows[5].id } });
    expect(theirs.data.attempts).toEqual({ totalCount: 0, edges: [] });
  });

  it('lists events newest first with a filter, per tenant', async () => {
    const query = `query ($filter: EventFilter, $first: Int, $after: String) { events(first: $first, after: $after, filter: $filter) { totalCount edges { node { id type } } pageInfo { hasNextPage endCursor } } }`;
    const all = await hy.admin(query, { first: 100 });
    const mineEvents = await withClient(hy.databaseUrl, async (c) => (await c.query('select id from event where tenant_id = $1 order by created_at desc, id desc', [catalog.tenantId])).rows.map((r) => r.id));
    expect(all.data.events.edges.map((e: any) => e.node.id)).toEqual(mineEvents);
    const paid = await hy.admin(query, { first: 100, filter: { type: 'invoice.paid' } });
    expect(paid.data.events.totalCount).toBe(rows.filter((r) => r.eventType === 'invoice.paid').length);
    const paged: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await hy.admin(query, { first: 10, after })).data.events;
      paged.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(paged).toEqual(mineEvents);
    const theirs = await other.client(query, { first: 100, filter: { ids: [rows[0].eventId] } });
    expect(theirs.data.events.totalCount).toBe(0);
  });
});
