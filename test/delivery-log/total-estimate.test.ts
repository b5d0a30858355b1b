// The delivery log's total: exact up to 10,000 matching deliveries, PostgreSQL's
// estimate past that, said so by totalCountIsEstimate (the dashboard shows "about N").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createCatalog, withClient, type Catalog } from '../support/seed.ts';
import { insertBulkDeliveries } from '../support/bulk.ts';
import { EXACT_TOTAL_LIMIT } from '../../core/delivery-log/delivery-log-query.ts';

const COUNT = `query ($filter: DeliveryFilter) { deliveries(first: 1, filter: $filter) { totalCount totalCountIsEstimate } }`;
const STEP_MS = 1000;

describe('the delivery log total', () => {
  let hy: TestHookyard;
  let catalog: Catalog;
  const start = new Date('2026-01-10T12:00:00Z');
  /** createdTo that leaves the first `n` deliveries in (they are STEP_MS apart from `start`). */
  const firstN = (n: number) => new Date(start.getTime() + (n + 1) * STEP_MS - 1).toISOString();

  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_RETENTION_DAYS: '3650' });
    catalog = await createCatalog(hy.admin, hy.databaseUrl, hy.adminToken, 'a');
    await withClient(hy.databaseUrl, async (c) => {
      // 25,000 deliveries: a total past the bound, so the estimate is exercised.
      await insertBulkDeliveries(c, { tenantId: catalog.tenantId, webhooks: catalog.webhooks, eventTypes: catalog.eventTypes }, 25_000, start, STEP_MS);
      await c.query('analyze delivery');
    });
  }, 120_000);
  afterAll(async () => {
    await hy?.stop();
  });

  async function total(filter: Record<string, unknown>) {
    const response = await hy.admin(COUNT, { filter });
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data.deliveries as { totalCount: number; totalCountIsEstimate: boolean };
  }

  it('is exact up to the bound, the bound included', async () => {
    expect(EXACT_TOTAL_LIMIT).toBe(10_000);
    expect(await total({ createdTo: firstN(EXACT_TOTAL_LIMIT) })).toEqual({ totalCount: EXACT_TOTAL_LIMIT, totalCountIsEstimate: false });
    expect(await total({ createdTo: firstN(1234) })).toEqual({ totalCount: 1234, totalCountIsEstimate: false });
    // 5 % of the mix failed: 1,250 of 25,000, counted exactly.
    expect(await total({ status: ['FAILED'] })).toEqual({ totalCount: 1250, totalCountIsEstimate: false });
  });

  it('is an estimate, marked as one and never below the bound, past it', async () => {
    const justPast = await total({ createdTo: firstN(EXACT_TOTAL_LIMIT + 1) });
    expect(justPast.totalCountIsEstimate).toBe(true);
    expect(justPast.totalCount).toBeGreaterThan(EXACT_TOTAL_LIMIT);
    const all = await total({});
    expect(all.totalCountIsEstimate).toBe(true);
    // The planner's estimate after ANALYZE: near the 25,000 rows, not exact by promise.
    expect(all.totalCount).toBeGreaterThan(20_000);
    expect(all.totalCount).toBeLessThan(30_000);
  });
});
