// The worker's own bound at its lower edge: HOOKYARD_WORKER_MAX_IN_FLIGHT=1 (and a batch
// of 1) still delivers everything, each delivery once, never two requests open at once,
// across webhooks whose own maxInFlight would allow more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

describe('a worker holding one delivery at a time', () => {
  const hy = useTestHookyard({ HOOKYARD_WORKER_MAX_IN_FLIGHT: '1', HOOKYARD_WORKER_BATCH_SIZE: '1' });
  let receiver: Receiver;
  let open = 0;
  let mostOpen = 0;
  beforeAll(async () => {
    // Each answer takes 30 ms, so two requests in flight together would overlap here.
    receiver = await startReceiver((_req, res) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      setTimeout(() => {
        open--;
        res.writeHead(200).end();
      }, 30);
    });
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('sends every delivery once, one request at a time', async () => {
    const hooks = [await createWebhookSetup(hy.admin, `${receiver.url}/a`, { eventType: 'edge.a' }), await createWebhookSetup(hy.admin, `${receiver.url}/b`, { eventType: 'edge.b' })];
    const published: string[] = [];
    for (let i = 0; i < 6; i++) published.push((await publish(hy.admin, { type: hooks[i % 2].eventType, payload: { n: i } })).event.id);
    await receiver.waitFor(6);
    const ids = receiver.requests.map((r) => String(r.headers['webhook-id']));
    expect(new Set(ids).size).toBe(6);
    expect(ids).toHaveLength(6);
    expect(mostOpen).toBe(1);
  });
});
