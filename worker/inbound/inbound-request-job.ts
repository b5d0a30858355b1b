// IMMEDIATE hooks: one job per request; a loop's batch is published together, one
// publishCalls transaction per tenant (each request its own call, so one request's
// refusal does not fail its neighbours), and the outcomes recorded in one statement.
import type { Job } from 'pg-boss';
import type { InboundRequestJob } from '../../core/jobs.ts';
import { processInboundBatch, type ProcessDeps } from '../../core/inbound/process-request.ts';

export function createInboundRequestHandler(deps: ProcessDeps) {
  return async (jobs: Job<InboundRequestJob>[]): Promise<void> => {
    const byTenant = new Map<string, string[]>();
    for (const job of jobs) byTenant.set(job.data.tenantId, [...(byTenant.get(job.data.tenantId) ?? []), job.data.requestId]);
    // Tenants alone: one tenant's database failure must not fail another's (they would run again).
    const results = await Promise.allSettled([...byTenant].map(([tenantId, ids]) => processInboundBatch(deps, tenantId, ids)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
}
