import type { EntityManager } from '@mikro-orm/postgresql';
import { Webhook, type WebhookStatus } from '../entities/Webhook.ts';
import { WebhookStatusChange } from '../entities/WebhookStatusChange.ts';
import { newId } from '../ids.ts';

/**
 * Moves a webhook to a new status and writes the history line, in the caller's
 * unit of work. Every status change goes through here so the history is complete.
 */
export function changeWebhookStatus(
  em: EntityManager,
  webhook: Webhook,
  to: WebhookStatus,
  reason: string,
  options: { created?: boolean; now?: Date } = {},
): void {
  const now = options.now ?? new Date();
  const from = options.created ? null : webhook.status;
  webhook.status = to;
  webhook.statusReason = to === 'ACTIVE' ? null : reason;
  if (to === 'PAUSED') webhook.pausedAt = now;
  if (to === 'DISABLED') webhook.disabledAt = now;
  if (to === 'DELETED') webhook.deletedAt = now;
  if (to === 'ACTIVE') {
    webhook.pausedAt = null;
    webhook.disabledAt = null;
    webhook.failingSince = null;
  }
  em.create(WebhookStatusChange, {
    id: newId('WebhookStatusChange'),
    tenantId: webhook.tenantId,
    webhookId: webhook.id,
    fromStatus: from,
    toStatus: to,
    reason,
    createdAt: now,
  });
}
