// Group commit for publishing: calls of one tenant that arrive while its transactions are
// busy wait and then share the next transaction, instead of each paying for its own
// begin, reads, job insert, commit (a WAL flush) and NOTIFY. Alone, a call starts at once.
// Each call keeps its own outcome: its events commit together or not at all, and one
// call's bad input is that call's error only.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { HookyardError } from '../errors.ts';
import type { Logger } from '../../infra/logger.ts';
import { inSpan, traceIdOf } from '../../infra/trace.ts';
import { checkCall, MAX_EVENTS_PER_CALL, publishCalls, type Published, type PublishCall, type PublishRequest } from './publish-events.ts';

/** Transactions one tenant may have open at once in this process; more calls wait and share. */
const TRANSACTIONS_PER_TENANT = 2;

export interface Publisher {
  /** Publishes one caller's events atomically; rejects with a typed error for bad input. */
  publish(tenantId: string, requests: PublishRequest[], fieldOf: (index: number) => string): Promise<Published[]>;
}

interface Waiting extends PublishCall {
  resolve(published: Published[]): void;
  reject(error: unknown): void;
}

export function createPublisher(deps: { pool: pg.Pool; boss: PgBoss; log: Logger; payloadLimitBytes: number }): Publisher {
  const waiting = new Map<string, Waiting[]>();
  const running = new Map<string, number>();

  /** The next calls to publish together: as many as wait, up to one call's worth of events. */
  function nextBatch(queue: Waiting[]): Waiting[] {
    const batch = [queue.shift()!];
    let events = batch[0].checked.length;
    while (queue.length && events + queue[0].checked.length <= MAX_EVENTS_PER_CALL) {
      events += queue[0].checked.length;
      batch.push(queue.shift()!);
    }
    return batch;
  }

  async function settle(tenantId: string, batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await publishCalls(deps, tenantId, batch);
      batch.forEach((call, n) => {
        const outcome = outcomes[n];
        if (outcome instanceof HookyardError) call.reject(outcome);
        else call.resolve(outcome);
      });
    } catch (error) {
      // A typed error (deliveries switched off) is every call's answer. Anything else may
      // come from one call's data: give each call its own transaction to find out.
      if (batch.length === 1 || error instanceof HookyardError) batch.forEach((call) => call.reject(error));
      else for (const call of batch) await settle(tenantId, [call]);
    }
  }

  async function drain(tenantId: string): Promise<void> {
    running.set(tenantId, (running.get(tenantId) ?? 0) + 1);
    try {
      for (let queue = waiting.get(tenantId); queue?.length; queue = waiting.get(tenantId)) {
        await settle(tenantId, nextBatch(queue));
      }
    } finally {
      const left = running.get(tenantId)! - 1;
      if (left) running.set(tenantId, left);
      else {
        running.delete(tenantId);
        waiting.delete(tenantId);
      }
    }
  }

  return {
    publish(tenantId, requests, fieldOf) {
      // The span the deliveries' attempts hang under, wherever and whenever they run.
      return inSpan('hookyard publish', { attributes: { 'hookyard.tenant.id': tenantId, 'hookyard.event.count': requests.length } }, async (span) => {
        const call = checkCall(requests, fieldOf, deps.payloadLimitBytes);
        const published = await new Promise<Published[]>((resolve, reject) => {
          const queue = waiting.get(tenantId) ?? [];
          waiting.set(tenantId, queue);
          queue.push({ ...call, resolve, reject });
          if ((running.get(tenantId) ?? 0) < TRANSACTIONS_PER_TENANT) void drain(tenantId);
        });
        span?.setAttributes(publishedAttributes(published));
        if (deps.log.isLevelEnabled('debug')) {
          for (const p of published) deps.log.debug({ tenantId, eventId: p.eventId, duplicate: p.duplicate, deliveryCount: p.deliveryCount, trace_id: traceIdOf(call.traceParent) ?? undefined }, 'event published');
        }
        return published;
      });
    },
  };
}

/** Span attributes of a publish: its events' ids (one attribute for one event, a list for more). */
function publishedAttributes(published: Published[]): Record<string, string | string[] | number> {
  const ids = published.map((p) => p.eventId);
  return {
    ...(ids.length === 1 ? { 'hookyard.event.id': ids[0] } : { 'hookyard.event.ids': ids }),
    'hookyard.delivery.count': published.reduce((sum, p) => sum + p.deliveryCount, 0),
  };
}
