// One endpoint's trouble stays that endpoint's: a hanging receiver holds neither another
// webhook's deliveries nor their records, a webhook never has more than its maxInFlight
// requests open, and every fault of one delivery is that delivery's failed attempt while
// its neighbours in the same fetch are sent exactly once. Orders of events are asserted,
// never times.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhookSetup, publish } from '../support/fixtures.ts';
import { mutate } from '../support/graphql.ts';
import { sqlClient } from '../support/sql.ts';
import { encryptSecret } from '../../core/rules/secret.ts';
import { parseSecretKey } from '../../infra/secret-key.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { QUEUES } from '../../core/jobs.ts';

const SECRET_KEY = '22'.repeat(32);
const PUBLISH_MANY = `mutation($input: PublishEventsInput!) { publishEvents(input: $input) { __typename ... on PublishEventsPayload { results { deliveryCount } } ... on Error { message } } }`;

describe('isolation between endpoints', () => {
  const hy = useTestHookyard({ HOOKYARD_SECRET_KEY: SECRET_KEY });
  let db: ReturnType<typeof sqlClient>;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  let n = 0;
  const setup = async (url: string, webhook: Record<string, unknown> = {}, eventType = `iso${++n}.happened`) => createWebhookSetup(hy.admin, url, { eventType, webhook });
  const publishMany = async (type: string, count: number) => {
    const result = await mutate(hy.admin, PUBLISH_MANY, { input: { events: Array.from({ length: count }, (_, i) => ({ type, payload: { i } })) } });
    expect(result.__typename).toBe('PublishEventsPayload');
  };
  const openJobs = async () => (await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state < 'completed'`, [QUEUES.deliver])).n;

  beforeAll(() => {
    db = sqlClient(hy.databaseUrl);
  });
  afterAll(async () => {
    await db?.end();
    for (const r of receivers) await r.close();
  });

  it("delivers and records a healthy webhook's deliveries while a hanging one's first attempts are still open, and keeps the hanging one to its maxInFlight", async () => {
    // S never answers (its attempts end at its 5 s timeout); it counts the requests open at once.
    let open = 0;
    let peak = 0;
    const slow = await receiver((_req, res) => {
      open++;
      peak = Math.max(peak, open);
      res.on('close', () => open--);
    });
    const fast = await receiver();
    const s = await setup(slow.url, { timeoutSeconds: 5, retrySchedule: [], maxInFlight: 3 });
    const h = await setup(fast.url);
    await publishMany(s.eventType, 100);
    await slow.waitFor(3);
    await publishMany(h.eventType, 50);

    // Every H delivery is delivered and recorded ...
    await eventually(
      async () => (await db.one<{ n: number }>(`select count(*)::int as n from delivery where webhook_id = $1 and status = 'SUCCEEDED'`, [h.webhookId])).n === 50,
      20_000,
      'every delivery of the healthy webhook SUCCEEDED',
    );
    // ... while none of S's attempts has ended yet: no H record waited for an S response.
    expect((await db.one<{ n: number }>(`select count(*)::int as n from attempt where webhook_id = $1`, [s.webhookId])).n).toBe(0);
    expect(fast.requests).toHaveLength(50);
    // S had exactly its maxInFlight requests open; the other 97 wait in PostgreSQL.
    expect(slow.requests).toHaveLength(3);
    expect(peak).toBe(3);
    const queued = await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state = 'created' and group_id = $2`, [QUEUES.deliver, s.webhookId]);
    expect(queued.n).toBe(97);
    // ... parked, out of the fetch's way (worker/delivery/job-parking.ts).
    await eventually(
      async () => (await db.one<{ n: number }>(`select count(*)::int as n from ${BOSS_SCHEMA}.job where name = $1 and state = 'created' and group_id = $2 and priority < 0`, [QUEUES.deliver, s.webhookId])).n === 97,
      10_000,
      "S's waiting jobs parked",
    );

    // When S's first attempts time out, the next three go, never more at once.
    await eventually(async () => (await db.one<{ n: number }>(`select count(*)::int as n from attempt where webhook_id = $1`, [s.webhookId])).n >= 3, 20_000, "S's first attempts recorded");
    await slow.waitFor(6);
    expect(peak).toBe(3);
    // The rest of S is not this test's business: pause it so the instance stops quickly.
    await mutate(hy.admin, `mutation { pauseWebhook(input: { id: "${s.webhookId}" }) { __typename } }`);
  });

  it("records each delivery's own fault as its failed attempt, while healthy deliveries fetched beside them are sent exactly once", async () => {
    const type = 'fault.check';
    const healthy = await receiver();
    const nul = await receiver((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(Buffer.from('ok\u0000tail')));
    const gzip = await receiver((_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip' }).end(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x9c])));
    // Response headers far past undici's 16 KiB limit.
    const overflow = http.createServer((_req, res) => {
      res.setHeader('x-huge', 'h'.repeat(70_000));
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => overflow.listen(0, '127.0.0.1', resolve));
    const overflowUrl = `http://127.0.0.1:${(overflow.address() as { port: number }).port}/hook`;
    const unreachableSecret = await receiver();
    const unsignable = await receiver();
    try {
      const options = { retrySchedule: [] };
      const hooks = {
        healthy: await setup(healthy.url, options, type),
        nul: await setup(nul.url, options, type),
        gzip: await setup(gzip.url, options, type),
        overflow: await setup(overflowUrl, options, type),
        secret: await setup(unreachableSecret.url, options, type),
        signing: await setup(unsignable.url, options, type),
      };
      // A secret stored under another HOOKYARD_SECRET_KEY, and one that cannot sign (a whsec_ with no key).
      await db.query('update webhook set secret_encrypted = $2 where id = $1', [hooks.secret.webhookId, encryptSecret('whsec_' + 'A'.repeat(32), parseSecretKey('33'.repeat(32)))]);
      await db.query('update webhook set secret_encrypted = $2 where id = $1', [hooks.signing.webhookId, encryptSecret('whsec_', parseSecretKey(SECRET_KEY))]);

      await publishMany(type, 5);
      const ids = Object.values(hooks).map((h) => h.webhookId);
      await eventually(
        async () => (await db.one<{ n: number }>(`select count(*)::int as n from delivery where webhook_id = any($1) and status in ('SUCCEEDED', 'FAILED')`, [ids])).n === 30,
        30_000,
        'all 30 deliveries final',
      );
      await eventually(async () => (await openJobs()) === 0, 10_000, 'every deliver job completed');

      const kinds = async (webhookId: string) =>
        db.query<{ succeeded: boolean; error_kind: string | null; response_body_encoding: string; error_message: string | null }>(
          'select succeeded, error_kind, response_body_encoding, error_message from attempt where webhook_id = $1',
          [webhookId],
        );
      // Healthy: each delivery sent once, with its own webhook-id.
      expect(healthy.requests).toHaveLength(5);
      expect(new Set(healthy.requests.map((r) => r.headers['webhook-id'])).size).toBe(5);
      expect((await kinds(hooks.healthy.webhookId)).every((a) => a.succeeded && a.error_kind === null)).toBe(true);
      // A NUL byte and a gzip body are stored as base64, and are successes.
      for (const hook of [hooks.nul, hooks.gzip]) {
        const attempts = await kinds(hook.webhookId);
        expect(attempts).toHaveLength(5);
        expect(attempts.every((a) => a.succeeded && a.response_body_encoding === 'base64')).toBe(true);
      }
      expect(nul.requests).toHaveLength(5);
      // Overflowing headers, an undecryptable secret and a signing error: a failed attempt each, with its kind.
      for (const [hook, kind] of [[hooks.overflow, 'headers_overflow'], [hooks.secret, 'secret'], [hooks.signing, 'signing']] as const) {
        const attempts = await kinds(hook.webhookId);
        expect(attempts, kind).toHaveLength(5);
        expect(attempts.every((a) => !a.succeeded && a.error_kind === kind), kind).toBe(true);
      }
      expect((await kinds(hooks.secret.webhookId))[0].error_message).toMatch(/HOOKYARD_SECRET_KEY/);
      // Nothing was sent without a valid signature.
      expect(unreachableSecret.requests).toHaveLength(0);
      expect(unsignable.requests).toHaveLength(0);
      // The API shows the NUL body's bytes as base64.
      const shown = await hy.admin(`{ attempts(first: 1, filter: { webhookId: "${hooks.nul.webhookId}" }) { edges { node { response { body bodyEncoding } } } } }`);
      const response = shown.data.attempts.edges[0].node.response;
      expect(response.bodyEncoding).toBe('BASE64');
      expect(Buffer.from(response.body, 'base64').toString('latin1')).toBe('ok\u0000tail');
    } finally {
      overflow.closeAllConnections();
      await new Promise<void>((resolve) => overflow.close(() => resolve()));
    }
  });
});
