import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { newId } from '../ids.ts';
import { QUEUES, deliverJob } from '../jobs.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import * as publishSql from '../sql/publish.ts';
import * as manualSql from '../sql/manual-attempts.ts';
import { notifyUpdatesSql, WAKE_DELIVERY_WORKERS_SQL } from '../sql/live-updates.ts';
import { deliveryLogBatches, type DeliveryLog } from '../delivery-log/delivery-log-query.ts';
import { activeTraceparent } from '../../infra/trace.ts';

interface Deps {
  pool: pg.Pool;
  boss: PgBoss;
}

/** The event type of test deliveries; not in the tenant's catalogue and never matched by subscriptions. */
export const TEST_EVENT_TYPE = 'hookyard.test';

/** Manual attempts asked for: queued now, or kept (`held`) while the tenant's deliveries are off. */
export interface ManualRequest {
  ids: string[];
  /** The tenant's deliveries are switched off: the attempts go out when they are switched on. */
  held: boolean;
}

/**
 * Queues manual attempts (trigger MANUAL) for deliveries of live webhooks; earlier
 * attempts stay as they are. While the tenant's deliveries are off they are kept and go
 * out when switched on. Deliveries of deleted webhooks are skipped (`retryDelivery`
 * refuses them).
 */
export async function queueManualAttempts(deps: Deps, tenantId: string, deliveryIds: string[]): Promise<ManualRequest> {
  if (deliveryIds.length === 0) return { ids: [], held: false };
  return withTransaction(deps.pool, (client) => queueManualAttemptsIn(client, deps.boss, tenantId, deliveryIds));
}

/** queueManualAttempts in the caller's transaction (a bulk retry's batch records its progress in the same one). */
export async function queueManualAttemptsIn(client: pg.PoolClient, boss: PgBoss, tenantId: string, deliveryIds: string[]): Promise<ManualRequest> {
  if (deliveryIds.length === 0) return { ids: [], held: false };
  const enabled = (await client.query<{ deliveries_enabled: boolean }>(manualSql.deliveriesEnabled(tenantId))).rows[0]?.deliveries_enabled ?? false;
  const { rows } = await client.query<{ id: string; attempt_count: number; webhook_id: string; max_in_flight: number }>(manualSql.retryableDeliveries(tenantId, deliveryIds));
  const ids = rows.map((r) => r.id);
  if (rows.length && !enabled) await client.query(manualSql.keepManualRequests(tenantId, ids));
  else if (rows.length) {
    await boss.insert(
      QUEUES.deliver,
      rows.map((d) => deliverJob({ id: d.id, tenantId, attemptCount: d.attempt_count, webhookId: d.webhook_id, maxInFlight: d.max_in_flight }, { manual: true })),
      { db: bossDb(client) },
    );
    await client.query(WAKE_DELIVERY_WORKERS_SQL);
  }
  return { ids, held: !enabled };
}

/**
 * A dry run of a bulk retry: counts, 1,000 deliveries at a time, those the log filter
 * matches that may be sent again (deliveries of deleted webhooks are not). The retry
 * itself is a job: core/delivery/bulk-retries.ts.
 */
export async function countRetryableDeliveries(pool: pg.Pool, log: DeliveryLog): Promise<number> {
  let total = 0;
  for await (const batch of deliveryLogBatches(pool, log, 1000)) total += await countRetryable(pool, log.tenantId, batch.map((row) => row.id));
  return total;
}

async function countRetryable(pool: pg.Pool, tenantId: string, ids: string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(manualSql.countRetryable(tenantId, ids));
  return rows[0].n;
}

/** Sends one delivery again; `held` when the tenant's deliveries are off (it goes out when they are on). */
export async function retryDelivery(deps: Deps, tenantId: string, deliveryId: string): Promise<{ held: boolean }> {
  const { rows } = await deps.pool.query(manualSql.deliveryAndWebhookStatus(tenantId, deliveryId));
  if (!rows[0]) throw new NotFoundError('delivery', deliveryId);
  if (rows[0].webhook_status === 'DELETED' || rows[0].status === 'CANCELLED') {
    throw new ConflictError(`delivery ${deliveryId} belongs to a deleted webhook and cannot be sent again`);
  }
  const { held } = await queueManualAttempts(deps, tenantId, [deliveryId]);
  return { held };
}

/**
 * Sends a `hookyard.test` event to one webhook now, whatever it subscribes to; while the
 * tenant's deliveries are off it is kept (`held`) and goes out when they are on.
 */
export async function sendTestEvent(deps: Deps, tenantId: string, webhookId: string): Promise<{ deliveryId: string; held: boolean }> {
  return withTransaction(deps.pool, async (client) => {
    const { rows } = await client.query(manualSql.webhookForTestEvent(tenantId, webhookId));
    const webhook = rows[0];
    if (!webhook) throw new NotFoundError('webhook', webhookId);
    if (webhook.status === 'DELETED') throw new ConflictError(`webhook ${webhookId} is deleted`);
    const eventId = newId('Event');
    const deliveryId = newId('Delivery');
    const payload = JSON.stringify({ message: 'This is a test event sent from Hookyard.', webhookId });
    await client.query(
      publishSql.insertPublished(
        [{ id: eventId, tenantId, type: TEST_EVENT_TYPE, source: 'hookyard', channel: null, payload, idempotencyKey: null, occurredAt: new Date() }],
        [{ id: deliveryId, tenantId, eventId, webhookId, maxInFlight: webhook.max_in_flight, integratorId: webhook.integrator_id, eventType: TEST_EVENT_TYPE, held: !webhook.deliveries_enabled, traceParent: activeTraceparent() }],
      ),
    );
    const held = !webhook.deliveries_enabled;
    if (held) await client.query(manualSql.keepManualRequests(tenantId, [deliveryId]));
    else {
      await deps.boss.insert(QUEUES.deliver, [deliverJob({ id: deliveryId, tenantId, attemptCount: 0, webhookId, maxInFlight: webhook.max_in_flight }, { manual: true })], { db: bossDb(client) });
    }
    // Rare enough to NOTIFY inside the transaction (delivered at commit).
    await client.query(notifyUpdatesSql([{ kind: 'delivery', tenantId, id: deliveryId, webhookId, integratorId: webhook.integrator_id }], { wakeWorkers: !held }));
    return { deliveryId, held };
  });
}
