// The dashboard's management screens in headless Chromium against a real Hookyard:
// serving, sign-in, the forms (with server errors next to their field), webhook
// actions, roles and revoked keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { mutate } from '../support/graphql.ts';
import { sql as sqlExec } from '../support/sql.ts';
import { browserAvailable, launchBrowser, nav, openPage, signIn, until } from './support/browser.ts';

const MUTATING_CONTROL = /^(Pause|Resume|Edit|Delete|Revoke|Resend|Retry…|Rotate secret|Send test event|Add webhook)$|^(New|Register|Create|Turn sending) /;

async function mutatingControls(page: Page): Promise<string[]> {
  const texts = await page.locator('button:visible, a.button:visible').allTextContents();
  return texts.map((text) => text.trim()).filter((text) => MUTATING_CONTROL.test(text));
}

describe.skipIf(!browserAvailable())('the dashboard (management screens)', () => {
  let hy: TestHookyard;
  let browser: Browser;
  let page: Page;
  let receiver: Receiver;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [hy, receiver, browser] = await Promise.all([startTestHookyard(), startReceiver(), launchBrowser()]);
    page = await openPage(browser, pageErrors);
  });

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await hy?.stop();
  });

  it('is served by the API server at / with index.html for client routes and 404 for missing assets', async () => {
    const root = await fetch(`${hy.baseUrl}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/text\/html/);
    const html = await root.text();
    const deepLink = await fetch(`${hy.baseUrl}/webhooks/whk_doesnotexist`);
    expect(deepLink.status).toBe(200);
    expect(await deepLink.text()).toBe(html);
    expect((await fetch(`${hy.baseUrl}/_app/immutable/missing.js`)).status).toBe(404);
    expect((await fetch(`${hy.baseUrl}/../../package.json`)).status).not.toBe(200);
    const asset = /\/_app\/immutable\/[^"]+\.js/.exec(html)?.[0];
    expect(asset).toBeTruthy();
    const script = await fetch(`${hy.baseUrl}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect((await hy.admin('{ viewer { role } }')).data.viewer.role).toBe('ADMIN');
  });

  it('refuses an unknown key on the sign-in form, then signs in with the first-start admin key and keeps it across reloads', async () => {
    await page.goto(hy.baseUrl);
    await page.getByLabel('API key').fill('hy_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until(() => page.getByRole('alert').textContent()).toContain('does not know this API key');

    await signIn(page, hy.baseUrl, hy.adminToken);
    await until(() => page.getByTestId('role').textContent()).toBe('Admin');
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('hookyard.apiKey'))).toBe(hy.adminToken);
  });

  it('creates an integrator and an event type from their forms, with a server error shown next to its field', async () => {
    await nav(page, 'Integrators').click();
    await page.getByText('No integrators yet').waitFor();
    await page.getByRole('button', { name: 'New integrator' }).click();
    await page.getByLabel('Name').fill('Acme Accounting');
    await page.getByLabel('Contact e-mail').fill('ops@acme.test');
    await page.getByRole('button', { name: 'Create integrator' }).click();
    await page.locator('tr', { hasText: 'Acme Accounting' }).waitFor();
    // The search box reaches the URL once typing pauses.
    await page.getByLabel('Search integrators').fill('nobody');
    await page.getByText('No integrator matches.').waitFor();
    await until(() => page.url()).toContain('q=nobody');
    await page.getByLabel('Search integrators').fill('ops@acme');
    await page.locator('tr', { hasText: 'Acme Accounting' }).waitFor();

    await nav(page, 'Event types').click();
    await page.getByRole('button', { name: 'Register event type' }).first().click();
    await page.getByLabel('Name').fill('Invoice Created');
    await page.getByRole('button', { name: 'Register event type' }).last().click();
    const nameError = page.locator('#et-name-error');
    await until(() => nameError.textContent()).toContain('resource.action');
    expect(await page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Name').fill('invoice.created');
    await page.getByLabel('Default retry schedule').fill('5s, 1m, soon');
    await page.getByRole('button', { name: 'Register event type' }).last().click();
    await until(() => page.locator('#et-retrySchedule-error').textContent()).toContain('"soon" is not a duration');
    await page.getByLabel('Default retry schedule').fill('5s, 1m');
    await page.getByRole('button', { name: 'Register event type' }).last().click();
    await page.locator('tr[data-event-type="invoice.created"]').waitFor();
    expect(await page.locator('tr[data-event-type="invoice.created"]').textContent()).toContain('5s, 1m');
    await page.getByLabel('Search event types').fill('refund');
    await page.getByText('No event type matches.').waitFor();
    await until(() => page.url()).toContain('q=refund');
    await page.getByLabel('Search event types').fill('invoice');
    await page.locator('tr[data-event-type="invoice.created"]').waitFor();
  });

  it('creates a webhook with every field, showing a bad URL next to the URL field and the secret once', async () => {
    await nav(page, 'Webhooks').click();
    await page.getByRole('link', { name: 'New webhook' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('Billing');
    await page.getByLabel('Description').fill('Invoices for the accounting system');
    await page.getByLabel('URL').fill('ftp://example.test/hook');
    await page.getByRole('checkbox', { name: 'invoice.created' }).check();
    await page.getByLabel('Channels').fill('eu, us');
    await page.getByLabel('Custom headers').fill('x-tenant: acme');
    await page.getByLabel('Secret headers').fill('Authorization: Bearer dashboard-secret');
    await page.getByRole('checkbox', { name: 'Its own schedule' }).check();
    await page.getByLabel('Retry schedule').fill('1s, 2s');
    await page.getByLabel('Timeout (seconds)').fill('5');
    await page.getByLabel('Rate limit (per second)').fill('50');
    await page.getByLabel('Filter (JSON)').fill('{"data.total": {"$gtt": 100}}');
    await page.getByLabel('Requests at once').fill('4');
    await page.getByLabel('Circuit opens after').fill('7');
    await page.getByLabel('Body format').selectOption('CLOUDEVENTS_BINARY');
    await page.getByLabel('Signature').selectOption('CUSTOM');
    // A header Hookyard sets itself: refused by the server, next to the signature field.
    await page.getByLabel('Header', { exact: true }).fill('webhook-signature');
    await page.getByLabel('Hash').selectOption('SHA512');
    await page.getByLabel('Prefix').fill('v1=');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await until(() => page.locator('#wh-url-error').textContent()).toContain('https://');

    await page.getByLabel('URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await until(() => page.locator('#wh-signature-error').textContent()).toContain('Hookyard sets itself');
    await page.getByLabel('Header', { exact: true }).fill('x-acme-signature');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    // The server's refusal of the filter, with the path inside it, next to the filter.
    await until(() => page.locator('#wh-filter-error').textContent()).toContain('data.total.$gtt: $gtt is not an operator');
    await page.getByLabel('Filter (JSON)').fill('{"data.total": {"$gte": 100}}');
    // Tested against a pasted event before saving.
    await page.locator('#wh-test-event').fill('{"type": "invoice.created", "payload": {"total": 99}}');
    await page.getByRole('button', { name: 'Test filter' }).click();
    await until(() => page.locator('[data-filter-outcome]').textContent()).toBe('does not match');
    expect(await page.locator('[data-filter-explanation]').textContent()).toBe('data.total is 99, not at least 100 (data.total.$gte)');
    await page.locator('#wh-test-event').fill('{"type": "invoice.created", "payload": {"total": 100}}');
    await page.getByRole('button', { name: 'Test filter' }).click();
    await until(() => page.locator('[data-filter-outcome]').textContent()).toBe('matches');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const secret = await page.getByTestId('secret-value').textContent();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'I stored it' }).click();
    await page.getByRole('heading', { name: 'Billing' }).waitFor();
    // The secret header's name is shown, never its value.
    await until(() => page.getByText('Secret headers (values hidden): Authorization').count()).toBe(1);
    expect(await page.content()).not.toContain('dashboard-secret');

    await until(() => page.locator('[data-webhook-filter]').textContent()).toContain('"$gte": 100');
    expect(await page.locator('[data-webhook-circuit]').textContent()).toContain('opens after 7 failed attempts in a row');
    const { data } = await hy.admin(
      '{ webhooks(first: 10) { edges { node { name url channels headers secretHeaderNames retrySchedule timeoutSeconds rateLimitPerSecond eventTypes filter maxInFlight bodyFormat signature { scheme header algorithm prefix } } } } }',
    );
    expect(data.webhooks.edges[0].node).toEqual({
      name: 'Billing',
      url: receiver.url,
      channels: ['eu', 'us'],
      headers: { 'x-tenant': 'acme' },
      secretHeaderNames: ['Authorization'],
      retrySchedule: [1, 2],
      timeoutSeconds: 5,
      rateLimitPerSecond: 50,
      eventTypes: ['invoice.created'],
      filter: { 'data.total': { $gte: 100 } },
      maxInFlight: 4,
      bodyFormat: 'CLOUDEVENTS_BINARY',
      signature: { scheme: 'HMAC_HEADER', header: 'x-acme-signature', algorithm: 'SHA512', prefix: 'v1=' },
    });
    // An open circuit shows on the page, with when the probe goes.
    const webhookId = (await hy.admin('{ webhooks(first: 1) { edges { node { id } } } }')).data.webhooks.edges[0].node.id;
    await sqlExec(hy.databaseUrl, `update webhook set circuit_state = 'OPEN', circuit_failures = 7, circuit_opened_at = now(), circuit_next_probe_at = now() + interval '30 seconds' where id = $1`, [webhookId]);
    await page.reload();
    await until(() => page.getByTestId('circuit-callout').textContent()).toContain('after 7 failed attempts in a row');
    expect(await page.locator('[data-circuit="OPEN"]').count()).toBe(1);
    await sqlExec(hy.databaseUrl, `update webhook set circuit_state = 'CLOSED', circuit_failures = 0, circuit_opened_at = null, circuit_next_probe_at = null where id = $1`, [webhookId]);
  });

  it('pauses and resumes a webhook with an optional reason, and deletes it only after the confirmation', async () => {
    await nav(page, 'Webhooks').click();
    const row = page.locator('tr', { hasText: 'Billing' });
    const dialog = page.getByRole('dialog');
    await row.getByRole('button', { name: 'Pause Billing' }).click();
    await dialog.getByLabel('Reason').fill('ledger migration tonight');
    await dialog.getByRole('button', { name: 'Pause webhook' }).click();
    await until(() => row.getAttribute('data-status')).toBe('PAUSED');
    // The list says why, beside the status.
    await until(() => row.getByTestId('status-reason').textContent()).toContain('ledger migration tonight');
    await row.getByRole('button', { name: 'Resume Billing' }).click();
    await dialog.getByRole('button', { name: 'Resume webhook' }).click();
    await until(() => row.getAttribute('data-status')).toBe('ACTIVE');

    await row.getByRole('button', { name: 'Delete Billing' }).click();
    await dialog.getByText('cannot be restored').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await until(() => dialog.isVisible()).toBe(false);
    expect(await row.getAttribute('data-status')).toBe('ACTIVE');

    await row.getByRole('button', { name: 'Delete Billing' }).click();
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await until(() => row.getAttribute('data-status')).toBe('DELETED');

    await row.getByRole('link', { name: 'Billing' }).click();
    const history = page.getByTestId('history');
    await until(async () => (await history.locator('li').count())).toBe(4);
    expect(await history.locator('[data-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).toEqual(
      ['ACTIVE', 'ACTIVE', 'PAUSED', 'PAUSED', 'ACTIVE', 'ACTIVE', 'DELETED'],
    );
    // The reason given is in the history; none given, the dashboard says where it came from.
    expect(await history.textContent()).toContain('ledger migration tonight');
    expect(await history.textContent()).toContain('resumed from the dashboard');
  });

  it('sorts and searches webhooks, keeping both in the URL across a reload', async () => {
    const integrator = await mutate(hy.admin, 'mutation { createIntegrator(input: { name: "Zed Corp" }) { ... on IntegratorPayload { integrator { id } } } }');
    for (const name of ['Zeta orders', 'Alpha orders']) {
      await mutate(hy.admin, 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename } }', {
        input: { integratorId: integrator.integrator.id, name, url: receiver.url, eventTypes: ['invoice.*'] },
      });
    }
    await page.goto(`${hy.baseUrl}/webhooks`);
    const names = () => page.locator('tbody tr td:first-child strong').allTextContents();
    await until(names).toEqual(['Alpha orders', 'Zeta orders']);
    await page.getByRole('button', { name: 'Name' }).click();
    await until(names).toEqual(['Alpha orders', 'Zeta orders']);
    await page.getByRole('button', { name: 'Name' }).click();
    await until(names).toEqual(['Zeta orders', 'Alpha orders']);
    await page.getByLabel('Search webhooks').fill('alpha');
    await until(names).toEqual(['Alpha orders']);
    await until(() => page.url()).toContain('q=alpha');
    expect(page.url()).toContain('sort=-name');
    await page.reload();
    await until(names).toEqual(['Alpha orders']);
    expect(await page.getByLabel('Search webhooks').inputValue()).toBe('alpha');

    // The same scan the VIEWER test relies on does find an admin's controls.
    expect(await mutatingControls(page)).toEqual(expect.arrayContaining(['New webhook', 'Pause', 'Edit', 'Delete']));

    await page.getByLabel('Search webhooks').fill('');
    await page.getByLabel('Status').selectOption('DELETED');
    await until(names).toEqual(['Billing']);
  });

  it('switches the tenant’s sending off behind a confirmation and on again', async () => {
    await nav(page, 'Settings').click();
    await page.getByRole('button', { name: 'Turn sending off' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Turn sending off' }).click();
    await until(() => page.getByTestId('deliveries-enabled').textContent()).toBe('Off');
    await page.getByText('Sending is switched off for this tenant').waitFor();
    expect((await hy.admin('{ viewer { tenant { deliveriesEnabled } } }')).data.viewer.tenant.deliveriesEnabled).toBe(false);
    await page.getByRole('button', { name: 'Turn sending on' }).click();
    await until(() => page.getByTestId('deliveries-enabled').textContent()).toBe('On');
  });

  let viewerToken = '';

  it('creates a VIEWER key whose token is shown once', async () => {
    await page.getByLabel('Name').fill('Auditor');
    await page.getByLabel('Role').selectOption('VIEWER');
    await page.getByRole('button', { name: 'Create key' }).click();
    viewerToken = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(viewerToken).toMatch(/^hy_/);
    await page.locator('tr', { hasText: 'Auditor' }).waitFor();
    await page.getByRole('button', { name: 'I stored it' }).click();
    expect(await page.getByTestId('secret-value').count()).toBe(0);
  });

  it('signs out and forgets the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('hookyard.apiKey'))).toBeNull();
    await page.reload();
    await page.getByLabel('API key').waitFor();
  });

  it('shows a VIEWER no control that changes anything, on any screen', async () => {
    await signIn(page, hy.baseUrl, viewerToken);
    expect(await page.getByTestId('role').textContent()).toContain('read-only');
    const webhookId = (await hy.admin('{ webhooks(first: 1) { edges { node { id } } } }')).data.webhooks.edges[0].node.id;
    for (const path of ['/', '/overview', '/webhooks', `/webhooks/${webhookId}`, '/integrators', '/event-types', '/settings']) {
      await page.goto(`${hy.baseUrl}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await mutatingControls(page), `mutating controls on ${path}`).toEqual([]);
    }
  });

  it('sends a user whose key was revoked back to sign-in with a message', async () => {
    const keys = await hy.admin('{ apiKeys(first: 10) { edges { node { id name } } } }');
    const auditor = keys.data.apiKeys.edges.find((e: { node: { name: string } }) => e.node.name === 'Auditor').node;
    await mutate(hy.admin, 'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }', { id: auditor.id });
    await nav(page, 'Integrators').click();
    await until(() => page.getByTestId('sign-in-notice').textContent()).toContain('expired or was revoked');
    expect(await page.evaluate(() => localStorage.getItem('hookyard.apiKey'))).toBeNull();
  });

  it('is readable at 768 px: the page itself never scrolls sideways', async () => {
    await signIn(page, hy.baseUrl, hy.adminToken);
    await page.setViewportSize({ width: 768, height: 1000 });
    for (const path of ['/', '/webhooks', '/integrators', '/settings']) {
      await page.goto(`${hy.baseUrl}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(768);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('threw no uncaught error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
