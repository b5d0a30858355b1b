// A FIFO webhook gets its deliveries one at a time in publish order: a failing delivery
// holds the line until it succeeds (or exhausts its schedule), and a pause in the middle
// holds the line without reordering it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, ERROR, run } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';

const PUBLISH_MANY = `mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename ... on PublishEventsPayload { results { event { id } } } ${ERROR} } }`;

describe('FIFO ordering per webhook', () => {
  const hy = useTestHookyard();
  let db: ReturnType<typeof sqlClient>;
  let r: Receiver;
  let open = 0;
  let peak = 0;
  /** Failures still to answer, by the event's `n`. */
  const failuresLeft = new Map<number, number>([
    [0, 2],
    [3, 1],
    [6, 1],
  ]);

  beforeAll(async () => {
    db = sqlClient(hy.databaseUrl);
    // Answers after 20 ms, counting the requests open at once.
    r = await startReceiver(async (req, res) => {
      open++;
      peak = Math.max(peak, open);
      const n = JSON.parse(req.body).data.n as number;
      const left = failuresLeft.get(n) ?? 0;
      failuresLeft.set(n, left - 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      open--;
      res.writeHead(left > 0 ? 500 : 200).end();
    });
  });
  afterAll(async () => {
    await db?.end();
    await r?.close();
  });

  it('sends in publish order, one at a time, a failing delivery holding the ones behind it, across a pause', async () => {
    const { eventType, webhookId } = await createWebhookSetup(hy.admin, r.url, { webhook: { ordering: 'FIFO', retrySchedule: [1, 1, 1] } });
    const count = 10;
    const published = await mutate(hy.admin, PUBLISH_MANY, { input: { events: Array.from({ length: count }, (_, n) => ({ type: eventType, payload: { n } })) } });
    expect(published.results).toHaveLength(count);
    // Pause once the line is under way, and resume: the held line goes on where it was.
    await r.waitFor(4);
    await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await mutate(hy.admin, `mutation { resumeWebhook(input: { id: "${webhookId}" }) { __typename } }`);
    await eventually(
      async () => (await db.one<{ n: number }>(`select count(*)::int as n from delivery where webhook_id = $1 and status = 'SUCCEEDED'`, [webhookId])).n === count,
      60_000,
      'every delivery succeeded',
    );
    const sequence = r.requests.map((q) => JSON.parse(q.body).data.n as number);
    // Each delivery's attempts are contiguous, and the deliveries come in publish order.
    const runs = sequence.filter((n, i) => i === 0 || sequence[i - 1] !== n);
    expect(runs).toEqual(Array.from({ length: count }, (_, n) => n));
    // The failures were retried in place: 3 attempts for the first, 2 for the 4th and 7th.
    expect(sequence.filter((n) => n === 0)).toHaveLength(3);
    expect(sequence.filter((n) => n === 3)).toHaveLength(2);
    expect(sequence).toHaveLength(count + 4);
    // One at a time.
    expect(peak).toBe(1);
  });

  it('refuses a maxInFlight above 1 on a FIFO webhook, naming the field', async () => {
    const { webhookId } = await createWebhookSetup(hy.admin, r.url, { eventType: 'fifo.other', webhook: { ordering: 'FIFO' } });
    const result = await run(hy.admin, 'updateWebhook', { id: webhookId, maxInFlight: 5 });
    expect(result).toMatchObject({ __typename: 'ValidationError', field: 'input.maxInFlight' });
    const webhook = (await hy.admin(`{ node(id: "${webhookId}") { ... on Webhook { ordering maxInFlight } } }`)).data.node;
    expect(webhook).toEqual({ ordering: 'FIFO', maxInFlight: 1 });
  });
});
