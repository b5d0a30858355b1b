import { LockMode } from '@mikro-orm/postgresql';
import { builder } from '../builder.ts';
import { requireAdmin } from '../context.ts';
import { paginate } from '../connection.ts';
import { ApiKey, API_KEY_ROLES } from '../../entities/ApiKey.ts';
import { newApiKey } from '../../../core/auth/api-key-token.ts';
import { ConflictError, NotFoundError } from '../../../core/errors.ts';
import { Tenant } from '../../entities/Tenant.ts';
import { requiredText } from '../../../core/rules/text.ts';
import { notifyLiveUpdates } from '../../../core/live-updates/notify.ts';

export const ApiKeyRoleEnum = builder.enumType('ApiKeyRole', { values: API_KEY_ROLES });

export const ApiKeyRef = builder.node(ApiKey, {
  name: 'ApiKey',
  description: 'A bearer token of the tenant. The token itself is shown once, when created.',
  id: { resolve: (k) => k.id },
  loadOne: (id, ctx) => ctx.em.findOne(ApiKey, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.field({ type: ApiKeyRoleEnum, resolve: (k) => k.role }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the token, to recognise it.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.createdAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.lastUsedAt ?? null }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revokedAt ?? null }),
  }),
});

builder.queryField('apiKeys', (t) =>
  t.connection(
    {
      type: ApiKeyRef,
      args: { includeRevoked: t.arg.boolean({ defaultValue: false }) },
      resolve: (_root, args, ctx) =>
        paginate(ctx.em, ApiKey, { tenantId: ctx.viewer.tenantId, ...(args.includeRevoked ? {} : { revokedAt: null }) }, args) as never,
    },
    { name: 'ApiKeyConnection', fields: (c) => ({ totalCount: c.int({ resolve: (x) => (x as unknown as { totalCount: number }).totalCount }) }) },
  ),
);

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    role: t.field({ type: ApiKeyRoleEnum, required: true }),
  }),
});

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: builder.objectRef<{ apiKey: ApiKey; token: string }>('CreateApiKeyPayload').implement({
      fields: (f) => ({
        apiKey: f.field({ type: ApiKeyRef, resolve: (p) => p.apiKey }),
        token: f.exposeString('token', { description: 'The bearer token. Shown only here: store it now.' }),
      }),
    }),
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const { token, row } = newApiKey(ctx.viewer.tenantId, requiredText('input.name', input.name), input.role);
      const apiKey = ctx.em.create(ApiKey, row);
      await ctx.em.flush();
      return { apiKey, token };
    },
  }),
);

const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationField('revokeApiKey', (t) =>
  t.field({
    type: builder.objectRef<{ apiKey: ApiKey }>('RevokeApiKeyPayload').implement({
      fields: (f) => ({ apiKey: f.field({ type: ApiKeyRef, resolve: (p) => p.apiKey }) }),
    }),
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const apiKey = await ctx.em.transactional(async (em) => {
        // The tenant row lock serialises revocations, so two admins revoking each other's
        // keys at once cannot both pass the last-admin check.
        await em.findOneOrFail(Tenant, { id: ctx.viewer.tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        const key = await em.findOne(ApiKey, { id: String(input.id), tenantId: ctx.viewer.tenantId });
        if (!key) throw new NotFoundError('API key', String(input.id));
        if (key.revokedAt) return key;
        if (key.role === 'ADMIN') {
          const otherAdmins = await em.count(ApiKey, { tenantId: ctx.viewer.tenantId, role: 'ADMIN', revokedAt: null, id: { $ne: key.id } });
          if (otherAdmins === 0) {
            throw new ConflictError(`API key ${key.id} is the tenant's last active ADMIN key; create another ADMIN key before revoking this one`);
          }
        }
        key.revokedAt = new Date();
        return key;
      });
      // Every API process closes the sockets and subscriptions this key opened.
      await notifyLiveUpdates(ctx.services.pool, [{ kind: 'apiKey', tenantId: ctx.viewer.tenantId, id: apiKey.id }]);
      ctx.services.log.info({ apiKeyId: apiKey.id }, 'API key revoked');
      return { apiKey };
    },
  }),
);
