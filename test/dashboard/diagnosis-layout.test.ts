// Diagnosis at a glance and the layout, in headless Chromium against a real Hookyard:
// the log's HTTP status and duration columns (sorted, searched, filtered by chips), the
// webhooks list's success rate, last attempt and the reason a webhook is paused; every
// action reachable without sideways scrolling at 1280 px, and the columns that matter at
// 768 px; a styled page when Hookyard cannot be reached; form errors named by label.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createIntegrator, createWebhook, registerEventType } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { SCREENSHOTS, browserAvailable, launchBrowser, nav, openPage, signIn, until } from './support/browser.ts';

describe.skipIf(!browserAvailable())('diagnosis at a glance, at 1280 and 768 px', () => {
  let hy: TestHookyard;
  let browser: Browser;
  let page: Page;
  let ok: Receiver;
  let down: Receiver;
  const pageErrors: string[] = [];
  let failingWebhookId = '';

  const rows = () => page.locator('table.deliveries tbody tr');

  /** Whether the page scrolls sideways, and any table wider than its box. */
  const sideways = () =>
    page.evaluate(() => ({
      page: document.documentElement.scrollWidth > document.documentElement.clientWidth,
      tables: [...document.querySelectorAll('.table-wrap')].some((el) => el.scrollWidth > el.clientWidth),
    }));

  /** Header texts that are visible (not hidden by the layout). */
  const visibleHeaders = (table: string) =>
    page.locator(`${table} thead th`).evaluateAll((ths) =>
      ths.filter((th) => (th as HTMLElement).offsetParent !== null).map((th) => th.textContent!.replace(/[▲▼].*$/su, '').trim()),
    );

  beforeAll(async () => {
    [hy, ok, down, browser] = await Promise.all([
      startTestHookyard(),
      startReceiver(),
      startReceiver((_request, res) => void res.writeHead(503).end('maintenance')),
      launchBrowser(),
    ]);
    const integrator = await createIntegrator(hy.admin, { name: 'Acme Accounting' });
    await registerEventType(hy.admin, 'invoice.created');
    await createWebhook(hy.admin, { integratorId: integrator.id, name: 'Ledger', url: ok.url, eventTypes: ['invoice.created'], description: 'Posts invoices to the ledger' });
    const failing = await createWebhook(hy.admin, { integratorId: integrator.id, name: 'Archive', url: down.url, eventTypes: ['invoice.created'], retrySchedule: [1] });
    failingWebhookId = failing.webhook.id;
    for (let i = 0; i < 3; i++) {
      await mutate(hy.admin, 'mutation($input: PublishEventInput!) { publishEvent(input: $input) { __typename } }', { input: { type: 'invoice.created', payload: { i } } });
    }
    // Every delivery ends: the ledger's succeed, the archive's fail after one retry.
    await eventually(async () => {
      const { data } = await hy.admin('{ deliveries(first: 1, filter: { status: [PENDING, RETRYING] }) { totalCount } }');
      return data.deliveries.totalCount === 0;
    }, 60_000, 'every delivery to end');
    page = await openPage(browser, pageErrors);
    await signIn(page, hy.baseUrl, hy.adminToken);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ok?.close();
    await down?.close();
    await hy?.stop();
  });

  it("shows each delivery's last HTTP status and duration, sorts by status and finds 503 or failed by quick search", async () => {
    await until(() => rows().count()).toBe(6);
    const cells = await rows().evaluateAll((trs) =>
      trs.map((tr) => ({ status: tr.getAttribute('data-status'), http: tr.querySelector('[data-testid="http-status"]')!.textContent!.trim(), duration: tr.querySelector('[data-testid="duration"]')!.textContent!.trim() })),
    );
    for (const cell of cells) {
      expect(cell.http).toBe(cell.status === 'SUCCEEDED' ? '200' : '503');
      expect(cell.duration).toMatch(/^\d+ ms$|^\d+\.\d+ s$/);
    }
    await page.locator('th[data-field="HTTP_STATUS"] button').click();
    await until(() => new URL(page.url()).searchParams.get('sort')).toBe('-http_status');
    await until(() => rows().evaluateAll((trs) => trs.map((tr) => tr.querySelector('[data-testid="http-status"]')!.textContent!.trim()))).toEqual(['503', '503', '503', '200', '200', '200']);

    // Slowest first by the Duration header; the API's order, not the page's own.
    await page.locator('th[data-field="DURATION"] button').click();
    await until(() => new URL(page.url()).searchParams.get('sort')).toBe('-duration');
    const { data } = await hy.admin('{ deliveries(first: 10, orderBy: [{ field: DURATION, direction: DESC }]) { edges { node { id lastDurationMs } } } }');
    const slowestFirst = data.deliveries.edges.map((e: { node: { id: string; lastDurationMs: number } }) => e.node);
    expect(slowestFirst.every((d: { lastDurationMs: number }, i: number) => i === 0 || d.lastDurationMs <= slowestFirst[i - 1].lastDurationMs)).toBe(true);
    await until(() => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-delivery-id')))).toEqual(slowestFirst.map((d: { id: string }) => d.id));

    const search = page.getByLabel('Quick search');
    await search.fill('503');
    await search.press('Enter');
    await until(() => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))).toEqual(['FAILED', 'FAILED', 'FAILED']);
    await search.fill('succeeded');
    await search.press('Enter');
    await until(() => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    await search.fill('');
    await search.press('Enter');
    await until(() => rows().count()).toBe(6);
  });

  it('shows active filters as chips, each removable on its own', async () => {
    await page.goto(`${hy.baseUrl}/?status=FAILED&webhook=${failingWebhookId}&http_min=500&http_max=599&duration_min=0`);
    const chips = page.getByTestId('filter-chips');
    await until(() => chips.locator('li.chip > span').allTextContents()).toEqual(['HTTP 500 – 599', 'Duration from 0 ms', 'Webhook: Archive', 'Status: Failed']);
    await until(() => rows().count()).toBe(3);
    await chips.getByRole('button', { name: 'Remove filter Webhook: Archive' }).click();
    await until(() => new URL(page.url()).searchParams.get('webhook')).toBeNull();
    expect(new URL(page.url()).searchParams.get('status')).toBe('FAILED');
    await chips.getByRole('button', { name: 'Clear all' }).click();
    await until(() => chips.count()).toBe(0);
    await until(() => rows().count()).toBe(6);
  });

  it('keeps every log column and webhook action on screen at 1280 px, without sideways scrolling', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(hy.baseUrl);
    await until(() => rows().count()).toBe(6);
    expect(await visibleHeaders('table.deliveries')).toEqual(['', 'Created at', 'Integrator', 'Webhook', 'Event type', 'Attempts', 'Last attempt at', 'Success', 'HTTP', 'Duration', 'Delivered at']);
    expect(await sideways()).toEqual({ page: false, tables: false });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'delivery-log-1280.png') });

    // Pause one with a reason: the list shows it beside the status.
    await mutate(hy.admin, 'mutation($input: WebhookActionInput!) { pauseWebhook(input: $input) { __typename } }', { input: { id: failingWebhookId, reason: 'archive is being moved' } });
    await nav(page, 'Webhooks').click();
    const archive = page.locator(`tr[data-webhook-id="${failingWebhookId}"]`);
    await until(() => archive.getByTestId('status-reason').textContent()).toContain('archive is being moved');
    const ledger = page.locator('tr', { hasText: 'Ledger' });
    await until(() => ledger.getByTestId('success-rate').textContent()).toBe('100 %');
    expect((await archive.getByTestId('success-rate').textContent())?.trim()).toBe('0 %');
    expect((await ledger.getByTestId('last-attempt').textContent())?.trim()).not.toBe('');
    expect(await sideways()).toEqual({ page: false, tables: false });
    for (const name of ['Resume Archive', 'Edit Archive', 'Delete Archive', 'Pause Ledger', 'Edit Ledger', 'Delete Ledger']) {
      const box = await page.getByRole(name.startsWith('Edit') ? 'link' : 'button', { name }).boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(1280);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, 'webhooks-1280.png') });
  });

  it('keeps created at, webhook and success in the log, and name, status and actions in the webhooks table, at 768 px', async () => {
    await page.setViewportSize({ width: 768, height: 900 });
    await nav(page, 'Deliveries').click();
    await until(() => rows().count()).toBe(6);
    const headers = await visibleHeaders('table.deliveries');
    expect(headers).toEqual(expect.arrayContaining(['Created at', 'Webhook', 'Success']));
    expect(await sideways()).toEqual({ page: false, tables: false });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'delivery-log-768.png') });
    // Every row still opens the drawer, where the rest is.
    await rows().nth(1).click();
    await until(() => new URL(page.url()).searchParams.get('delivery')).toMatch(/^dlv_/);
    await page.keyboard.press('Escape');

    await nav(page, 'Webhooks').click();
    const archive = page.locator(`tr[data-webhook-id="${failingWebhookId}"]`);
    await archive.waitFor();
    expect(await visibleHeaders('table[aria-label="Webhooks"]')).toEqual(expect.arrayContaining(['Name', 'Status']));
    expect(await sideways()).toEqual({ page: false, tables: false });
    for (const name of ['Resume Archive', 'Delete Archive']) {
      const box = await page.getByRole('button', { name }).boundingBox();
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(768);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, 'webhooks-768.png') });
    // The search box's placeholder is not cut mid-word at this width.
    await nav(page, 'Deliveries').click();
    const fits = await page.getByLabel('Quick search').evaluate((input: HTMLInputElement) => {
      const style = getComputedStyle(input);
      const canvas = document.createElement('canvas').getContext('2d')!;
      canvas.font = `${style.fontSize} ${style.fontFamily}`;
      return canvas.measureText(input.placeholder).width <= input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    });
    expect(fits).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('names the field by its label in a form error, on a page that shows no live indicator', async () => {
    await nav(page, 'Deliveries').click();
    await page.locator('[data-testid="live-status"]', { hasText: 'Live' }).waitFor();
    await nav(page, 'Integrators').click();
    // Nothing live here: no indicator at all, least of all a red one.
    await until(() => page.getByTestId('live-status').count()).toBe(0);
    await page.getByRole('button', { name: 'New integrator' }).click();
    await page.getByLabel('Name').fill('Bad Mail Co');
    await page.getByLabel('Contact e-mail').fill('not-an-address');
    await page.getByRole('button', { name: 'Create integrator' }).click();
    const error = page.locator('#int-contactEmail-error');
    await until(() => error.textContent()).toMatch(/^Contact e-mail "not-an-address" is not an e-mail address/);
    expect(await page.getByRole('form', { name: 'New integrator' }).textContent()).not.toContain('input.');
  });

  it('shows a styled "cannot reach Hookyard" page when the server is gone, not a bare 500', async () => {
    const fresh = await openPage(browser, pageErrors);
    await signIn(fresh, hy.baseUrl, hy.adminToken);
    // From here on the server answers nothing: its files and its API are unreachable.
    await fresh.route('**/*', (route) => route.abort('connectionrefused'));
    await nav(fresh, 'Event types').click();
    const shown = fresh.getByTestId('error-page');
    await shown.waitFor();
    expect(await shown.getByRole('heading').textContent()).toBe('Cannot reach Hookyard');
    await shown.getByRole('button', { name: 'Try again now' }).waitFor();
    // Styled: the dashboard's own stylesheet applies (a card), not the browser's defaults.
    expect(await shown.evaluate((el) => getComputedStyle(el).borderRadius)).not.toBe('0px');
    await fresh.screenshot({ path: path.join(SCREENSHOTS, 'cannot-reach.png') });
    await fresh.context().close();
    // Aborted requests log network errors in the console, not page errors.
    expect(pageErrors).toEqual([]);
  });
});
