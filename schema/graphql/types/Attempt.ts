import { builder } from '../builder.ts';
import { Attempt, ATTEMPT_ERROR_KINDS, ATTEMPT_TRIGGERS } from '../../entities/Attempt.ts';
import { Delivery } from '../../entities/Delivery.ts';
import { Event } from '../../entities/Event.ts';
import { cloudEventBody, cloudEventData } from '../../../core/delivery/cloud-event.ts';
import { loadById } from '../batch-load.ts';
import type { Context } from '../context.ts';

/** Attempts pushed live to a subscription that did not ask for bodies: their bodies read as null. */
const pushedWithoutBodies = new WeakSet<Attempt>();
export function withoutBodies(attempt: Attempt): Attempt {
  pushedWithoutBodies.add(attempt);
  return attempt;
}

/**
 * The body an attempt sent. Attempts store none when they sent their event as stored (one
 * copy per event, not one per attempt): it is built again from the event, byte for byte
 * as sent: its data alone in binary mode (the attempt's headers carry ce-id), else its
 * envelope (whose key order is fixed).
 */
async function requestBody(attempt: Attempt, ctx: Context): Promise<string> {
  if (attempt.requestBody != null) return attempt.requestBody;
  const delivery = await loadById(ctx, Delivery, attempt.deliveryId, 'delivery');
  const event = await loadById(ctx, Event, delivery.eventId, 'event');
  if (attempt.requestHeaders?.['ce-id']) return cloudEventData(event.payload);
  return cloudEventBody({ id: event.id, source: event.source, type: event.type, occurredAt: event.occurredAt, payload: event.payload });
}

export const BodyEncodingEnum = builder.enumType('BodyEncoding', {
  description: 'How a body is written in the API.',
  values: {
    UTF8: { value: 'utf8', description: 'As text.' },
    BASE64: { value: 'base64', description: 'As base64 of its bytes: it held a NUL byte or was not UTF-8 (binary, compressed).' },
  } as const,
});

export const AttemptTriggerEnum = builder.enumType('AttemptTrigger', { values: ATTEMPT_TRIGGERS });
export const AttemptErrorKindEnum = builder.enumType('AttemptErrorKind', {
  values: Object.fromEntries(ATTEMPT_ERROR_KINDS.map((kind) => [kind.toUpperCase(), { value: kind }])) as Record<
    Uppercase<(typeof ATTEMPT_ERROR_KINDS)[number]>,
    { value: (typeof ATTEMPT_ERROR_KINDS)[number] }
  >,
});

const AttemptRequestRef = builder.objectRef<Attempt>('AttemptRequest').implement({
  description: 'The request as Hookyard sent it.',
  fields: (t) => ({
    url: t.string({ resolve: (a) => a.requestUrl }),
    method: t.string({ resolve: (a) => a.requestMethod }),
    headers: t.field({ type: 'JSON', resolve: (a) => a.requestHeaders }),
    body: t.string({
      nullable: true,
      description: 'Null only in an attemptRecorded push that did not ask for bodies (withBodies).',
      resolve: (a, _args, ctx) => (pushedWithoutBodies.has(a) ? null : requestBody(a, ctx)),
    }),
  }),
});

const AttemptResponseRef = builder.objectRef<Attempt>('AttemptResponse').implement({
  description: 'The response as received; the body is kept up to 64 KiB.',
  fields: (t) => ({
    status: t.int({ resolve: (a) => a.responseStatus! }),
    headers: t.field({ type: 'JSON', resolve: (a) => a.responseHeaders ?? {} }),
    body: t.string({ nullable: true, description: 'The body as text, or as base64 when bodyEncoding is BASE64. Null when there was none, or in an attemptRecorded push that did not ask for bodies (withBodies).', resolve: (a) => a.responseBody ?? null }),
    bodyEncoding: t.field({ type: BodyEncodingEnum, resolve: (a) => a.responseBodyEncoding ?? 'utf8' }),
    truncated: t.boolean({ description: 'True when the body was longer than 64 KiB and cut.', resolve: (a) => a.responseTruncated }),
  }),
});

export const AttemptRef = builder.node(Attempt, {
  name: 'Attempt',
  description: 'One HTTP try of a delivery.',
  id: { resolve: (a) => a.id },
  loadOne: (id, ctx) => ctx.em.findOne(Attempt, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    deliveryId: t.exposeID('deliveryId'),
    webhookId: t.exposeID('webhookId'),
    attemptNumber: t.exposeInt('attemptNumber'),
    trigger: t.field({ type: AttemptTriggerEnum, resolve: (a) => a.trigger }),
    succeeded: t.exposeBoolean('succeeded'),
    request: t.field({ type: AttemptRequestRef, resolve: (a) => a }),
    response: t.field({ type: AttemptResponseRef, nullable: true, description: 'Null when no HTTP response came (see errorKind).', resolve: (a) => (a.responseStatus == null ? null : a) }),
    errorKind: t.field({ type: AttemptErrorKindEnum, nullable: true, resolve: (a) => a.errorKind ?? null }),
    errorMessage: t.exposeString('errorMessage', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
  }),
});
