// One odd answer stays that delivery's: a receiver that answers with a NUL byte, invalid
// UTF-8 or a gzip body gets its attempt recorded (the body as base64 of its bytes), and
// the deliveries recorded beside it in the same batch are sent exactly once. Before,
// PostgreSQL refused the NUL, the whole batch's record failed and pg-boss sent every
// delivery of the batch again, up to 50 times.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../core/jobs.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { useTestHookyard } from '../support/hookyard.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { sqlClient } from '../support/sql.ts';

const ANSWERS: Record<string, Buffer> = {
  '/nul': Buffer.from('{"ok":true}\u0000trailing'),
  '/invalid-utf8': Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0xfd]),
  '/gzip': gzipSync('{"ok":true}'),
  '/text': Buffer.from('{"ok":true}'),
};

describe('response bodies a text column cannot hold', () => {
  const hy = useTestHookyard();
  let receiver: Receiver;
  let db: ReturnType<typeof sqlClient>;
  const webhooks = new Map<string, string>();

  beforeAll(async () => {
    receiver = await startReceiver((request, res) => void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(ANSWERS[request.url.replace(/^\/hook/, '')] ?? 'ok'));
    db = sqlClient(hy.databaseUrl);
    // One event type, four webhooks: one publish makes four deliveries that a loop records together.
    for (const path of Object.keys(ANSWERS)) {
      const { webhookId } = await createWebhookSetup(hy.admin, receiver.url + path, { webhook: { retrySchedule: [] } });
      webhooks.set(path, webhookId);
    }
  });
  afterAll(async () => {
    await db?.end();
    await receiver?.close();
  });

  it('records each attempt, keeps the bytes as base64, and sends every delivery once', async () => {
    const published = await publish(hy.admin, { type: 'invoice.created', payload: { n: 1 } });
    expect(published.deliveryCount).toBe(4);
    await eventually(
      async () => (await db.one<{ n: number }>(`select count(*)::int as n from delivery where event_id = $1 and status = 'SUCCEEDED'`, [published.event.id])).n === 4,
      20_000,
      'all four deliveries SUCCEEDED',
    );
    // Every deliver job has finished: nothing is left that could send one again.
    await eventually(
      async () => (await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state < 'completed'`, [QUEUES.deliver])).n === 0,
      20_000,
      'every deliver job completed',
    );
    for (const path of Object.keys(ANSWERS)) expect(receiver.requests.filter((r) => r.url === `/hook${path}`), path).toHaveLength(1);

    for (const [path, bytes] of Object.entries(ANSWERS)) {
      const result = await hy.admin(
        `{ deliveries(first: 1, filter: { webhookId: "${webhooks.get(path)}" }) { edges { node { attemptCount attempts { response { body bodyEncoding truncated } } } } } }`,
      );
      const node = result.data.deliveries.edges[0].node;
      expect(node.attemptCount, path).toBe(1);
      const response = node.attempts[0].response;
      if (path === '/text') {
        expect(response).toEqual({ body: '{"ok":true}', bodyEncoding: 'UTF8', truncated: false });
      } else {
        expect(response.bodyEncoding, path).toBe('BASE64');
        expect(Buffer.from(response.body, 'base64'), path).toEqual(bytes);
      }
    }
  });
});
