// A hook that answers from processing (answerMode FROM_PROCESSING, IMMEDIATE hooks only):
// once its request is logged and queued, the receiving process publishes it at once and
// answers with the result: 200 {"eventId"}, 500 with the failure text when publishing is
// refused, or 200 `Accepted` when processing takes longer than the wait. Then the item
// stays queued and its job, due when the wait ends, processes it (the idempotency key
// `inbound:<request id>` keeps it to one event if both get there).
import * as sql from '../sql/inbound.ts';
import { DEFAULT_FAILURE_RESPONSE_BODY } from './hook-settings.ts';
import { processInboundRequest, type ProcessDeps, type ProcessOutcome } from './process-request.ts';

/** What this needs of a hook row (accept-inbound.ts's HookRow, which imports this file). */
interface AnsweringHook {
  tenant_id: string;
  answer_mode: 'STATIC' | 'FROM_PROCESSING';
  processing_mode: 'IMMEDIATE' | 'SEQUENTIAL' | 'SCHEDULED';
  status: string;
  failure_response_body: string | null;
}

/** An HTTP answer (as accept-inbound.ts's Answer). */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AnswerWaitConfig {
  payloadLimitBytes: number;
  /** HOOKYARD_INBOUND_ANSWER_WAIT_MS. */
  inboundAnswerWaitMs: number;
}

/** Whether this hook's accepted requests are answered from processing. A stopped hook queues and answers `Accepted`. */
export function answersFromProcessing(hook: Pick<AnsweringHook, 'answer_mode' | 'processing_mode' | 'status'>): boolean {
  return hook.answer_mode === 'FROM_PROCESSING' && hook.processing_mode === 'IMMEDIATE' && hook.status === 'ACTIVE';
}

/** The promise's value if it settles within `ms`, else 'timeout' (the promise goes on). */
export async function withinWait<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const ACCEPTED: Answer = { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Accepted' };

/** The answer for an outcome: null is "not finished in time" (or not finished at all: its job takes over). */
export function answerForOutcome(hook: Pick<AnsweringHook, 'failure_response_body'>, outcome: ProcessOutcome | 'timeout' | null): Answer {
  if (outcome === null || outcome === 'timeout' || outcome.kind === 'gone') return ACCEPTED;
  if (outcome.kind === 'failed') return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: hook.failure_response_body ?? DEFAULT_FAILURE_RESPONSE_BODY };
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ eventId: outcome.eventId }) };
}

/** Publishes the queued request now, within the wait, and records the answer sent on its log entry. */
export async function answerFromProcessing(deps: Omit<ProcessDeps, 'payloadLimitBytes'> & { config: AnswerWaitConfig }, hook: AnsweringHook, requestId: string): Promise<Answer> {
  const processing = processInboundRequest({ ...deps, payloadLimitBytes: deps.config.payloadLimitBytes }, hook.tenant_id, requestId).catch((error) => {
    // Not the item's fault (the database, say): it stays queued for its job.
    deps.log.warn({ err: error, requestId }, 'answering from processing: publishing failed; the request stays queued');
    return null;
  });
  const answer = answerForOutcome(hook, await withinWait(processing, deps.config.inboundAnswerWaitMs));
  await deps.pool.query(sql.recordAnswer(hook.tenant_id, requestId, answer)).catch((error) => deps.log.warn({ err: error, requestId }, 'could not record the answer of an inbound request'));
  return answer;
}
