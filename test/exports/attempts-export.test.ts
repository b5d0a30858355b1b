// GET /export/attempts.csv: the attempts log as CSV with the same filter and order as the
// GraphQL `attempts` query, given as query parameters; bad parameters answer 400 naming
// them; a tenant exports only its own attempts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createTenant } from '../support/fixtures.ts';
import { parseCsv as parse } from '../support/csv.ts';
import { at, createCatalog, insertAttempt, insertDeliveries, variedDeliveries, withClient, type Catalog } from '../support/seed.ts';

const IDS = `query ($first: Int, $after: String, $filter: AttemptFilter, $order: AttemptOrder) {
  attempts(first: $first, after: $after, filter: $filter, order: $order) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}`;

describe('attempts export', () => {
  let hy: TestHookyard;
  let catalog: Catalog;
  let neighbour: { token: string; ids: string[] };

  const get = (query: string, token = hy.adminToken) => fetch(`${hy.baseUrl}/export/attempts.csv${query ? `?${query}` : ''}`, { headers: { authorization: `Bearer ${token}` } });

  async function graphqlIds(filter: Record<string, unknown>, order?: string): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const response: { errors?: unknown; data: any } = await hy.admin(IDS, { first: 100, after, filter, order });
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      ids.push(...response.data.attempts.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!response.data.attempts.pageInfo.hasNextPage) return ids;
      after = response.data.attempts.pageInfo.endCursor;
    }
  }

  async function seed(of: Catalog, deliveries: number, attempts: number): Promise<string[]> {
    const rows = variedDeliveries(of, deliveries);
    const ids: string[] = [];
    await withClient(hy.databaseUrl, async (client) => {
      await insertDeliveries(client, rows);
      for (let i = 0; i < attempts; i++) {
        const d = rows[i % rows.length];
        const status = [200, 503, null, 404, 500][i % 5];
        ids.push(
          await insertAttempt(client, {
            tenantId: of.tenantId,
            deliveryId: d.id,
            webhookId: d.webhookId,
            succeeded: status === 200,
            status,
            createdAt: at(500 + Math.floor(i / 2)),
            trigger: i % 3 === 0 ? 'MANUAL' : 'SCHEDULED',
            errorKind: status == null ? 'timeout' : null,
          }),
        );
      }
    });
    return ids;
  }

  beforeAll(async () => {
    hy = await startTestHookyard({ HOOKYARD_RETENTION_DAYS: '3650' });
    catalog = await createCatalog(hy.admin, hy.databaseUrl, hy.adminToken, 'x');
    // 1,250 attempts: more than one export batch of 1,000.
    await seed(catalog, 30, 1250);
    const tenant = await createTenant(hy.databaseUrl, 'neighbour');
    const otherCatalog = await createCatalog(hy.client(tenant.token), hy.databaseUrl, tenant.token, 'y');
    neighbour = { token: tenant.token, ids: await seed(otherCatalog, 4, 7) };
  }, 180_000);

  afterAll(async () => {
    await hy?.stop();
  });

  it('exports the whole log newest first, across batches, with a header row', async () => {
    const response = await get('');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="attempts-.*\.csv"$/);
    const [header, ...body] = parse(await response.text());
    expect(header).toEqual([
      'id', 'created_at', 'delivery_id', 'attempt_number', 'trigger', 'integrator_id', 'integrator', 'webhook_id', 'webhook',
      'event_type', 'request_url', 'succeeded', 'response_status', 'error_kind', 'error_message', 'duration_ms',
    ]);
    expect(body.map((r) => r[0])).toEqual(await graphqlIds({}));
    expect(body).toHaveLength(1250);
    const record = Object.fromEntries(header.map((h, i) => [h, body[0][i]]));
    expect(record.integrator).toBe(catalog.integrators.find((i) => i.id === record.integrator_id)?.name);
    expect(record.webhook).toBe(catalog.webhooks.find((w) => w.id === record.webhook_id)?.name);
    expect(record.event_type).toMatch(/\./);
  });

  it('exports with the same filter and order as the GraphQL query', async () => {
    const cases: [string, Record<string, unknown>, string | undefined][] = [
      ['httpStatus=5xx&order=OLDEST_FIRST', { httpStatus: '5xx' }, 'OLDEST_FIRST'],
      ['trigger=manual&succeeded=false', { trigger: 'MANUAL', succeeded: false }, undefined],
      ['errorKind=timeout', { errorKind: 'TIMEOUT' }, undefined],
      [`webhookId=${catalog.webhooks[1].id}&createdFrom=${at(600)}&createdTo=${at(900)}`, { webhookId: catalog.webhooks[1].id, createdFrom: at(600), createdTo: at(900) }, undefined],
      [`integratorId=${catalog.integrators[0].id}&eventType=invoice.paid`, { integratorId: catalog.integrators[0].id, eventType: 'invoice.paid' }, undefined],
    ];
    for (const [query, filter, order] of cases) {
      const response = await get(query);
      expect(response.status, query).toBe(200);
      const ids = (parse(await response.text())).slice(1).map((r) => r[0]);
      const expected = await graphqlIds(filter, order);
      expect(expected.length, query).toBeGreaterThan(0);
      expect(expected.length, query).toBeLessThan(1250);
      expect(ids, query).toEqual(expected);
    }
  });

  it('answers 400 naming the parameter for a bad or unknown one, and 401 without a key', async () => {
    for (const [query, field] of [
      ['httpStatus=6xx', 'httpStatus'],
      ['errorKind=gremlins', 'errorKind'],
      ['trigger=SOMETIMES', 'trigger'],
      ['order=SIDEWAYS', 'order'],
      ['createdFrom=yesterday', 'createdFrom'],
      ['webhookId=int_nope', 'webhookId'],
      ['succeeded=maybe', 'succeeded'],
      ['status=FAILED', 'status'],
      ['trigger=MANUAL&trigger=SCHEDULED', 'trigger'],
    ]) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect((await response.json()).error, query).toMatchObject({ code: 'VALIDATION', field });
    }
    expect((await fetch(`${hy.baseUrl}/export/attempts.csv`)).status).toBe(401);
  });

  it("exports a tenant's own attempts only", async () => {
    const response = await get(`webhookId=${catalog.webhooks[1].id}`, neighbour.token);
    expect(response.status).toBe(200);
    expect((parse(await response.text())).slice(1)).toEqual([]);
    const all = await get('', neighbour.token);
    expect(new Set((parse(await all.text())).slice(1).map((r) => r[0]))).toEqual(new Set(neighbour.ids));
  });
});
