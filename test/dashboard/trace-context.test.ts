// The webhook setting that keeps `traceparent` from a receiver, driven from the dashboard
// in headless Chromium against a Hookyard process exporting traces to a collector stand-in
// on 127.0.0.1: unticked and saved, the next attempt a real receiver gets has no
// traceparent; ticked again, the next one has one.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { startHookyardProcess, type HookyardProcess } from '../support/processes.ts';
import { gqlClient, type GqlClient } from '../support/graphql.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import { browserAvailable, launchBrowser, openPage, signIn, until } from './support/browser.ts';

const ADMIN = `hy_${'b'.repeat(43)}`;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

describe.skipIf(!browserAvailable())('the dashboard (webhook trace context)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let hookyard: HookyardProcess;
  let baseUrl: string;
  let admin: GqlClient;
  let receiver: Receiver;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Built (if stale) before the process serves it.
    browser = await launchBrowser();
    [database, otlp, receiver] = await Promise.all([createTestDatabase(), startOtlpReceiver(), startReceiver()]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-trace-ui-'));
    const port = await freePort();
    hookyard = await startHookyardProcess({
      DATABASE_URL: database.url,
      HOOKYARD_ADMIN_TOKEN: ADMIN,
      HOOKYARD_DATA_DIR: dataDir,
      HOOKYARD_URL_POLICY: 'permissive',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    baseUrl = `http://127.0.0.1:${port}`;
    admin = gqlClient(baseUrl, ADMIN);
    page = await openPage(browser, pageErrors);
    await signIn(page, baseUrl, ADMIN);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hookyard?.stop();
    await receiver?.close();
    await otlp?.close();
    await database?.drop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** Opens the webhook's edit form, sets the box, saves, and waits for the webhook's page to say so. */
  async function setSendTraceparent(webhookId: string, send: boolean) {
    await page.goto(`${baseUrl}/webhooks/${webhookId}/edit`);
    const box = page.getByRole('checkbox', { name: 'Send traceparent' });
    expect(await box.isChecked()).toBe(!send);
    await box.setChecked(send);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await until(() => page.url()).toBe(`${baseUrl}/webhooks/${webhookId}`);
    await until(() => page.getByText(send ? 'traceparent sent while tracing is on' : 'not sent', { exact: true }).count()).toBe(1);
  }

  it('sends no traceparent once the box is unticked and saved, and sends one again once it is ticked', async () => {
    const { webhookId, eventType } = await createWebhookSetup(admin, receiver.url);
    // On by default: the first attempt carries one.
    expect(await publish(admin, { type: eventType, payload: { n: 1 } })).toMatchObject({ __typename: 'PublishedEvent' });
    await receiver.waitFor(1, 30_000);
    expect(receiver.requests[0].headers.traceparent).toMatch(TRACEPARENT);

    await setSendTraceparent(webhookId, false);
    expect((await admin(`{ node(id: "${webhookId}") { ... on Webhook { sendTraceContext } } }`)).data.node.sendTraceContext).toBe(false);
    expect(await publish(admin, { type: eventType, payload: { n: 2 } })).toMatchObject({ __typename: 'PublishedEvent' });
    await receiver.waitFor(2, 30_000);
    expect(JSON.parse(receiver.requests[1].body).data).toEqual({ n: 2 });
    expect(receiver.requests[1].headers.traceparent).toBeUndefined();

    await setSendTraceparent(webhookId, true);
    expect(await publish(admin, { type: eventType, payload: { n: 3 } })).toMatchObject({ __typename: 'PublishedEvent' });
    await receiver.waitFor(3, 30_000);
    expect(JSON.parse(receiver.requests[2].body).data).toEqual({ n: 3 });
    expect(receiver.requests[2].headers.traceparent).toMatch(TRACEPARENT);
    expect(pageErrors).toEqual([]);
  });
});
