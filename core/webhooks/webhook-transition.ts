import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { WebhookStatus } from '../../schema/entities/Webhook.ts';
import { newId } from '../ids.ts';
import { releaseHeldDeliveries } from '../delivery/holds.ts';
import type { LiveUpdate } from '../live-updates/live-update.ts';
import { notifyUpdatesSql } from '../sql/live-updates.ts';
import * as sql from '../sql/webhook-status.ts';

/**
 * Moves a webhook from one of `from` to `to` inside the caller's transaction, with
 * its consequences: resuming releases held deliveries, deleting cancels open ones,
 * and subscribers are told. Returns false when the webhook was not in `from`.
 *
 * Lock order: the webhook row first (its UPDATE), then its deliveries, as publishing
 * does (core/sql/publish.ts publishContext locks the webhooks it reads FOR SHARE before
 * inserting deliveries). A publish in flight makes this wait until it commits, so the
 * deliveries it made are released or cancelled here too.
 */
export async function transitionWebhook(
  client: pg.PoolClient,
  boss: PgBoss,
  args: { tenantId: string; webhookId: string; from: WebhookStatus[]; to: WebhookStatus; reason: string },
): Promise<boolean> {
  const { rows } = await client.query(sql.transitionWebhook({ ...args, historyId: newId('WebhookStatusChange') }));
  if (rows.length === 0) return false;
  const changes: LiveUpdate[] = [{ kind: 'webhook', tenantId: args.tenantId, id: args.webhookId, webhookId: args.webhookId }];
  // Released deliveries wake the workers (releaseHeldDeliveries), unless something else
  // still holds them (an open circuit, the tenant's switch).
  if (args.to === 'ACTIVE') await releaseHeldDeliveries(client, boss, { tenantId: args.tenantId, webhookIds: [args.webhookId], manual: false });
  if (args.to === 'DELETED') {
    const cancelled = await client.query<{ id: string; integrator_id: string }>(sql.cancelOpenDeliveries(args.tenantId, args.webhookId));
    for (const d of cancelled.rows) {
      changes.push({ kind: 'delivery', tenantId: args.tenantId, id: d.id, webhookId: args.webhookId, integratorId: d.integrator_id });
    }
  }
  await client.query(notifyUpdatesSql(changes));
  return true;
}
