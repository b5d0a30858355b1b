// Hookyard's own events: a webhook subscribed to hookyard.* hears, through the same engine
// (signed, logged), that another webhook's delivery was exhausted, that its circuit opened
// and closed, and that it was disabled; a catch-all webhook (*) hears none of it, and a
// failing operational webhook never produces events about itself (the loop guard).
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish, registerEventType, run } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';

describe("Hookyard's own events", () => {
  const hy = useTestHookyard({ HOOKYARD_CIRCUIT_COOLDOWN_SECONDS: '1' });
  let db: ReturnType<typeof sqlClient>;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  beforeAll(() => {
    db = sqlClient(hy.databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    for (const r of receivers) await r.close();
  });
  const typesHeard = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body).type as string);

  it('lists the built-in types, refuses registering hookyard.* names, and lets a webhook subscribe without registering', async () => {
    const listed = (await hy.admin('{ operationalEventTypes { name description } }')).data.operationalEventTypes;
    expect(listed.map((t: { name: string }) => t.name)).toEqual(['hookyard.webhook.disabled', 'hookyard.webhook.circuit_opened', 'hookyard.webhook.circuit_closed', 'hookyard.delivery.exhausted', 'hookyard.inbound_hook.expired', 'hookyard.bulk_retry.finished']);
    expect(await run(hy.admin, 'registerEventType', { name: 'hookyard.webhook.disabled' })).toMatchObject({ __typename: 'ValidationError', field: 'input.name' });
  });

  it('publishes exhausted, circuit opened and closed, and disabled to subscribers, signed and logged, and never about the operational webhook itself', async () => {
    await registerEventType(hy.admin, 'order.placed');
    // The operator's webhook hears everything Hookyard says; it fails at first, so its own deliveries are exhausted too.
    let operatorHealthy = false;
    const operator = await receiver((_req, res) => void res.writeHead(operatorHealthy ? 200 : 500).end());
    const ops = await createWebhookSetup(hy.admin, operator.url, { eventType: 'order.placed', webhook: { eventTypes: ['hookyard.*'], retrySchedule: [], circuitThreshold: 1000 } });
    const catchAll = await receiver();
    await createWebhookSetup(hy.admin, catchAll.url, { eventType: 'order.placed', webhook: { eventTypes: ['*'] } });
    // A business webhook whose endpoint fails twice (opening its circuit at 2), recovers, then answers 410 Gone.
    let answer = 500;
    const business = await receiver((_req, res) => void res.writeHead(answer).end());
    const shop = await createWebhookSetup(hy.admin, business.url, { eventType: 'order.placed', webhook: { eventTypes: ['order.placed'], retrySchedule: [], circuitThreshold: 2 } });

    await publish(hy.admin, { type: 'order.placed', payload: { n: 1 } });
    await publish(hy.admin, { type: 'order.placed', payload: { n: 2 } });
    // Two exhausted deliveries and the circuit opening, told to the operator webhook (which fails: nothing more comes of that).
    await eventually(async () => {
      const heard = typesHeard(operator);
      return heard.filter((t) => t === 'hookyard.delivery.exhausted').length === 2 && heard.includes('hookyard.webhook.circuit_opened') ? true : null;
    }, 20_000, 'exhausted twice and circuit opened');
    // The endpoint recovers: the probe after the 1 s cool-down succeeds and the circuit closes.
    answer = 200;
    operatorHealthy = true;
    await publish(hy.admin, { type: 'order.placed', payload: { n: 3 } });
    await eventually(async () => (typesHeard(operator).includes('hookyard.webhook.circuit_closed') ? true : null), 20_000, 'circuit closed told');
    // Then it is gone: 410 disables the webhook.
    answer = 410;
    await publish(hy.admin, { type: 'order.placed', payload: { n: 4 } });
    await eventually(async () => (typesHeard(operator).includes('hookyard.webhook.disabled') ? true : null), 20_000, 'disabled told');

    const exhausted = operator.requests.map((q) => JSON.parse(q.body)).filter((e) => e.type === 'hookyard.delivery.exhausted');
    expect(exhausted[0].data).toMatchObject({ webhookId: shop.webhookId, eventType: 'order.placed', attempts: 1, lastResponseStatus: 500 });
    const disabled = operator.requests.map((q) => JSON.parse(q.body)).find((e) => e.type === 'hookyard.webhook.disabled');
    expect(disabled.data).toEqual({ webhookId: shop.webhookId, reason: 'the endpoint answered 410 Gone' });
    // Signed like any delivery, with the operator webhook's secret.
    const first = operator.requests[0];
    expect(() => new StandardWebhook(ops.secret).verify(first.body, first.headers as Record<string, string>)).not.toThrow();
    // The catch-all webhook heard none of it: operational events need hookyard.* or their names.
    expect(typesHeard(catchAll).every((t) => t === 'order.placed')).toBe(true);
    // Loop guard: the operator webhook's own failed (exhausted) deliveries made no event, and no event is about it.
    const aboutOps = await db.query(`select e.type from event e where e.type like 'hookyard.%' and e.payload->>'webhookId' = $1`, [ops.webhookId]);
    expect(aboutOps).toEqual([]);
    const all = await db.query<{ type: string; n: number }>(`select type, count(*)::int as n from event where type like 'hookyard.%' group by type order by type`);
    expect(all).toEqual([
      { type: 'hookyard.delivery.exhausted', n: 3 },
      { type: 'hookyard.webhook.circuit_closed', n: 1 },
      { type: 'hookyard.webhook.circuit_opened', n: 1 },
      { type: 'hookyard.webhook.disabled', n: 1 },
    ]);
  });
});
