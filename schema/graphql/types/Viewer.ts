import { builder } from '../builder.ts';
import { setDeliveriesEnabled } from '../../../core/delivery/holds.ts';
import { requireAdmin } from '../context.ts';
import { Tenant } from '../../entities/Tenant.ts';
import { ApiKeyRoleEnum } from './ApiKey.ts';

export const TenantRef = builder.objectRef<Tenant>('Tenant').implement({
  description: 'An isolated account; every row belongs to one.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    webhookLimit: t.exposeInt('webhookLimit'),
    deliveriesEnabled: t.exposeBoolean('deliveriesEnabled', { description: 'The global switch: while false, publishing is refused and nothing is sent; scheduled retries, resends and test events are held and go out when it is switched on.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (x) => x.createdAt }),
  }),
});

interface ViewerShape {
  tenant: Tenant;
  role: 'ADMIN' | 'VIEWER';
  apiKeyId: string;
}

const ViewerRef = builder.objectRef<ViewerShape>('Viewer').implement({
  description: 'The caller: the tenant and role of the API key in use.',
  fields: (t) => ({
    tenant: t.field({ type: TenantRef, resolve: (v) => v.tenant }),
    role: t.field({ type: ApiKeyRoleEnum, resolve: (v) => v.role }),
    apiKeyId: t.exposeID('apiKeyId'),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    resolve: async (_root, _args, ctx) => ({
      tenant: await ctx.em.findOneOrFail(Tenant, { id: ctx.viewer.tenantId }),
      role: ctx.viewer.role,
      apiKeyId: ctx.viewer.apiKeyId,
    }),
  }),
);

const SetDeliveriesEnabledInput = builder.inputType('SetDeliveriesEnabledInput', {
  fields: (t) => ({ enabled: t.boolean({ required: true }) }),
});

builder.mutationField('setDeliveriesEnabled', (t) =>
  t.field({
    type: builder.objectRef<{ tenant: Tenant }>('SetDeliveriesEnabledPayload').implement({
      fields: (f) => ({ tenant: f.field({ type: TenantRef, resolve: (p) => p.tenant }) }),
    }),
    args: { input: t.arg({ type: SetDeliveriesEnabledInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const released = await setDeliveriesEnabled(ctx.services, ctx.viewer.tenantId, input.enabled);
      const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.viewer.tenantId }, { refresh: true });
      ctx.services.log.info({ tenantId: tenant.id, enabled: input.enabled, released }, 'deliveries switched');
      return { tenant };
    },
  }),
);
