// SQL of delivery-job parking (worker/delivery/job-parking.ts says why and when).
// A parked job is an ordinary queued pg-boss job with priority PARKED_PRIORITY: the
// delivery fetch asks for priority >= 0 only, so its index scan never walks parked rows.
// Each update takes its ids as an array (`= any(array(...))`), as pg-boss's fetch does: as a
// join, the planner may run the choosing subquery once per job row, choosing again each time.
import { BOSS_SCHEMA } from '../../infra/queue.ts';
import { DELIVER_GROUP_CONCURRENCY, PARKED_PRIORITY, QUEUES } from '../jobs.ts';

const JOB = `${BOSS_SCHEMA}.job`;
const DELIVER = `'${QUEUES.deliver}'`;
/** A job's group limit: its tier (the webhook's maxInFlight when the job was made). */
const TIER = `coalesce(nullif(j.group_tier, '')::int, ${DELIVER_GROUP_CONCURRENCY.default})`;

/** Workers starting together take turns creating the index (two concurrent `create index if not exists` can both try). */
export const PARKED_JOBS_INDEX_LOCK_SQL = `select pg_advisory_xact_lock(hashtext('hookyard_deliver_parked_index'))`;

/** Whether the index below exists: a lookup in the catalogue, which locks no table. */
export const PARKED_JOBS_INDEX_EXISTS_SQL = `select to_regclass('${BOSS_SCHEMA}.hookyard_deliver_parked_index') is not null as exists`;

/** Finds a webhook's parked jobs, oldest first (unparking), and lists the webhooks with any (the sweeper). */
export const PARKED_JOBS_INDEX_SQL = `create index if not exists hookyard_deliver_parked_index on ${JOB} (group_id, created_on)
  where name = ${DELIVER} and state < 'active' and priority < 0`;

/**
 * Parks each webhook's ready jobs beyond the room it has (its limit less its active
 * jobs), newest first; returns how many were parked. Jobs due later are left alone: they
 * cost the fetch no heap read (start_after is in pg-boss's fetch index).
 */
export function parkExcessJobs() {
  return {
    text: `with active as materialized (
             select group_id, count(*)::int as n from ${JOB}
              where name = ${DELIVER} and state = 'active' and group_id is not null
              group by group_id
           ), ready as materialized (
             select j.id, j.group_id, ${TIER} as tier, row_number() over (partition by j.group_id order by j.created_on) as rn
               from ${JOB} j
              where j.name = ${DELIVER} and j.state < 'active' and not j.blocked and j.priority >= 0
                and j.start_after <= ${BOSS_SCHEMA}.job_now() and j.group_id is not null
           ), excess as (
             select ready.id from ready left join active using (group_id)
              where ready.rn > greatest(ready.tier - coalesce(active.n, 0), 0)
           )
           update ${JOB} j set priority = ${PARKED_PRIORITY}
            where j.id = any(array(select id from excess)) and j.name = ${DELIVER} and j.state < 'active' and j.priority >= 0`,
    values: [],
  };
}

/** Unparks the oldest parked jobs of each webhook, `count` of them (slots its ended jobs freed). */
export function unparkJobs(freed: { webhookId: string; count: number }[]) {
  return {
    text: `update ${JOB} j set priority = 0
            where j.id = any(array(
                    select p.id from unnest($1::text[], $2::int[]) as f(group_id, n)
                    cross join lateral (
                      select id from ${JOB}
                       where name = ${DELIVER} and group_id = f.group_id and state < 'active' and priority < 0
                       order by created_on limit f.n
                       for update skip locked) p))
              and j.name = ${DELIVER} and j.state < 'active' and j.priority < 0`,
    values: [freed.map((f) => f.webhookId), freed.map((f) => f.count)],
  };
}

/**
 * Unparks, for every webhook with parked jobs, as many as its room allows (its limit less
 * its active and unparked queued jobs): the repair for a webhook whose parked jobs no
 * ended job will free (a park that raced the end of jobs it counted as active).
 */
export function unparkIntoRoom(limit: number) {
  return {
    text: `with parked as materialized (
             select j.group_id, min(${TIER}) as tier from ${JOB} j
              where j.name = ${DELIVER} and j.state < 'active' and j.priority < 0
              group by j.group_id
              limit $1
           ), active as materialized (
             select group_id, count(*)::int as n from ${JOB}
              where name = ${DELIVER} and state = 'active' and group_id = any(array(select group_id from parked))
              group by group_id
           ), unparked as materialized (
             select group_id, count(*)::int as n from ${JOB}
              where name = ${DELIVER} and state < 'active' and priority >= 0 and group_id = any(array(select group_id from parked))
              group by group_id
           ), room as (
             select p.group_id, p.tier - coalesce(a.n, 0) - coalesce(u.n, 0) as n
               from parked p left join active a using (group_id) left join unparked u using (group_id)
           )
           update ${JOB} j set priority = 0
            where j.id = any(array(
                    select c.id from room cross join lateral (
                      select id from ${JOB}
                       where name = ${DELIVER} and group_id = room.group_id and state < 'active' and priority < 0
                       order by created_on limit greatest(room.n, 0)
                       for update skip locked) c
                     where room.n > 0))
              and j.name = ${DELIVER} and j.state < 'active' and j.priority < 0`,
    values: [limit],
  };
}
