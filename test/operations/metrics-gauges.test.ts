// The gauges an on-call person reads on /metrics, computed from the database at scrape
// time: the most overdue delivery per tenant, held deliveries, circuits not closed, and
// the worker's deliveries in flight, each with HELP text.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';

describe('operational gauges on /metrics', () => {
  const hy = useTestHookyard();
  let db: ReturnType<typeof sqlClient>;
  let r: Receiver;
  beforeAll(async () => {
    db = sqlClient(hy.databaseUrl);
    r = await startReceiver();
  });
  afterAll(async () => {
    await db?.end();
    await r?.close();
  });

  it('shows the most overdue delivery per tenant, held deliveries and open circuits', async () => {
    const before = await (await fetch(`${hy.baseUrl}/metrics`)).text();
    expect(before).toMatch(/^# HELP hookyard_oldest_waiting_delivery_seconds .+/m);
    expect(before).toMatch(/^hookyard_deliveries_held 0$/m);
    expect(before).toMatch(/^hookyard_circuits_open\{state="OPEN"\} 0$/m);
    expect(before).toMatch(/^hookyard_deliveries_in_flight \d+$/m);

    const paused = await createWebhookSetup(hy.admin, r.url, { eventType: 'gauge.held' });
    await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${paused.webhookId}" }) { __typename } }`);
    await publish(hy.admin, { type: paused.eventType, payload: {} });
    await publish(hy.admin, { type: paused.eventType, payload: {} });
    // A delivery due 30 s ago that no worker has taken (no job; the sweeper waits 60 s before it counts as lost).
    const overdue = await createWebhookSetup(hy.admin, r.url, { eventType: 'gauge.overdue' });
    await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${overdue.webhookId}" }) { __typename } }`);
    const event = await publish(hy.admin, { type: overdue.eventType, payload: {} });
    await db.query(`update webhook set status = 'ACTIVE', circuit_state = 'OPEN' where id = $1`, [overdue.webhookId]);
    await db.query(`update delivery set next_attempt_at = now() - interval '30 seconds' where event_id = $1`, [event.event.id]);
    const tenantId = (await db.one<{ tenant_id: string }>('select tenant_id from delivery where event_id = $1', [event.event.id])).tenant_id;

    // Database gauges are reused for 5 s: wait that out once.
    await new Promise((resolve) => setTimeout(resolve, 5100));
    const after = await (await fetch(`${hy.baseUrl}/metrics`)).text();
    expect(after).toMatch(/^hookyard_deliveries_held 2$/m);
    expect(after).toMatch(/^hookyard_circuits_open\{state="OPEN"\} 1$/m);
    const oldest = Number(new RegExp(`^hookyard_oldest_waiting_delivery_seconds\\{tenant="${tenantId}"\\} ([0-9.]+)$`, 'm').exec(after)?.[1]);
    expect(oldest).toBeGreaterThanOrEqual(30);
    expect(oldest).toBeLessThan(300);
  });

  it('has every metric the Grafana board and the alert rules in docs/observability read', async () => {
    const board = JSON.parse(fs.readFileSync('docs/observability/grafana-dashboard.json', 'utf8'));
    const exprs = board.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr)).join('\n') + fs.readFileSync('docs/observability/alerts.yml', 'utf8');
    const named = [...new Set([...exprs.matchAll(/\bhookyard_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, '')))];
    expect(named.length).toBeGreaterThan(10);
    const exposed = await (await fetch(`${hy.baseUrl}/metrics`)).text();
    const missing = named.filter((name) => !new RegExp(`^# TYPE ${name} `, 'm').test(exposed));
    expect(missing).toEqual([]);
  });
});
