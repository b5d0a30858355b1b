// Parking (worker/delivery/job-parking.ts) on a real pg-boss job table: a full webhook's
// backlog is parked, the fetch never hands out a parked job, each ended job unparks its
// webhook's oldest parked one, and a webhook left with parked jobs and nothing in flight
// gets them back. No worker runs here: the test plays the engine's part step by step.
import pg from 'pg';
import { PgBoss, type Job } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.ts';
import { DELIVER_GROUP_CONCURRENCY, PARKED_PRIORITY, QUEUES } from '../../core/jobs.ts';
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { parkExcessJobs, unparkIntoRoom } from '../../core/sql/job-parking.ts';
import { ensureParkingIndex, unparkFreedSlots } from '../../worker/delivery/job-parking.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';

describe('delivery job parking', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let boss: PgBoss;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    boss = new PgBoss({ connectionString: database.url, schema: BOSS_SCHEMA, supervise: false, schedule: false });
    boss.on('error', () => undefined);
    await boss.start();
    await boss.createQueue(QUEUES.deliver, {});
    await ensureParkingIndex(pool);
    // Twice, as two workers starting together would: the second finds it made.
    await Promise.all([ensureParkingIndex(pool), ensureParkingIndex(pool)]);
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await pool?.end();
    await database?.drop();
  });

  const queue = async (webhookId: string, tier: number, count: number, startAfter?: Date) => {
    const ids: string[] = [];
    // One at a time, so created_on orders them.
    for (let i = 0; i < count; i++) {
      const [id] = (await boss.insert(QUEUES.deliver, [{ data: { webhookId, i }, group: { id: webhookId, tier: String(tier) }, ...(startAfter ? { startAfter } : {}) }], { returnId: true })) ?? [''];
      ids.push(id);
    }
    return ids;
  };
  const fetch = (batchSize: number) => boss.fetch<{ webhookId: string; i: number }>(QUEUES.deliver, { batchSize, groupConcurrency: DELIVER_GROUP_CONCURRENCY, minPriority: 0 });
  const counts = async (webhookId: string) =>
    (
      await pool.query<{ parked: number; ready: number; active: number }>(
        `select count(*) filter (where state < 'active' and priority < 0)::int as parked,
                count(*) filter (where state < 'active' and priority >= 0)::int as ready,
                count(*) filter (where state = 'active')::int as active
           from ${BOSS_SCHEMA}.job where name = $1 and group_id = $2`,
        [QUEUES.deliver, webhookId],
      )
    ).rows[0];
  const complete = async (jobs: Job<{ webhookId: string }>[]) =>
    withTransaction(pool, async (client) => {
      await boss.complete(QUEUES.deliver, jobs, null, { db: bossDb(client) });
      await unparkFreedSlots(client, jobs.map((j) => j.groupId));
    });

  it("parks a full webhook's backlog beyond its room, never another's, and the fetch skips what is parked", async () => {
    const full = await queue('wh_full', 3, 10);
    const roomy = await queue('wh_roomy', 5, 2);
    const later = await queue('wh_full', 3, 2, new Date(Date.now() + 3_600_000));

    const first = await fetch(50);
    // 3 of the full webhook's (its limit; pg-boss picks among the candidates by id), both of the roomy one's.
    const fetchedFull = first.filter((j) => j.groupId === 'wh_full');
    expect(fetchedFull).toHaveLength(3);
    for (const job of fetchedFull) expect(full).toContain(job.id);
    expect(first.filter((j) => j.groupId === 'wh_roomy').map((j) => j.id).sort()).toEqual(roomy.sort());

    const parked = (await pool.query(parkExcessJobs())).rowCount;
    // 7 ready beyond a room of 0; the two due in an hour are not ready and stay as they are.
    expect(parked).toBe(7);
    expect(await counts('wh_full')).toEqual({ parked: 7, ready: 2, active: 3 });
    expect(await counts('wh_roomy')).toEqual({ parked: 0, ready: 0, active: 2 });
    const laterPriorities = (await pool.query(`select priority from ${BOSS_SCHEMA}.job where id = any($1::uuid[])`, [later])).rows.map((r) => r.priority);
    expect(laterPriorities).toEqual([0, 0]);
    // Parking again finds nothing more to park.
    expect((await pool.query(parkExcessJobs())).rowCount).toBe(0);

    // Nothing parked is handed out, even with room in the fetch.
    expect(await fetch(50)).toEqual([]);

    // Two jobs of the full webhook end: its two oldest parked jobs are unparked, and fetched.
    await complete(first.filter((j) => j.groupId === 'wh_full').slice(0, 2));
    expect(await counts('wh_full')).toEqual({ parked: 5, ready: 4, active: 1 });
    // The two oldest of those not yet sent.
    const waiting = full.filter((id) => !fetchedFull.some((j) => j.id === id));
    const next = await fetch(50);
    expect(next.map((j) => j.id).sort()).toEqual(waiting.slice(0, 2).sort());
    // The roomy webhook's ends unpark nothing of anyone's.
    await complete(first.filter((j) => j.groupId === 'wh_roomy'));
    expect(await counts('wh_full')).toEqual({ parked: 5, ready: 2, active: 3 });
  });

  it('gives a webhook whose parked jobs no ended job will free as many as its room allows', async () => {
    const ids = await queue('wh_stranded', 4, 6);
    // As if a park raced the end of every job it counted as active: all parked, nothing in flight.
    await pool.query(`update ${BOSS_SCHEMA}.job set priority = $1 where group_id = 'wh_stranded'`, [PARKED_PRIORITY]);
    expect(await fetch(50)).toEqual([]);

    expect((await pool.query(unparkIntoRoom(1000))).rowCount).toBe(4);
    expect(await counts('wh_stranded')).toEqual({ parked: 2, ready: 4, active: 0 });
    // A second pass finds no room left.
    expect((await pool.query(unparkIntoRoom(1000))).rowCount).toBe(0);
    // The oldest four.
    const fetched = await fetch(50);
    expect(fetched.map((j) => j.id).sort()).toEqual(ids.slice(0, 4).sort());
    await complete(fetched);
    const rest = await fetch(50);
    expect(rest.map((j) => j.id).sort()).toEqual(ids.slice(4).sort());
  });
});
