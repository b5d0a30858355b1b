// The Attempts screen in headless Chromium against a real Hookyard whose worker delivers
// to receivers on 127.0.0.1: filtered by an HTTP status class, kept in the URL, and a
// new matching attempt appears live while one of another class does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import path from 'node:path';
import { SCREENSHOTS, browserAvailable, launchBrowser, nav, openPage, signIn, until } from './support/browser.ts';

describe.skipIf(!browserAvailable())('the attempts screen', () => {
  let hy: TestHookyard;
  let browser: Browser;
  let page: Page;
  let ok: Receiver;
  let failing: Receiver;
  const pageErrors: string[] = [];

  const rows = () => page.locator('table.attempts tbody tr');
  const outcomes = () => page.locator('table.attempts tbody td[data-testid="outcome"]').allTextContents();
  /** Attempts recorded so far, per the API. */
  const attemptCount = async () => (await hy.admin('{ attempts(first: 1) { totalCount } }')).data.attempts.totalCount as number;

  beforeAll(async () => {
    [hy, ok, failing, browser] = await Promise.all([
      startTestHookyard(),
      startReceiver((_request, res) => void res.writeHead(200).end('ok')),
      startReceiver((_request, res) => void res.writeHead(503).end('down for maintenance')),
      launchBrowser(),
    ]);
    page = await openPage(browser, pageErrors);
    await signIn(page, hy.baseUrl, hy.adminToken);
  });

  afterAll(async () => {
    await browser?.close();
    await ok?.close();
    await failing?.close();
    await hy?.stop();
  });

  it('filters by HTTP status class, keeps the filter in the URL, and shows a new matching attempt live', async () => {
    // No retries: each event makes exactly one attempt.
    const good = await createWebhookSetup(hy.admin, ok.url, { eventType: 'parcel.sent', webhook: { name: 'Tracking', retrySchedule: [] } });
    const bad = await createWebhookSetup(hy.admin, failing.url, { eventType: 'parcel.lost', webhook: { name: 'Claims', retrySchedule: [] } });
    await publish(hy.admin, { type: good.eventType, payload: { n: 1 } });
    await publish(hy.admin, { type: bad.eventType, payload: { n: 1 } });
    await until(attemptCount).toBe(2);

    await nav(page, 'Attempts').click();
    await until(() => rows().count()).toBe(2);
    expect((await outcomes()).sort()).toEqual(['HTTP 200', 'HTTP 503']);

    await page.getByLabel('HTTP status').fill('5xx');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/[?&]status=5xx/);
    await until(outcomes).toEqual(['HTTP 503']);
    await until(() => page.getByTestId('total').textContent()).toBe('1 shown of 1');

    // A 2xx attempt is recorded: the page is read again, and it is not on it.
    await publish(hy.admin, { type: good.eventType, payload: { n: 2 } });
    await until(attemptCount).toBe(3);
    // A 5xx attempt is recorded: it appears live, on top (newest first).
    await publish(hy.admin, { type: bad.eventType, payload: { n: 2 } });
    await until(outcomes).toEqual(['HTTP 503', 'HTTP 503']);
    await until(() => page.getByTestId('total').textContent()).toBe('2 shown of 2');
    expect(failing.requests).toHaveLength(2);
    const newest = await rows().first().getAttribute('data-attempt-id');
    const [latest] = (await hy.admin('query($f: AttemptFilter) { attempts(first: 1, filter: $f) { edges { node { id } } } }', { f: { httpStatus: '5xx' } })).data.attempts.edges;
    expect(newest).toBe(latest.node.id);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'attempts.png') });

    // After a reload the filter is still there (it lives in the URL).
    await page.reload();
    await until(() => page.getByLabel('HTTP status').inputValue()).toBe('5xx');
    await until(outcomes).toEqual(['HTTP 503', 'HTTP 503']);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
