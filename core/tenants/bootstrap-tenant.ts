import type { EntityManager } from '@mikro-orm/postgresql';
import { Tenant } from '../../schema/entities/Tenant.ts';
import { ApiKey } from '../../schema/entities/ApiKey.ts';
import { newId } from '../ids.ts';
import { ConfigError } from '../../infra/config.ts';
import * as tenantSql from '../sql/tenants.ts';
import { hashToken, newApiKey } from '../auth/api-key-token.ts';

/**
 * On first start creates the default tenant and its admin key. With
 * HOOKYARD_ADMIN_TOKEN set, makes sure that token is an admin key; with
 * HOOKYARD_WEBHOOK_LIMIT set, gives every tenant that limit. Returns the
 * token only when it was generated now, so it is printed once.
 */
export async function bootstrapTenant(em: EntityManager, options: { adminToken: string | null; webhookLimit: number; webhookLimitExplicit?: boolean }): Promise<{ tenant: Tenant; generatedToken: string | null }> {
  return em.transactional(async (tx) => {
    const lock = tenantSql.lockBootstrap();
    await tx.getConnection().execute(lock.text, lock.values, 'all', tx.getTransactionContext());
    let [tenant] = await tx.find(Tenant, {}, { orderBy: { createdAt: 'asc' }, limit: 1 });
    let generatedToken: string | null = null;
    if (!tenant) {
      tenant = tx.create(Tenant, { id: newId('Tenant'), name: 'default', webhookLimit: options.webhookLimit });
      const { token, row } = newApiKey(tenant.id, 'admin (first start)', 'ADMIN', options.adminToken ?? undefined);
      tx.create(ApiKey, row);
      if (!options.adminToken) generatedToken = token;
    } else if (options.adminToken) {
      const existing = await tx.findOne(ApiKey, { tokenHash: hashToken(options.adminToken) });
      if (!existing) {
        tx.create(ApiKey, newApiKey(tenant.id, 'admin (HOOKYARD_ADMIN_TOKEN)', 'ADMIN', options.adminToken).row);
      } else if (existing.revokedAt || existing.role !== 'ADMIN') {
        // Quietly starting with a token that cannot administer would leave the operator
        // locked out; quietly reviving a revoked key would undo a deliberate revocation.
        throw new ConfigError(
          'HOOKYARD_ADMIN_TOKEN',
          `this token is the API key ${existing.id}, which is ${existing.revokedAt ? 'revoked' : `a ${existing.role} key`}; set a new token to get an admin key`,
        );
      }
    }
    // The tenants' limit is set only here (no API changes it), so a changed
    // HOOKYARD_WEBHOOK_LIMIT must reach the rows that exist, not only new ones.
    if (options.webhookLimitExplicit) {
      await tx.nativeUpdate(Tenant, { webhookLimit: { $ne: options.webhookLimit } }, { webhookLimit: options.webhookLimit });
      tenant.webhookLimit = options.webhookLimit;
    }
    await tx.flush();
    return { tenant, generatedToken };
  });
}
