// The Inbound screen in headless Chromium against a real Hookyard: create a hook from the
// form (a server error next to its field), call its URL as a sender would, watch the log
// fill live, open a request's detail, and delete queue items; create a mail hook; see a
// hook changed elsewhere without a reload; save settings without turning a determined data
// structure into a hand-written one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { mutate } from '../support/graphql.ts';
import { addApiKey } from '../support/fixtures.ts';
import { browserAvailable, launchBrowser, nav, openPage, signIn, until } from './support/browser.ts';

describe.skipIf(!browserAvailable())('the dashboard (Inbound)', () => {
  let hy: TestHookyard;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [hy, browser] = await Promise.all([startTestHookyard(), launchBrowser()]);
    page = await openPage(browser, pageErrors);
    await mutate(hy.admin, `mutation { registerEventType(input: { name: "order.received" }) { __typename } }`);
    await signIn(page, hy.baseUrl, hy.adminToken);
  });

  afterAll(async () => {
    await browser?.close();
    await hy?.stop();
  });

  it('creates a hook from the form, showing a server error next to its field first', async () => {
    await nav(page, 'Inbound').click();
    await page.getByText('No inbound hooks yet').waitFor();
    await page.getByRole('button', { name: 'New inbound hook' }).click();
    await page.getByLabel('Name').fill('Shop orders');
    await page.getByLabel('Event type it publishes').fill('order.unknown');
    await page.getByRole('button', { name: 'Create inbound hook' }).click();
    await until(() => page.locator('#inh-eventType-error').textContent()).toContain('is not registered');
    await page.getByLabel('Event type it publishes').fill('order.received');
    await page.getByLabel('IP allowlist').fill('not-an-address');
    await page.getByRole('button', { name: 'Create inbound hook' }).click();
    await until(() => page.locator('#inh-ipAllowlist-error').textContent()).toContain('not an IP address or CIDR');
    await page.getByLabel('IP allowlist').fill('');
    await page.getByLabel('Processing').selectOption('SCHEDULED');
    await page.getByLabel('Every (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Create inbound hook' }).click();
    const row = page.locator('tr', { hasText: 'Shop orders' });
    await row.waitFor();
    expect(await row.locator('code').textContent()).toMatch(new RegExp(`^${hy.baseUrl}/in/[A-Za-z0-9_-]{43}$`));
    await row.getByRole('button', { name: 'Copy URL' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('shows calls to the URL in the log as they arrive, with their detail, and deletes queue items', async () => {
    const url = (await page.locator('tr', { hasText: 'Shop orders' }).locator('code').textContent())!;
    await page.getByRole('link', { name: 'Shop orders' }).click();
    await page.getByText('No requests yet').waitFor();
    // Stop processing so what arrives stays queued.
    const hookId = new URL(page.url()).searchParams.get('hook')!;
    await mutate(hy.admin, `mutation($id: ID!) { updateInboundHook(input: { id: $id, status: STOPPED }) { __typename } }`, { id: hookId });

    for (let i = 0; i < 3; i++) {
      const answer = await fetch(`${url}?n=${i}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: 100 + i }) });
      expect(answer.status).toBe(200);
    }
    expect((await fetch(`${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"broken' })).status).toBe(400);
    const rows = page.getByRole('table', { name: 'Log' }).locator('tbody tr');
    await until(() => rows.count()).toBe(4);

    // The status filter.
    await page.getByLabel('error').check();
    await until(() => rows.count()).toBe(1);
    await until(() => rows.first().getAttribute('data-status')).toBe('ERROR');
    await page.getByLabel('error').uncheck();
    await until(() => rows.count()).toBe(4);

    // The detail drawer: request, response, parsed item.
    await rows.last().getByRole('link').click();
    const drawer = page.getByRole('dialog');
    await until(() => drawer.getByTestId('request-state').textContent()).toContain('QUEUED');
    await until(() => drawer.textContent()).toContain('"orderId": 100');
    expect(await drawer.textContent()).toContain('Response sent: 200');
    await drawer.getByRole('button', { name: 'Close details' }).click();

    // The queue: delete one selected, then all.
    await page.getByRole('tab', { name: 'Queue' }).click();
    const queue = page.getByRole('table', { name: 'Queue' }).locator('tbody tr');
    await until(() => queue.count()).toBe(3);
    await queue.first().getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await until(() => queue.count()).toBe(2);
    await page.getByRole('button', { name: 'Delete all queued' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText('The queue is empty.').waitFor();
    const left = await hy.admin(`{ inboundRequests(filter: { hookId: "${hookId}", state: [QUEUED] }, first: 10) { totalCount } }`);
    expect(left.data.inboundRequests.totalCount).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('offers the answer from processing to IMMEDIATE hooks only, saying why, and shows a confidential request without its data', async () => {
    await nav(page, 'Inbound').click();
    await page.getByRole('button', { name: 'New inbound hook' }).click();
    await page.getByLabel('Name').fill('Answering');
    await page.getByLabel('Event type it publishes').fill('order.received');
    const fromProcessing = page.getByRole('radio', { name: /With the result/ });
    await page.getByLabel('Processing', { exact: true }).selectOption('SEQUENTIAL');
    expect(await fromProcessing.isDisabled()).toBe(true);
    expect(await page.locator('#inh-answer-why').textContent()).toContain('Only a hook that processes immediately can answer from processing');
    await page.getByLabel('Processing', { exact: true }).selectOption('IMMEDIATE');
    await fromProcessing.check();
    // The custom response gives way to the failure text.
    expect(await page.getByText('Custom response (default: 200 Accepted)').count()).toBe(0);
    await page.getByLabel('Text of the 500 when publishing fails').fill('x'.repeat(64 * 1024 + 1));
    await page.getByRole('checkbox', { name: /Data is confidential/ }).check();
    await page.getByRole('button', { name: 'Create inbound hook' }).click();
    await until(() => page.locator('#inh-failureResponseBody-error').textContent()).toContain('the limit is 65536');
    await page.getByLabel('Text of the 500 when publishing fails').fill('');
    // Another processing mode takes the answer back to "at once".
    await page.getByLabel('Processing', { exact: true }).selectOption('SCHEDULED');
    expect(await page.getByRole('radio', { name: /^At once/ }).isChecked()).toBe(true);
    await page.getByLabel('Processing', { exact: true }).selectOption('IMMEDIATE');
    await fromProcessing.check();
    await page.getByRole('button', { name: 'Create inbound hook' }).click();
    const row = page.locator('tr', { hasText: 'Answering' });
    await row.waitFor();
    const url = (await row.locator('code').textContent())!;
    const answer = await fetch(`${url}?card=4111`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId":1}' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(await answer.text())).toEqual({ eventId: expect.stringMatching(/^evt_/) });

    await page.getByRole('link', { name: 'Answering' }).click();
    const rows = page.getByRole('table', { name: 'Log' }).locator('tbody tr');
    await until(() => rows.count()).toBe(1);
    await rows.first().getByRole('link').click();
    const drawer = page.getByRole('dialog');
    await until(() => drawer.getByTestId('confidential-note').textContent()).toContain('were deleted; only the metadata is kept');
    expect(await drawer.textContent()).not.toContain('4111');
    await drawer.getByRole('button', { name: 'Close details' }).click();
    expect(pageErrors).toEqual([]);
  });

  it('creates a mail hook, lists its address with a copy button, and keeps HTTP-only settings out of its form', async () => {
    await page.getByRole('button', { name: 'New inbound hook' }).click();
    await page.getByLabel('Receives').selectOption('MAIL');
    expect(await page.getByText('Custom response').count()).toBe(0);
    await page.getByLabel('Put attachment contents in the item').check();
    await page.getByLabel('Name').fill('Support mailbox');
    await page.getByLabel('Event type it publishes').fill('order.received');
    await page.getByRole('button', { name: 'Create inbound hook' }).click();
    const row = page.locator('tr', { hasText: 'Support mailbox' });
    await row.waitFor();
    expect(await row.locator('code').textContent()).toMatch(/^[0-9a-f]{48}@localhost$/);
    await row.getByRole('button', { name: 'Copy address' }).waitFor();
    const listed = await hy.admin('{ inboundHooks(search: "Support mailbox") { edges { node { kind includeAttachmentContents } } } }');
    expect(listed.data.inboundHooks.edges).toEqual([{ node: { kind: 'MAIL', includeAttachmentContents: true } }]);
    await row.getByRole('link', { name: 'Support mailbox' }).click();
    await page.getByRole('button', { name: 'Regenerate address' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('shows a hook stopped and renamed by another operator without a reload', async () => {
    await nav(page, 'Inbound').click();
    const row = page.locator('tr', { hasText: 'Shop orders' });
    await row.waitFor();
    const hookId = (await row.getAttribute('data-hook-id'))!;
    await row.getByRole('link', { name: 'Shop orders' }).click();
    await page.getByRole('region', { name: 'Inbound hook Shop orders' }).waitFor();
    const tenant = (await hy.admin('{ viewer { tenant { id } } }')).data.viewer.tenant.id;
    const colleague = hy.client(await addApiKey(hy.databaseUrl, tenant, 'ADMIN'));
    // The first test's hook was stopped by the second; started again here, then stopped by the colleague.
    await mutate(colleague, `mutation($id: ID!) { updateInboundHook(input: { id: $id, status: ACTIVE }) { __typename } }`, { id: hookId });
    await until(() => row.locator('.badge').textContent()).toBe('active');
    await mutate(colleague, `mutation($id: ID!) { updateInboundHook(input: { id: $id, status: STOPPED, name: "Shop orders (paused)" }) { __typename } }`, { id: hookId });
    const renamed = page.locator(`tr[data-hook-id="${hookId}"]`);
    await until(() => renamed.locator('.badge').textContent()).toBe('stopped');
    expect(await renamed.locator('.badge').getAttribute('title')).toBe('stopped by a person');
    await until(() => page.locator('section.detail h2').textContent()).toBe('Shop orders (paused)');
    expect(await page.locator('section.detail').textContent()).toContain('stopped by a person');
    expect(pageErrors).toEqual([]);
  });

  it('keeps a determined data structure determined when the settings are saved with another change', async () => {
    await nav(page, 'Inbound').click();
    await page.getByRole('button', { name: 'New inbound hook' }).click();
    await page.getByLabel('Name').fill('Parcels');
    await page.getByLabel('Event type it publishes').fill('order.received');
    await page.getByRole('button', { name: 'Create inbound hook' }).click();
    const row = page.locator('tr', { hasText: 'Parcels' });
    await row.waitFor();
    const url = (await row.locator('code').textContent())!;
    const hookId = (await row.getAttribute('data-hook-id'))!;
    await row.getByRole('link', { name: 'Parcels' }).click();
    await page.getByRole('tab', { name: 'Settings' }).click();
    const hint = page.locator('#inh-dataStructure-hint');
    await until(() => hint.textContent()).toBe('Written by hand, or determined from the next request');
    await page.getByRole('button', { name: 'Re-determine data structure' }).click();
    await until(() => hint.textContent()).toBe('Will be determined from the next request received');
    // The structure is determined by the next request: pushed to the open form, no reload.
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parcel: 'p-1', weight: 2 }) });
    expect(answer.status).toBe(200);
    await until(() => hint.textContent()).toBe('Determined from a received request; change it to write it by hand');

    // The form was opened before the structure existed: open it again to see it, then change only the name.
    await page.getByRole('tab', { name: 'Log' }).click();
    await page.getByRole('tab', { name: 'Settings' }).click();
    expect(JSON.parse(await page.getByLabel('Data structure (JSON Schema)').inputValue())).toMatchObject({ properties: { parcel: { type: 'string' }, weight: { type: 'integer' } } });
    await page.getByLabel('Name').fill('Parcels (EU)');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('tr', { hasText: 'Parcels (EU)' }).waitFor();
    expect(await hint.textContent()).toBe('Determined from a received request; change it to write it by hand');
    const saved = (await hy.admin(`{ node(id: "${hookId}") { ... on InboundHook { name dataStructureSource } } }`)).data.node;
    expect(saved).toEqual({ name: 'Parcels (EU)', dataStructureSource: 'DETERMINED' });

    // Changing the structure itself makes it hand-written.
    const structure = JSON.parse(await page.getByLabel('Data structure (JSON Schema)').inputValue());
    await page.getByLabel('Data structure (JSON Schema)').fill(JSON.stringify({ ...structure, required: ['parcel'] }, null, 2));
    await page.getByRole('button', { name: 'Save settings' }).click();
    await until(() => hint.textContent()).toBe('Written by hand');
    expect((await hy.admin(`{ node(id: "${hookId}") { ... on InboundHook { dataStructureSource } } }`)).data.node.dataStructureSource).toBe('MANUAL');
    expect(pageErrors).toEqual([]);
  });
});
