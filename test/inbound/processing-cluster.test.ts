// SEQUENTIAL across worker processes, and a worker killed with SIGKILL mid-drain: every
// request is published exactly once, in arrival order, and nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, sleep, type Cluster } from '../at-least-once/cluster.ts';
import { call, createInboundHook } from './support.ts';

const REQUESTS = 300;

describe('inbound processing across worker processes', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ env: { HOOKYARD_DELIVERY_LEASE_SECONDS: '5' } });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('keeps a SEQUENTIAL hook in arrival order with two workers, one of them killed mid-run, and loses nothing', { timeout: 240_000 }, async () => {
    const hook = await createInboundHook(cluster.admin, { eventType: 'invoice.created', processingMode: 'SEQUENTIAL', noRateLimit: true });
    for (let i = 0; i < REQUESTS; i += 10) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, j) => call(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i + j }) })));
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    }
    const processed = async () => (await cluster.query<{ n: number }>(`select count(*)::int as n from inbound_request where hook_id = $1 and state = 'PROCESSED'`, [hook.id]))[0].n;
    expect(await processed()).toBe(0);

    const first = await cluster.startWorker();
    const second = await cluster.startWorker();
    const deadline = Date.now() + 30_000;
    while ((await processed()) < 40 && Date.now() < deadline) await sleep(20);
    first.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = await processed();
    expect(atKill).toBeLessThan(REQUESTS);

    const end = Date.now() + 150_000;
    while ((await processed()) < REQUESTS && Date.now() < end) await sleep(100);
    expect(await processed()).toBe(REQUESTS);
    expect(second.alive()).toBe(true);

    // One event per request, none twice, published in the order the requests arrived.
    const rows = await cluster.query<{ id: string; event_id: string; created_at: Date }>(
      `select r.id, r.event_id, e.created_at from inbound_request r join event e on e.id = r.event_id where r.hook_id = $1 order by r.received_at, r.id`,
      [hook.id],
    );
    expect(rows).toHaveLength(REQUESTS);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(REQUESTS);
    const events = await cluster.query<{ n: number }>(`select count(*)::int as n from event where source = $1`, [`/inbound/${hook.id}`]);
    expect(events[0].n).toBe(REQUESTS);
    for (let i = 1; i < rows.length; i++) expect(rows[i].created_at >= rows[i - 1].created_at, `request ${i} published before request ${i - 1}`).toBe(true);
  });
});
