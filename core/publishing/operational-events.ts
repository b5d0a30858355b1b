// Hookyard's own events: what happens to a tenant's webhooks and deliveries, published
// to the webhooks that subscribe to them through the same engine (signed, retried,
// logged), inside the transaction that made them happen.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { newId } from '../ids.ts';
import { QUEUES, deliverJob } from '../jobs.ts';
import { bossDb } from '../../infra/transaction.ts';
import type { LiveUpdate } from '../live-updates/live-update.ts';
import * as sql from '../sql/publish.ts';

/** The operational event types, each with what it means; their payloads are in the README. */
export const OPERATIONAL_EVENT_TYPES = {
  'hookyard.webhook.disabled': 'A webhook was disabled: its endpoint answered 410 Gone, or had no success for 5 days while attempts kept failing.',
  'hookyard.webhook.circuit_opened': "A webhook's circuit opened after failed attempts in a row: its deliveries wait for the cool-down.",
  'hookyard.webhook.circuit_closed': "A webhook's circuit closed: an attempt succeeded, and the deliveries it held go out.",
  'hookyard.delivery.exhausted': 'A delivery failed for good: its retry schedule is exhausted (or the endpoint answered 410 Gone).',
  'hookyard.inbound_hook.expired': 'An inbound hook expired (it answers 410 Gone): no active webhook listened to its event type for 120 h.',
  'hookyard.bulk_retry.finished': 'A bulk retry ended: DONE (every matching delivery queued) or FAILED (with why), with its counts.',
} as const;
export type OperationalEventType = keyof typeof OPERATIONAL_EVENT_TYPES;

const PREFIX = 'hookyard.';

/** Names under hookyard. are Hookyard's: a tenant cannot register them. */
export function isReservedEventType(name: string): boolean {
  return name.startsWith(PREFIX);
}

export function isOperationalEventType(name: string): name is OperationalEventType {
  return Object.hasOwn(OPERATIONAL_EVENT_TYPES, name);
}

/**
 * Whether a webhook's patterns take an operational event: only by its exact name or by
 * `hookyard.*`, never by `*`, so a catch-all webhook does not start receiving them.
 */
export function subscribesToOperational(patterns: string[], type: string): boolean {
  return patterns.includes(type) || patterns.includes(`${PREFIX}*`);
}

export interface OperationalEvent {
  tenantId: string;
  type: OperationalEventType;
  payload: Record<string, unknown>;
  /** The webhook it is about: never delivered to it, so a failing webhook cannot feed on its own events. */
  webhookId?: string;
}

/**
 * Publishes operational events in the caller's transaction: each event with one delivery
 * per subscribed webhook (held for a paused one) and their jobs. Events nobody subscribes
 * to are not stored. Loop guard: an event about a webhook never goes to that webhook, and
 * the caller publishes none about deliveries of operational events. Returns the live
 * updates to send after the commit.
 */
export async function publishOperationalEvents(client: pg.PoolClient, boss: PgBoss, events: OperationalEvent[]): Promise<LiveUpdate[]> {
  const changes: LiveUpdate[] = [];
  const byTenant = new Map<string, OperationalEvent[]>();
  for (const e of events) byTenant.set(e.tenantId, [...(byTenant.get(e.tenantId) ?? []), e]);
  for (const [tenantId, tenantEvents] of byTenant) {
    const context = (await client.query<sql.PublishContextRow>(sql.publishContext(tenantId, []))).rows[0];
    const rows: sql.NewEvent[] = [];
    const deliveries: sql.NewDelivery[] = [];
    for (const e of tenantEvents) {
      const listeners = context.webhooks.filter((w) => w.id !== e.webhookId && subscribesToOperational(w.eventTypes, e.type));
      if (listeners.length === 0) continue;
      const event: sql.NewEvent = { id: newId('Event'), tenantId, type: e.type, source: 'hookyard', channel: null, payload: JSON.stringify(e.payload), idempotencyKey: null, occurredAt: new Date() };
      rows.push(event);
      for (const w of listeners) {
        deliveries.push({ id: newId('Delivery'), tenantId, eventId: event.id, webhookId: w.id, maxInFlight: w.maxInFlight, integratorId: w.integratorId, eventType: e.type, held: w.status !== 'ACTIVE' });
      }
    }
    if (rows.length === 0) continue;
    await client.query(sql.insertPublished(rows, deliveries));
    const sendable = deliveries.filter((d) => !d.held);
    if (sendable.length) {
      await boss.insert(QUEUES.deliver, sendable.map((d) => deliverJob({ id: d.id, tenantId, attemptCount: 0, webhookId: d.webhookId, maxInFlight: d.maxInFlight })), { db: bossDb(client) });
    }
    changes.push(...deliveries.map((d): LiveUpdate => ({ kind: 'delivery', tenantId, id: d.id, webhookId: d.webhookId, integratorId: d.integratorId })));
  }
  return changes;
}
