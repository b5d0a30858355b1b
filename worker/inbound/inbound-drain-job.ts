// SEQUENTIAL and SCHEDULED hooks (and an IMMEDIATE one started again after a stop): one drain of a hook at a time (the queue's stately
// policy, keyed by hook, holds across worker processes). SEQUENTIAL takes the queue one
// item after another in arrival order; SCHEDULED takes up to its batch size per run,
// then schedules the next run an interval later while items wait. Three failed runs in
// a row stop a scheduled hook, with the reason.
import type { Job, PgBoss } from 'pg-boss';
import { QUEUES, inboundDrainJob, type InboundDrainJob } from '../../core/jobs.ts';
import * as sql from '../../core/sql/inbound.ts';
import { inboundHookUpdate, notifyLiveUpdates } from '../../core/live-updates/notify.ts';
import type { HookRow } from '../../core/inbound/accept-inbound.ts';
import { processInboundBatch, processInboundRequest, type ProcessDeps } from '../../core/inbound/process-request.ts';

/** A SEQUENTIAL drain hands over to a fresh job after this many items, so one busy hook cannot hold a worker for ever. */
const SEQUENTIAL_ITEMS_PER_JOB = 500;
const IMMEDIATE_BATCH = 50;

export function createInboundDrainHandler(deps: ProcessDeps & { boss: PgBoss }) {
  async function drain(tenantId: string, hookId: string): Promise<void> {
    const hook = (await deps.pool.query<HookRow>(sql.hookForDrain(tenantId, hookId))).rows[0];
    if (!hook || hook.status !== 'ACTIVE') return;
    if (hook.processing_mode === 'SCHEDULED') return scheduledRun(hook);
    if (hook.processing_mode === 'IMMEDIATE') {
      // What waited while the hook was stopped: in batches, as its jobs would have been.
      for (let done = 0; done < SEQUENTIAL_ITEMS_PER_JOB; done += IMMEDIATE_BATCH) {
        const ids = (await deps.pool.query<{ id: string }>(sql.oldestQueued(tenantId, hookId, IMMEDIATE_BATCH))).rows.map((r) => r.id);
        if (!ids.length) return;
        await processInboundBatch(deps, tenantId, ids);
      }
      return void (await deps.boss.send(QUEUES.inboundDrain, inboundDrainJob({ id: hookId, tenantId }).data!, { singletonKey: hookId }));
    }
    for (let done = 0; done < SEQUENTIAL_ITEMS_PER_JOB; done++) {
      const next = (await deps.pool.query<{ id: string }>(sql.oldestQueued(tenantId, hookId, 1))).rows[0];
      if (!next) return;
      await processInboundRequest(deps, tenantId, next.id);
    }
    await deps.boss.send(QUEUES.inboundDrain, inboundDrainJob({ id: hookId, tenantId }).data!, { singletonKey: hookId });
  }

  async function scheduledRun(hook: HookRow): Promise<void> {
    const batch = (await deps.pool.query<{ id: string }>(sql.oldestQueued(hook.tenant_id, hook.id, hook.schedule_batch_size ?? 100))).rows;
    let failure: string | null = null;
    for (const { id } of batch) {
      const outcome = await processInboundRequest(deps, hook.tenant_id, id);
      if (outcome.kind === 'failed') failure ??= `${id}: ${outcome.message}`;
    }
    const recorded = (await deps.pool.query<{ status: string; failed_runs: number }>(sql.recordScheduledRun(hook.tenant_id, hook.id, failure))).rows[0];
    // A failed run counts up, a good one resets the count, the third failure stops the hook: the dashboard shows each.
    if (recorded && (recorded.status !== hook.status || recorded.failed_runs !== hook.failed_runs)) {
      await notifyLiveUpdates(deps.pool, [inboundHookUpdate({ id: hook.id, tenantId: hook.tenant_id })]);
    }
    if (recorded?.status !== 'ACTIVE') return;
    const waiting = (await deps.pool.query<{ id: string }>(sql.oldestQueued(hook.tenant_id, hook.id, 1))).rows.length > 0;
    if (waiting) {
      const startAfter = new Date(Date.now() + (hook.schedule_interval_seconds ?? 60) * 1000);
      await deps.boss.send(QUEUES.inboundDrain, inboundDrainJob({ id: hook.id, tenantId: hook.tenant_id }).data!, { singletonKey: hook.id, startAfter });
    }
  }

  return async (jobs: Job<InboundDrainJob>[]): Promise<void> => {
    for (const job of jobs) await drain(job.data.tenantId, job.data.hookId);
  };
}
