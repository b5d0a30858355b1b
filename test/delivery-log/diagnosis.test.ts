// Diagnosis at a glance in the delivery log: the last response's HTTP status and the last
// attempt's duration, each as a filter (a range) and a sort key with keyset pages both
// ways, and the quick search reading status words ("failed") and HTTP statuses ("503").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createCatalog, insertAttempt, insertDeliveries, variedDeliveries, withClient, type Catalog, type SeedDelivery } from '../support/seed.ts';

const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: DeliveryFilter, $orderBy: [DeliveryOrder!]) {
  deliveries(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { id status lastResponseStatus lastDurationMs createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('diagnosis columns of the delivery log', () => {
  let hy: TestHookyard;
  let catalog: Catalog;
  let rows: SeedDelivery[];
  /** The last response's HTTP status of each delivery (null: none yet). */
  const httpStatus = new Map<string, number | null>();
  const duration = new Map<string, number | null>();

  async function page(variables: Record<string, unknown>) {
    const response = await hy.admin(PAGE, variables);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data.deliveries;
  }

  async function allIds(variables: Record<string, unknown>, size = 7): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const p = await page({ ...variables, first: size, after });
      ids.push(...p.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!p.pageInfo.hasNextPage) return ids;
      after = p.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  beforeAll(async () => {
    hy = await startTestHookyard();
    catalog = await createCatalog(hy.admin, hy.databaseUrl, hy.adminToken, 'd');
    rows = variedDeliveries(catalog, 40);
    const statuses = [200, 503, 404, 500, 201];
    await withClient(hy.databaseUrl, async (client) => {
      await insertDeliveries(client, rows);
      for (const [i, row] of rows.entries()) {
        if (!row.attemptCount) {
          httpStatus.set(row.id, null);
          duration.set(row.id, null);
          continue;
        }
        // Every seventh attempted one got no response (a timeout): no HTTP status.
        const status = i % 7 === 3 ? null : statuses[i % statuses.length];
        // Durations repeat (every fifth row shares one) so ties fall back to created at and id.
        const ms = 10 + (i % 5) * 100;
        // As the delivery engine records an outcome: the delivery keeps the last attempt's status and duration.
        await client.query('update delivery set last_response_status = $2, last_duration_ms = $3 where id = $1', [row.id, status, ms]);
        httpStatus.set(row.id, status);
        await insertAttempt(client, { tenantId: row.tenantId, deliveryId: row.id, webhookId: row.webhookId, succeeded: false, createdAt: row.createdAt, durationMs: 9999, status: 500 });
        const later = new Date(Date.parse(row.createdAt) + 1000).toISOString();
        await insertAttempt(client, { tenantId: row.tenantId, deliveryId: row.id, webhookId: row.webhookId, succeeded: status === 200, createdAt: later, number: 2, durationMs: ms, status });
        duration.set(row.id, ms);
      }
    });
  }, 120_000);

  afterAll(async () => {
    await hy?.stop();
  });

  it("shows the last response's HTTP status and the last attempt's duration", async () => {
    const p = await page({ first: 100 });
    expect(p.edges).toHaveLength(rows.length);
    for (const { node } of p.edges) {
      expect({ id: node.id, status: node.lastResponseStatus, duration: node.lastDurationMs }).toEqual({ id: node.id, status: httpStatus.get(node.id), duration: duration.get(node.id) });
    }
    // Read one by one (node), the duration is the same.
    const one = rows.find((r) => r.attemptCount > 0)!;
    const read = await hy.admin('query ($id: ID!) { node(id: $id) { ... on Delivery { lastDurationMs } } }', { id: one.id });
    expect(read.data.node.lastDurationMs).toBe(duration.get(one.id));
  });

  it('filters by an HTTP status range, edges included, leaving out deliveries without a response', async () => {
    const expected = (min: number, max: number) =>
      rows
        .filter((r) => {
          const s = httpStatus.get(r.id);
          return s != null && s >= min && s <= max;
        })
        .map((r) => r.id)
        .sort();
    for (const [min, max] of [
      [500, 599],
      [500, 500],
      [200, 299],
      [404, 404],
      [100, 599],
    ]) {
      const p = await page({ first: 100, filter: { httpStatusMin: min, httpStatusMax: max } });
      expect(p.edges.map((e: { node: { id: string } }) => e.node.id).sort(), `${min}-${max}`).toEqual(expected(min, max));
      expect(p.totalCount).toBe(expected(min, max).length);
    }
  });

  it('sorts by HTTP status both ways through keyset pages, no response first when ascending', async () => {
    const key = (r: SeedDelivery) => httpStatus.get(r.id) ?? 0;
    for (const direction of ['ASC', 'DESC'] as const) {
      const sign = direction === 'ASC' ? 1 : -1;
      const expected = [...rows]
        .sort((a, b) => sign * (key(a) - key(b)) || sign * (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0) || sign * (a.id < b.id ? -1 : 1))
        .map((r) => r.id);
      expect(await allIds({ orderBy: [{ field: 'HTTP_STATUS', direction }] }), direction).toEqual(expected);
      // Backward from the end gives the same order.
      const last = await page({ last: 5, orderBy: [{ field: 'HTTP_STATUS', direction }] });
      expect(last.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(expected.slice(-5));
    }
  });

  it('filters by a duration range, edges included, leaving out deliveries never attempted', async () => {
    const expected = (min: number | null, max: number | null) =>
      rows
        .filter((r) => {
          const ms = duration.get(r.id);
          return ms != null && (min == null || ms >= min) && (max == null || ms <= max);
        })
        .map((r) => r.id)
        .sort();
    for (const [min, max] of [
      [110, 310],
      [110, 110],
      [111, 309],
      [0, null],
      [null, 10],
      [null, 0],
      [411, null],
    ]) {
      const filter = { ...(min == null ? {} : { durationMinMs: min }), ...(max == null ? {} : { durationMaxMs: max }) };
      const p = await page({ first: 100, filter });
      const ids = p.edges.map((e: { node: { id: string } }) => e.node.id).sort();
      expect(ids, JSON.stringify(filter)).toEqual(expected(min, max));
      expect(p.totalCount).toBe(expected(min, max).length);
    }
    expect(expected(0, null).length).toBeLessThan(rows.length);
    expect(expected(110, 110).length).toBeGreaterThan(1);
  });

  it('sorts by duration both ways through keyset pages, never attempted first when ascending', async () => {
    const key = (r: SeedDelivery) => duration.get(r.id) ?? -1;
    for (const direction of ['ASC', 'DESC'] as const) {
      const sign = direction === 'ASC' ? 1 : -1;
      const expected = [...rows]
        .sort((a, b) => sign * (key(a) - key(b)) || sign * (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0) || sign * (a.id < b.id ? -1 : 1))
        .map((r) => r.id);
      expect(await allIds({ orderBy: [{ field: 'DURATION', direction }] }), direction).toEqual(expected);
      const last = await page({ last: 5, orderBy: [{ field: 'DURATION', direction }] });
      expect(last.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(expected.slice(-5));
      // Backward from the middle gives the rows just before it.
      const middle = await page({ first: 20, orderBy: [{ field: 'DURATION', direction }] });
      const back = await page({ last: 6, before: middle.pageInfo.endCursor, orderBy: [{ field: 'DURATION', direction }] });
      expect(back.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(expected.slice(13, 19));
      expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    }
    // With a filter and a second key: failures by slowest, then oldest first.
    const failing = rows.filter((r) => r.status === 'FAILED');
    const expected = [...failing].sort((a, b) => key(b) - key(a) || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0) || (a.id < b.id ? -1 : 1)).map((r) => r.id);
    expect(await allIds({ filter: { status: ['FAILED'] }, orderBy: [{ field: 'DURATION', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'ASC' }] }, 3)).toEqual(expected);
  });

  it('finds deliveries by a status word or an HTTP status in the quick search', async () => {
    const ids = async (search: string) => (await allIds({ filter: { search } }, 100)).sort();
    const byStatus = (status: SeedDelivery['status']) => rows.filter((r) => r.status === status).map((r) => r.id).sort();
    expect(await ids('failed')).toEqual(byStatus('FAILED'));
    expect(await ids('  Failed ')).toEqual(byStatus('FAILED'));
    expect(await ids('success')).toEqual(byStatus('SUCCEEDED'));
    expect(await ids('retrying')).toEqual(byStatus('RETRYING'));
    expect(await ids('503')).toEqual(rows.filter((r) => httpStatus.get(r.id) === 503).map((r) => r.id).sort());
    // Not a status (600) and not a word it knows: only names, types and URLs, which match none.
    expect(await ids('600')).toEqual([]);
    expect(await ids('failedx')).toEqual([]);
  });

  it('refuses an HTTP status outside 100 to 599, a duration outside 0 ms to a day, or a range upside down, naming the field', async () => {
    for (const [filter, field] of [
      [{ httpStatusMin: 99 }, 'filter.httpStatusMin'],
      [{ httpStatusMax: 600 }, 'filter.httpStatusMax'],
      [{ httpStatusMin: 500, httpStatusMax: 499 }, 'filter.httpStatusMax'],
      [{ durationMinMs: -1 }, 'filter.durationMinMs'],
      [{ durationMaxMs: 86_400_001 }, 'filter.durationMaxMs'],
      [{ durationMinMs: 300, durationMaxMs: 299 }, 'filter.durationMaxMs'],
    ] as const) {
      const response = await hy.admin(PAGE, { first: 5, filter });
      expect(response.errors?.[0]?.extensions, JSON.stringify(filter)).toMatchObject({ code: 'VALIDATION', field });
    }
    // The edges themselves are fine.
    expect((await page({ first: 1, filter: { httpStatusMin: 100, httpStatusMax: 599 } })).totalCount).toBeGreaterThan(0);
    expect((await page({ first: 1, filter: { durationMinMs: 0, durationMaxMs: 86_400_000 } })).totalCount).toBeGreaterThan(0);
  });
});
