import type { EntityManager } from '@mikro-orm/postgresql';
import type { PgBoss } from 'pg-boss';
import type { Webhook } from '../entities/Webhook.ts';

/** Cancels what a deleted webhook still had to send (PENDING or RETRYING → CANCELLED). */
export async function cancelOpenDeliveries(em: EntityManager, webhook: Webhook): Promise<number> {
  const result = await em.getConnection().execute(
    `update delivery set status = 'CANCELLED', next_attempt_at = null
      where tenant_id = ? and webhook_id = ? and status in ('PENDING', 'RETRYING')`,
    [webhook.tenantId, webhook.id],
    'run',
    em.getTransactionContext(),
  );
  return (result as { affectedRows?: number }).affectedRows ?? 0;
}

/** Sends the deliveries a paused or disabled webhook held. Filled in by the delivery engine. */
export async function releaseHeldDeliveries(_em: EntityManager, _boss: PgBoss, _webhook: Webhook): Promise<number> {
  return 0;
}
