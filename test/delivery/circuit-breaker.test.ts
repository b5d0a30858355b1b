// The circuit breaker per webhook, driven through a real receiver: it opens after the
// threshold of failed attempts in a row, holds deliveries without spending their retries,
// lets exactly one probe through after the cool-down, reopens for twice as long when the
// probe fails, and closes (releasing what it held) when one succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';

const COOLDOWN_SECONDS = 2;
const CIRCUIT = `query($id: ID!) { node(id: $id) { ... on Webhook { status circuit { state threshold failures openedAt nextProbeAt } } } }`;

describe('the circuit breaker', () => {
  const hy = useTestHookyard({ HOOKYARD_CIRCUIT_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS) });
  let db: ReturnType<typeof sqlClient>;
  let r: Receiver;
  let healthy = false;

  beforeAll(async () => {
    db = sqlClient(hy.databaseUrl);
    r = await startReceiver((_req, res) => void res.writeHead(healthy ? 200 : 503).end());
  });
  afterAll(async () => {
    await db?.end();
    await r?.close();
  });

  it('opens after 3 failures in a row, holds deliveries, probes once per cool-down (doubling), and closes on a successful probe', async () => {
    const { eventType, webhookId } = await createWebhookSetup(hy.admin, r.url, { eventType: 'circuit.tested', webhook: { circuitThreshold: 3, retrySchedule: [1, 1, 1, 1, 1, 1, 1, 1] } });
    const circuit = async () => (await hy.admin(CIRCUIT, { id: webhookId })).data.node.circuit;
    expect(await circuit()).toEqual({ state: 'CLOSED', threshold: 3, failures: 0, openedAt: null, nextProbeAt: null });

    const first = await publish(hy.admin, { type: eventType, payload: { n: 1 } });
    const firstId = (await db.one<{ id: string }>('select id from delivery where event_id = $1', [first.event.id])).id;
    const opened = await eventually(async () => {
      const c = await circuit();
      return c.state === 'OPEN' ? c : null;
    }, 20_000, 'the circuit open');
    expect(opened.failures).toBe(3);
    expect(Date.parse(opened.nextProbeAt) - Date.parse(opened.openedAt)).toBe(COOLDOWN_SECONDS * 1000);
    expect(r.requests).toHaveLength(3);

    // A new delivery while open waits, and so does the first one's retry: no request, no attempt spent.
    const second = await publish(hy.admin, { type: eventType, payload: { n: 2 } });
    const secondId = (await db.one<{ id: string }>('select id from delivery where event_id = $1', [second.event.id])).id;
    await eventually(
      async () => (await db.one<{ n: number }>(`select count(*)::int as n from delivery where id = any($1) and next_attempt_at is null`, [[firstId, secondId]])).n === 2,
      20_000,
      'both deliveries held',
    );
    expect((await db.one('select attempt_count from delivery where id = $1', [firstId])).attempt_count).toBe(3);
    expect((await hy.admin(`{ node(id: "${secondId}") { ... on Delivery { heldBy } } }`)).data.node.heldBy).toBe('CIRCUIT_OPEN');
    expect((await db.one('select attempt_count from delivery where id = $1', [secondId])).attempt_count).toBe(0);

    // The cool-down ends: exactly one probe (the oldest held delivery), which fails: open again, for twice as long.
    const reopened = await eventually(async () => {
      const c = await circuit();
      return c.state === 'OPEN' && c.openedAt !== opened.openedAt ? c : null;
    }, 20_000, 'the circuit reopened after a failed probe');
    expect(r.requests).toHaveLength(4);
    expect(r.requests[3].headers['webhook-id']).toBe(firstId);
    expect(Date.parse(reopened.nextProbeAt) - Date.parse(reopened.openedAt)).toBe(2 * COOLDOWN_SECONDS * 1000);
    expect((await db.one('select attempt_count from delivery where id = $1', [secondId])).attempt_count).toBe(0);

    // The endpoint recovers: the next probe succeeds, the circuit closes and releases the other delivery.
    healthy = true;
    await eventually(async () => ((await circuit()).state === 'CLOSED' ? true : null), 20_000, 'the circuit closed');
    await eventually(
      async () => (await db.one<{ n: number }>(`select count(*)::int as n from delivery where id = any($1) and status = 'SUCCEEDED'`, [[firstId, secondId]])).n === 2,
      20_000,
      'both deliveries delivered',
    );
    expect(r.requests.slice(4).map((q) => q.headers['webhook-id'])).toEqual([firstId, secondId]);
    expect(await circuit()).toEqual({ state: 'CLOSED', threshold: 3, failures: 0, openedAt: null, nextProbeAt: null });
    const history = await db.query<{ attempt_number: number }>('select attempt_number from attempt where delivery_id = $1 order by attempt_number', [secondId]);
    expect(history.map((a) => a.attempt_number)).toEqual([1]);

    // Counted in /metrics.
    const metrics = await (await fetch(`${hy.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^hookyard_circuit_transitions_total\{to="open"\} 2$/m);
    expect(metrics).toMatch(/^hookyard_circuit_transitions_total\{to="half_open"\} 2$/m);
    expect(metrics).toMatch(/^hookyard_circuit_transitions_total\{to="closed"\} 1$/m);
  });
});
