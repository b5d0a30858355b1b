// IMMEDIATE hooks: one job per request, many at once.
import type { Job } from 'pg-boss';
import type { InboundRequestJob } from '../../core/jobs.ts';
import { processInboundRequest, type ProcessDeps } from './process-request.ts';

export function createInboundRequestHandler(deps: ProcessDeps) {
  return async (jobs: Job<InboundRequestJob>[]): Promise<void> => {
    // Each job alone: one request's failure must not fail its neighbours (they would run again).
    const results = await Promise.allSettled(jobs.map((job) => processInboundRequest(deps, job.data.tenantId, job.data.requestId)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
}
