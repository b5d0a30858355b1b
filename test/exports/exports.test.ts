import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDFParse } from 'pdf-parse';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createIntegrator, createTenant, createWebhook } from '../support/fixtures.ts';
import { at, createCatalog, insertDeliveries, variedDeliveries, withClient, type Catalog, type SeedDelivery } from '../support/seed.ts';
import { insertBulkDeliveries } from '../support/bulk.ts';
import { parseCsv } from '../support/csv.ts';

const IDS_QUERY = `query ($filter: DeliveryFilter, $orderBy: [DeliveryOrder!], $after: String) {
  deliveries(first: 100, after: $after, filter: $filter, orderBy: $orderBy) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}`;

describe('delivery log exports', () => {
  let hy: TestHookyard;
  let catalog: Catalog;
  let rows: SeedDelivery[];
  let sneaky: { integratorId: string; webhookId: string };

  const get = (path: string, token: string | null = hy.adminToken) => fetch(`${hy.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  async function graphqlIds(filter: Record<string, unknown>, orderBy?: unknown): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const response: any = await hy.admin(IDS_QUERY, { filter, orderBy, after });
      expect(response.errors).toBeUndefined();
      ids.push(...response.data.deliveries.edges.map((e: any) => e.node.id));
      if (!response.data.deliveries.pageInfo.hasNextPage) return ids;
      after = response.data.deliveries.pageInfo.endCursor;
    }
  }

  beforeAll(async () => {
    hy = await startTestHookyard();
    catalog = await createCatalog(hy.admin, hy.databaseUrl, hy.adminToken, 'x');
    // Names that a spreadsheet would run, or that break naive CSV writers.
    const integrator = await createIntegrator(hy.admin, { name: `=cmd|' /C calc'!A0` });
    const { webhook } = await createWebhook(hy.admin, { integratorId: integrator.id, name: 'EU, "main" billing', url: 'http://127.0.0.1:9/eu', eventTypes: ['*'] });
    sneaky = { integratorId: integrator.id, webhookId: webhook.id };
    rows = variedDeliveries({ ...catalog, webhooks: [...catalog.webhooks, { id: webhook.id, name: 'EU', url: '', integratorId: integrator.id }] }, 60);
    const neighbour = await createTenant(hy.databaseUrl, 'neighbour');
    const theirCatalog = await createCatalog(hy.client(neighbour.token), hy.databaseUrl, neighbour.token, 'y');
    await withClient(hy.databaseUrl, async (c) => {
      await insertDeliveries(c, rows);
      await insertDeliveries(c, variedDeliveries(theirCatalog, 10));
    });
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('needs a Bearer API key', async () => {
    for (const path of ['/export/deliveries.csv', '/export/deliveries.pdf']) {
      const missing = await get(path, null);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      expect((await get(path, 'hy_unknown')).status).toBe(401);
    }
  });

  it('exports the whole log as CSV, newest first, with a header row and proper escaping', async () => {
    const response = await get('/export/deliveries.csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="deliveries-.*\.csv"$/);
    const table = parseCsv(await response.text());
    const [header, ...body] = table;
    expect(header).toEqual([
      'id', 'created_at', 'integrator_id', 'integrator', 'webhook_id', 'webhook', 'webhook_url', 'event_id', 'event_type', 'status', 'succeeded',
      'attempts', 'last_attempt_at', 'next_attempt_at', 'delivered_at', 'last_response_status', 'last_duration_ms', 'last_error',
    ]);
    expect(body.map((r) => r[0])).toEqual(await graphqlIds({}));
    expect(body).toHaveLength(rows.length);
    const byId = new Map(body.map((r) => [r[0], Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
    const failed = rows.find((r) => r.status === 'FAILED' && r.webhookId === sneaky.webhookId)!;
    const record = byId.get(failed.id)!;
    // Quotes, commas and a newline survive; a leading = is neutralised for spreadsheets.
    expect(record.last_error).toBe(`'=HYPERLINK("http://evil"), "quoted", comma\nnewline`);
    expect(record.integrator).toBe(`'=cmd|' /C calc'!A0`);
    expect(record.webhook).toBe('EU, "main" billing');
    expect(record).toMatchObject({ status: 'FAILED', succeeded: 'false', attempts: String(failed.attemptCount), event_type: failed.eventType, webhook_url: 'http://127.0.0.1:9/eu' });
    expect(record.created_at).toBe(new Date(failed.createdAt).toISOString());
    const delivered = rows.find((r) => r.status === 'SUCCEEDED')!;
    expect(byId.get(delivered.id)).toMatchObject({ succeeded: 'true', delivered_at: new Date(delivered.deliveredAt!).toISOString(), last_error: '' });
  });

  it('neutralises every cell a spreadsheet would run (leading = + - @ tab CR) with a quote, and leaves other text alone', async () => {
    const values = ['=1+2', '+1+2', '-1+2', '@SUM(A1)', '\t=1+2', '\r=1+2', 'a=1', ' =1', '1-2', 'plain'];
    const escaped = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
    const chosen = rows.filter((r) => r.webhookId !== sneaky.webhookId).slice(0, values.length);
    await withClient(hy.databaseUrl, async (c) => {
      for (const [i, row] of chosen.entries()) await c.query('update delivery set last_error = $2 where id = $1', [row.id, values[i]]);
    });
    try {
      const response = await get(`/export/deliveries.csv?ids=${chosen.map((r) => r.id).join(',')}`);
      expect(response.status).toBe(200);
      const text = await response.text();
      const [header, ...body] = parseCsv(text);
      const column = header.indexOf('last_error');
      const byId = new Map(body.map((r) => [r[0], r[column]]));
      // parseCsv drops CR outside quotes; a CR inside a value is quoted, so it survives.
      expect(chosen.map((r) => byId.get(r.id))).toEqual(values.map(escaped));
    } finally {
      await withClient(hy.databaseUrl, async (c) => {
        for (const row of chosen) await c.query('update delivery set last_error = $2 where id = $1', [row.id, row.lastError]);
      });
    }
  });

  it('exports with the same filter and sort as the GraphQL query, given as query parameters', async () => {
    const cases: [string, Record<string, unknown>, unknown][] = [
      ['status=FAILED&status=RETRYING&orderBy=ATTEMPTS:DESC,CREATED_AT:DESC', { status: ['FAILED', 'RETRYING'] }, [{ field: 'ATTEMPTS', direction: 'DESC' }, { field: 'CREATED_AT', direction: 'DESC' }]],
      [`createdFrom=${at(4)}&createdTo=${at(15)}&orderBy=INTEGRATOR:ASC`, { createdFrom: at(4), createdTo: at(15) }, [{ field: 'INTEGRATOR', direction: 'ASC' }]],
      [`search=acme&succeeded=true&attemptsMin=2`, { search: 'acme', succeeded: true, attemptsMin: 2 }, undefined],
      [`webhookId=${catalog.webhooks[2].id}&orderBy=DELIVERED_AT`, { webhookId: catalog.webhooks[2].id }, [{ field: 'DELIVERED_AT', direction: 'DESC' }]],
      [`ids=${rows[3].id},${rows[7].id}&ids=${rows[20].id}`, { ids: [rows[3].id, rows[7].id, rows[20].id] }, undefined],
      ['ids=', { ids: [] }, undefined],
    ];
    for (const [query, filter, orderBy] of cases) {
      const response = await get(`/export/deliveries.csv?${query}`);
      expect(response.status, query).toBe(200);
      const ids = parseCsv(await response.text()).slice(1).map((r) => r[0]);
      const expected = await graphqlIds(filter, orderBy);
      expect(ids, query).toEqual(expected);
      expect(ids.length > 0, query).toBe(query !== 'ids=');
    }
  });

  it('answers 400 naming the parameter for bad or unknown parameters', async () => {
    const cases: [string, string][] = [
      [`createdFrom=${at(10)}&createdTo=${at(5)}`, 'createdTo'],
      ['createdFrom=yesterday', 'createdFrom'],
      ['attemptsMin=two', 'attemptsMin'],
      ['durationMinMs=-5', 'durationMinMs'],
      ['durationMinMs=900&durationMaxMs=100', 'durationMaxMs'],
      ['status=LOST', 'status'],
      ['orderBy=PRICE:ASC', 'orderBy'],
      ['staus=FAILED', 'staus'],
      ['succeeded=maybe', 'succeeded'],
      [`search=${'x'.repeat(201)}`, 'search'],
      ['ids=dlv_nope', 'ids'],
      ['eventType=a&eventType=b', 'eventType'],
    ];
    for (const [query, field] of cases) {
      for (const format of ['csv', 'pdf']) {
        const response = await get(`/export/deliveries.${format}?${query}`);
        expect(response.status, `${format} ${query}`).toBe(400);
        expect((await response.json()).error, query).toMatchObject({ code: 'VALIDATION', field });
      }
    }
  });

  it('exports a PDF that parses: title, filter summary, the log columns, rows and page numbers', async () => {
    const response = await get('/export/deliveries.pdf?status=SUCCEEDED&status=FAILED&orderBy=CREATED_AT:ASC');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const parser = new PDFParse({ data: new Uint8Array(await response.arrayBuffer()) });
    try {
      const result = await parser.getText();
      const expected = rows.filter((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED');
      expect(result.total).toBeGreaterThanOrEqual(2);
      const text = result.text;
      expect(text).toContain('Hookyard delivery log');
      expect(text).toContain('Filter: status SUCCEEDED,FAILED; orderBy CREATED_AT:ASC');
      for (const column of ['Created at (UTC)', 'Integrator', 'Webhook', 'Event type', 'Attempts', 'Last attempt at', 'Success', 'Delivered at']) expect(text).toContain(column);
      for (let page = 1; page <= result.total; page++) expect(result.pages[page - 1].text).toContain(`Page ${page}`);
      expect(text).toContain(`${expected.length} deliveries.`);
      expect(text).toContain('Acme x');
      expect(text).toContain('invoice.paid');
      expect(text).toContain(new Date(expected[0].createdAt).toISOString().slice(0, 19).replace('T', ' '));
      expect(text).not.toContain('pending');
    } finally {
      await parser.destroy();
    }
  });

  it('streams 100,000 rows as CSV in keyset batches, the first bytes long before the last', async () => {
    const neighbourTenant = await createTenant(hy.databaseUrl, 'bulk');
    const bulkCatalog = await createCatalog(hy.client(neighbourTenant.token), hy.databaseUrl, neighbourTenant.token, 'bulk');
    await withClient(hy.databaseUrl, async (c) => {
      await insertBulkDeliveries(c, { tenantId: bulkCatalog.tenantId, webhooks: bulkCatalog.webhooks, eventTypes: bulkCatalog.eventTypes }, 100_000, new Date('2026-02-01T00:00:00Z'), 10);
      await c.query('analyze delivery');
    });
    const started = Date.now();
    const response = await fetch(`${hy.baseUrl}/export/deliveries.csv`, { headers: { authorization: `Bearer ${neighbourTenant.token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBeNull();
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let firstChunkAt = 0;
    let lines = 0;
    let tail = '';
    let previous = '';
    let ordered = true;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      firstChunkAt ||= Date.now() - started;
      const text = tail + decoder.decode(value, { stream: true });
      const parts = text.split('\n');
      tail = parts.pop()!;
      for (const line of parts.slice(lines === 0 ? 1 : 0)) {
        // Newest first: created_at (column 2) never increases.
        const createdAt = line.split(',')[1];
        if (previous && createdAt > previous) ordered = false;
        previous = createdAt;
      }
      lines += parts.length;
    }
    const total = Date.now() - started;
    expect(lines).toBe(100_001);
    expect(ordered).toBe(true);
    expect(firstChunkAt).toBeLessThan(total / 2);
  }, 120_000);

  // Last: it adds deliveries that the counts above do not expect.
  it('prints names beyond Latin-1 (Polish, Czech, Greek, Cyrillic) in the PDF as they are', async () => {
    const integrator = await createIntegrator(hy.admin, { name: 'Łódź Ωmega Тест' });
    const { webhook } = await createWebhook(hy.admin, { integratorId: integrator.id, name: 'Žluťoučký kůň', url: 'http://127.0.0.1:9/pl', eventTypes: ['*'] });
    const seeded = variedDeliveries({ ...catalog, integrators: [{ id: integrator.id, name: integrator.name }], webhooks: [{ id: webhook.id, name: 'Žluťoučký kůň', url: '', integratorId: integrator.id }] }, 3);
    await withClient(hy.databaseUrl, (c) => insertDeliveries(c, seeded));
    const response = await get(`/export/deliveries.pdf?integratorId=${integrator.id}`);
    expect(response.status).toBe(200);
    const parser = new PDFParse({ data: new Uint8Array(await response.arrayBuffer()) });
    try {
      const { text } = await parser.getText();
      expect(text).toContain('Łódź Ωmega Тест');
      expect(text).toContain('Žluťoučký kůň');
      expect(text).toContain('3 deliveries.');
    } finally {
      await parser.destroy();
    }
  });
});
