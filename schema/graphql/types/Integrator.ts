import { LockMode } from '@mikro-orm/postgresql';
import { builder } from '../builder.ts';
import { requireAdmin, type Context } from '../context.ts';
import { paginate } from '../connection.ts';
import { Integrator } from '../../entities/Integrator.ts';
import { Webhook } from '../../entities/Webhook.ts';
import { newId } from '../../../core/ids.ts';
import { ConflictError, NotFoundError } from '../../../core/errors.ts';
import { optionalEmail, optionalText, requiredText } from '../../../core/rules/text.ts';
import { escapeLike } from '../../../core/sql/like.ts';

export const IntegratorRef = builder.node(Integrator, {
  name: 'Integrator',
  description: 'A company or system that receives webhooks.',
  id: { resolve: (i) => i.id },
  loadOne: (id, ctx) => ctx.em.findOne(Integrator, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    contactEmail: t.exposeString('contactEmail', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (i) => i.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (i) => i.updatedAt }),
    deletedAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.deletedAt ?? null }),
  }),
});

/** The tenant's integrator with that id, unless deleted. */
export async function loadIntegrator(ctx: Context, id: string): Promise<Integrator> {
  const integrator = await ctx.em.findOne(Integrator, { id, tenantId: ctx.viewer.tenantId, deletedAt: null });
  if (!integrator) throw new NotFoundError('integrator', id);
  return integrator;
}

builder.queryField('integrators', (t) =>
  t.connection(
    {
      type: IntegratorRef,
      args: { search: t.arg.string({ description: 'Part of the name or contact e-mail, any case.' }) },
      resolve: (_root, args, ctx) => {
        const search = optionalText('search', args.search, 200);
        const like = `%${escapeLike(search)}%`;
        return paginate(
          ctx.em,
          Integrator,
          {
            tenantId: ctx.viewer.tenantId,
            deletedAt: null,
            ...(search ? { $or: [{ name: { $ilike: like } }, { contactEmail: { $ilike: like } }] } : {}),
          },
          args,
        ) as never;
      },
    },
    { name: 'IntegratorConnection', fields: (c) => ({ totalCount: c.int({ resolve: (x) => (x as unknown as { totalCount: number }).totalCount }) }) },
  ),
);

const IntegratorPayload = builder.objectRef<{ integrator: Integrator }>('IntegratorPayload').implement({
  fields: (f) => ({ integrator: f.field({ type: IntegratorRef, resolve: (p) => p.integrator }) }),
});

const CreateIntegratorInput = builder.inputType('CreateIntegratorInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    contactEmail: t.string(),
  }),
});

builder.mutationField('createIntegrator', (t) =>
  t.field({
    type: IntegratorPayload,
    args: { input: t.arg({ type: CreateIntegratorInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const integrator = ctx.em.create(Integrator, {
        id: newId('Integrator'),
        tenantId: ctx.viewer.tenantId,
        name: requiredText('input.name', input.name),
        description: optionalText('input.description', input.description),
        contactEmail: optionalEmail('input.contactEmail', input.contactEmail),
      });
      await ctx.em.flush();
      return { integrator };
    },
  }),
);

const UpdateIntegratorInput = builder.inputType('UpdateIntegratorInput', {
  description: 'Fields left out are kept as they are.',
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    description: t.string(),
    contactEmail: t.string({ description: 'An empty string removes it.' }),
  }),
});

builder.mutationField('updateIntegrator', (t) =>
  t.field({
    type: IntegratorPayload,
    args: { input: t.arg({ type: UpdateIntegratorInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const integrator = await loadIntegrator(ctx, String(input.id));
      if (input.name != null) integrator.name = requiredText('input.name', input.name);
      if (input.description != null) integrator.description = optionalText('input.description', input.description);
      if (input.contactEmail != null) integrator.contactEmail = optionalEmail('input.contactEmail', input.contactEmail);
      await ctx.em.flush();
      return { integrator };
    },
  }),
);

const DeleteIntegratorInput = builder.inputType('DeleteIntegratorInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationField('deleteIntegrator', (t) =>
  t.field({
    type: IntegratorPayload,
    description: 'Deletes an integrator that has no live webhook. Its delivery history is kept.',
    args: { input: t.arg({ type: DeleteIntegratorInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const integrator = await loadIntegrator(ctx, String(input.id));
      await ctx.em.transactional(async (em) => {
        // Lock the integrator: a createWebhook for it (which takes a share lock) either
        // finished before this count or waits and then finds the integrator deleted.
        await em.findOneOrFail(Integrator, { id: integrator.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        const live = await em.count(Webhook, { tenantId: ctx.viewer.tenantId, integratorId: integrator.id, status: { $ne: 'DELETED' } });
        if (live > 0) {
          throw new ConflictError(`integrator ${integrator.id} still has ${live} webhook(s) that are not deleted; delete them first`);
        }
        integrator.deletedAt = new Date();
      });
      return { integrator };
    },
  }),
);
