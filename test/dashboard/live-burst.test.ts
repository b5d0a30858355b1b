// The live views under load, in headless Chromium against a real Hookyard (API and
// worker) delivering to receivers on 127.0.0.1: with the delivery log and the overview
// open, a burst of 300 events to 3 webhooks as fast as the API takes them, then 2,000
// deliveries more; then the same with the API's LISTEN connection cut mid-burst
// (pg_terminate_backend). Once the last attempt is recorded, every row shown must have
// the API's status and attempt count and the total must be the API's, with no reload
// and no error state. States are asserted, never times.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createIntegrator, createWebhook, registerEventType } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { browserAvailable, launchBrowser, openPage, signIn, until } from './support/browser.ts';

const EVENT_TYPE = 'burst.created';
const WEBHOOKS = 3;
/** How long the worker may take to finish a burst on a busy 2-core machine: a bound on waiting, not an assertion. */
const SETTLE_TIMEOUT = 240_000;

describe.skipIf(!browserAvailable())('live views under a burst', () => {
  let hy: TestHookyard;
  let browser: Browser;
  let log: Page;
  let overview: Page;
  let receivers: Receiver[] = [];
  let sql: pg.Pool;
  const pageErrors: string[] = [];
  let eventNumber = 0;

  async function publishOne(): Promise<void> {
    const result = await mutate(hy.admin, 'mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename ... on PublishedEvent { deliveryCount } ... on Error { message } } }', {
      input: { type: EVENT_TYPE, payload: { n: ++eventNumber } },
    });
    if (result.__typename !== 'PublishedEvent' || result.deliveryCount !== WEBHOOKS) throw new Error(`publishEvent: ${JSON.stringify(result)}`);
  }

  /** `count` events, 20 publishEvent calls in flight at a time: as fast as the API takes them. */
  async function publishSingly(count: number, midway?: () => Promise<void>): Promise<void> {
    let next = 0;
    let cut = false;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < count) {
          next++;
          await publishOne();
          if (midway && !cut && next >= count / 2) {
            cut = true;
            await midway();
          }
        }
      }),
    );
  }

  /** `deliveries` more (one per webhook per event), in publishEvents batches of 50 events. */
  async function publishBatches(deliveries: number): Promise<void> {
    const events = Math.ceil(deliveries / WEBHOOKS);
    for (let sent = 0; sent < events; sent += 50) {
      const batch = Array.from({ length: Math.min(50, events - sent) }, () => ({ type: EVENT_TYPE, payload: { n: ++eventNumber } }));
      const result = await mutate(hy.admin, 'mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename ... on Error { message } } }', { input: { events: batch } });
      if (result.__typename !== 'PublishEventsPayload') throw new Error(`publishEvents: ${JSON.stringify(result)}`);
    }
  }

  async function count(filter: Record<string, unknown>): Promise<number> {
    const { data, errors } = await hy.admin('query($f: DeliveryFilter) { deliveries(first: 1, filter: $f) { totalCount } }', { f: filter });
    if (errors) throw new Error(JSON.stringify(errors));
    return data.deliveries.totalCount;
  }

  /** Waits until the worker has recorded the last attempt: nothing pending or retrying. */
  async function settled(): Promise<void> {
    await eventually(async () => (await count({ status: ['PENDING', 'RETRYING'] })) === 0, SETTLE_TIMEOUT, 'every delivery to end');
  }

  interface ShownRow {
    id: string;
    status: string;
    attempts: number;
  }

  const shownRows = (): Promise<ShownRow[]> =>
    log.locator('table.deliveries tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-delivery-id')!,
        status: tr.getAttribute('data-status')!,
        attempts: Number(tr.querySelector('[data-testid="attempts"]')!.textContent),
      })),
    );

  async function apiRows(ids: string[]): Promise<Map<string, ShownRow>> {
    const rows = new Map<string, ShownRow>();
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const { data, errors } = await hy.admin('query($f: DeliveryFilter) { deliveries(first: 100, filter: $f) { edges { node { id status attemptCount } } } }', { f: { ids: chunk } });
      if (errors) throw new Error(JSON.stringify(errors));
      for (const { node } of data.deliveries.edges) rows.set(node.id, { id: node.id, status: node.status, attempts: node.attemptCount });
    }
    return rows;
  }

  /** What the log shows that differs from the API: rows by status and attempts, and the total. */
  async function logDifferences(): Promise<{ rows: string[]; total: string | null; totalCount: number; shown: number }> {
    const shown = await shownRows();
    const api = await apiRows(shown.map((r) => r.id));
    const rows = shown.filter((r) => JSON.stringify(api.get(r.id)) !== JSON.stringify(r)).map((r) => `${r.id}: shown ${r.status}/${r.attempts}, API ${JSON.stringify(api.get(r.id) ?? null)}`);
    return { rows, total: await log.getByTestId('total').textContent(), totalCount: await count({}), shown: shown.length };
  }

  async function overviewTiles(): Promise<Record<string, number>> {
    const tiles: Record<string, number> = {};
    for (const key of ['all', 'succeeded', 'pending', 'retrying', 'failed']) tiles[key] = Number(await overview.getByTestId(`tile-${key}`).locator('strong').textContent());
    return tiles;
  }

  /** Everything the two pages show equals the API's, and neither page reloaded or shows an error. */
  async function expectPagesTrue(): Promise<void> {
    await settled();
    await until(async () => {
      const d = await logDifferences();
      return { rows: d.rows.slice(0, 5), total: d.total === `${d.shown} shown of ${d.totalCount}` ? 'equal' : `${d.total} against totalCount ${d.totalCount}` };
    }, 120_000).toEqual({ rows: [], total: 'equal' });
    const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString();
    const expected = {
      all: await count({ createdFrom: dayAgo }),
      succeeded: await count({ createdFrom: dayAgo, status: ['SUCCEEDED'] }),
      pending: 0,
      retrying: 0,
      failed: await count({ createdFrom: dayAgo, status: ['FAILED'] }),
    };
    await until(() => overviewTiles(), 60_000).toEqual(expected);
    for (const page of [log, overview]) {
      expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
      await until(() => page.getByTestId('live-status').textContent()).toBe('Live');
      expect(await page.locator('.callout.bad, .state.error, [role="alert"]').count()).toBe(0);
    }
    expect(pageErrors).toEqual([]);
  }

  /** The "new deliveries" bar, when shown, leads to the API's first page exactly. */
  async function expectNewBarShowsFirstPage(): Promise<void> {
    const bar = log.getByTestId('new-deliveries');
    if (await bar.count()) {
      await bar.getByRole('button', { name: 'Show them' }).click();
      await until(() => bar.count()).toBe(0);
    }
    const { data } = await hy.admin('{ deliveries(first: 50) { edges { node { id } } } }');
    const firstPage = data.deliveries.edges.map((e: { node: { id: string } }) => e.node.id);
    await until(async () => (await shownRows()).map((r) => r.id)).toEqual(firstPage);
  }

  beforeAll(async () => {
    [hy, browser, ...receivers] = await Promise.all([
      startTestHookyard(),
      launchBrowser(),
      startReceiver(),
      startReceiver(),
      // The third fails one request in four: some deliveries retry, so attempt counts differ.
      (async () => {
        let n = 0;
        return startReceiver((_request, res) => void res.writeHead(++n % 4 === 0 ? 503 : 200).end('ok'));
      })(),
    ]);
    sql = new pg.Pool({ connectionString: hy.databaseUrl, max: 2 });
    const integrator = await createIntegrator(hy.admin, { name: 'Burst Co' });
    await registerEventType(hy.admin, EVENT_TYPE);
    for (const [i, receiver] of receivers.entries()) {
      await createWebhook(hy.admin, { integratorId: integrator.id, name: `Burst ${i + 1}`, url: receiver.url, eventTypes: [EVENT_TYPE], retrySchedule: [1, 1, 1] });
    }
    // About 300 deliveries before the burst, as an instance in use has.
    await publishBatches(300);
    await settled();

    log = await openPage(browser, pageErrors);
    await signIn(log, hy.baseUrl, hy.adminToken);
    overview = await log.context().newPage();
    overview.on('pageerror', (error) => pageErrors.push(error.message));
    await overview.goto(`${hy.baseUrl}/overview`);
    await overview.getByTestId('tile-all').waitFor();
    await log.locator('table.deliveries tbody tr').first().waitFor();
    for (const page of [log, overview]) {
      await page.locator('[data-testid="live-status"]', { hasText: 'Live' }).waitFor();
      // Set once: a reload would lose it.
      await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    }
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await sql?.end();
    for (const receiver of receivers) await receiver.close();
    await hy?.stop();
  });

  it('keeps the log and the overview true through 300 events to 3 webhooks and 2,000 deliveries more', async () => {
    const stored = async () => Number((await sql.query('select count(*) from delivery')).rows[0].count);
    const before = await stored();
    await publishSingly(300);
    await publishBatches(2000);
    expect(await stored()).toBe(before + 900 + 2001);
    await expectPagesTrue();
    await expectNewBarShowsFirstPage();
  }, 600_000);

  it('keeps them true when the API loses its LISTEN connection in the middle of the burst', async () => {
    const listener = async () =>
      (await sql.query<{ pid: number }>(`select pid from pg_stat_activity where application_name = 'hookyard-live-updates' and datname = current_database()`)).rows.map((r) => r.pid);
    const [old] = await listener();
    expect(old).toBeTypeOf('number');
    await publishSingly(300, async () => {
      await sql.query('select pg_terminate_backend($1)', [old]);
    });
    await publishBatches(2000);
    // The API listens again on a new connection.
    await eventually(async () => (await listener()).some((pid) => pid !== old), 30_000, 'a new LISTEN connection');
    await expectPagesTrue();
    await expectNewBarShowsFirstPage();
  }, 600_000);
});
