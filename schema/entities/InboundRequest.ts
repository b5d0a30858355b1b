import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './Tenant.ts';
import { InboundHook } from './InboundHook.ts';

/**
 * QUEUED waits for processing; PROCESSED published its event; FAILED could not be
 * published (the error says why); REFUSED was answered 4xx and never queued.
 */
export const INBOUND_REQUEST_STATES = ['QUEUED', 'PROCESSED', 'FAILED', 'REFUSED'] as const;
export type InboundRequestState = (typeof INBOUND_REQUEST_STATES)[number];

/** The log's level: SUCCESS, WARNING (accepted, but the item does not fit the structure, or its event reached no webhook), ERROR. */
export const INBOUND_REQUEST_STATUSES = ['SUCCESS', 'WARNING', 'ERROR'] as const;
export type InboundRequestStatus = (typeof INBOUND_REQUEST_STATUSES)[number];

/** HTTP: a call of /in/<token>. MAIL: a mail to the hook's address (method MAIL, url mailto:, headers the mail's, body the message). */
export const INBOUND_REQUEST_KINDS = ['HTTP', 'MAIL'] as const;

/** One call an inbound hook received: its log entry and, while QUEUED, its queue item. */
export const InboundRequestSchema = defineEntity({
  name: 'InboundRequest',
  tableName: 'inbound_request',
  properties: {
    id: p.text().primary(),
    tenantId: () => p.manyToOne(Tenant).mapToPk().fieldName('tenant_id'),
    hookId: () => p.manyToOne(InboundHook).mapToPk().fieldName('hook_id').deleteRule('cascade'),
    kind: p.enum(INBOUND_REQUEST_KINDS).default('HTTP'),
    receivedAt: p.datetime(),
    method: p.text(),
    url: p.text(),
    remoteAddress: p.text().nullable(),
    headers: p.json<Record<string, string | string[]>>(),
    query: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    // The raw body as received (mail: the whole message), null when it was not read (refused before).
    body: p.blob().nullable(),
    bodySize: p.integer(),
    parsed: p.json<unknown>().nullable(),
    state: p.enum(INBOUND_REQUEST_STATES),
    status: p.enum(INBOUND_REQUEST_STATUSES),
    // Why it was refused, failed, or warned.
    message: p.text().nullable(),
    responseStatus: p.integer(),
    responseHeaders: p.json<Record<string, string>>().defaultRaw(`'{}'`),
    responseBody: p.text().default(''),
    eventId: p.text().nullable(),
    // Received by (or queued while) its hook's data was confidential: processing deletes body, query, headers and parsed item.
    confidential: p.boolean().default(false),
    processedAt: p.datetime().nullable(),
    // The W3C traceparent of its HTTP request's span, while tracing is on: the event it
    // publishes, processed later by a worker, joins the caller's trace.
    traceParent: p.text().nullable(),
    // While QUEUED: which of its hook's queue_limit slots it holds (the limit, exact under concurrency).
    queueSlot: p.integer().nullable(),
  },
  indexes: [
    { properties: ['tenantId', 'receivedAt', 'id'] },
    { properties: ['tenantId', 'hookId', 'receivedAt', 'id'] },
    // The queue: a hook's waiting items in arrival order.
    { name: 'inbound_request_queue_index', expression: `create index "inbound_request_queue_index" on "inbound_request" ("hook_id", "received_at", "id") where "state" = 'QUEUED'` },
  ],
  uniques: [
    // No two queued items of a hook hold the same slot (core/inbound/queue-slot.ts).
    { name: 'inbound_request_queue_slot_unique', expression: `create unique index "inbound_request_queue_slot_unique" on "inbound_request" ("tenant_id", "hook_id", "queue_slot") where "state" = 'QUEUED'` },
  ],
  // A queued item that leaves the queue hands its slot to an item waiting past a lowered
  // queue limit (the function inbound_queue_slot_freed, Migration20261128174000_inbound_queue_overflow).
  triggers: [
    {
      name: 'inbound_request_left_queue',
      timing: 'after',
      events: ['update'],
      expression: `create trigger "inbound_request_left_queue" after update of "state" on "inbound_request" for each row when (old."state" = 'QUEUED' and new."state" <> 'QUEUED' and old."queue_slot" is not null) execute function inbound_queue_slot_freed()`,
    },
    {
      name: 'inbound_request_deleted_from_queue',
      timing: 'after',
      events: ['delete'],
      expression: `create trigger "inbound_request_deleted_from_queue" after delete on "inbound_request" for each row when (old."state" = 'QUEUED' and old."queue_slot" is not null) execute function inbound_queue_slot_freed()`,
    },
  ],
});

export class InboundRequest extends InboundRequestSchema.class {}
InboundRequestSchema.setClass(InboundRequest);
