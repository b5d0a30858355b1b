// Webhook.usage(from, to): what a webhook did over a time range.
import { builder } from '../builder.ts';
import { WebhookRef } from './Webhook.ts';
import { ValidationError } from '../../../core/errors.ts';
import * as sql from '../../../core/sql/webhook-usage.ts';

interface Usage {
  from: Date;
  to: Date;
  delivered: number;
  failed: number;
  attempts: number;
  throttled: number;
}

const MAX_RANGE_DAYS = 400;

const WebhookUsageRef = builder.objectRef<Usage>('WebhookUsage').implement({
  description: "A webhook's traffic over a time range.",
  fields: (t) => ({
    from: t.field({ type: 'DateTime', resolve: (u) => u.from }),
    to: t.field({ type: 'DateTime', resolve: (u) => u.to }),
    delivered: t.exposeInt('delivered', { description: 'Successful attempts in the range (deliveries delivered, manual resends included).' }),
    failed: t.exposeInt('failed', { description: 'Deliveries given up in the range (status FAILED, last attempt in the range).' }),
    attempts: t.exposeInt('attempts', { description: 'Attempts made in the range, whatever their outcome.' }),
    throttled: t.exposeInt('throttled', { description: "Deliveries the webhook's rate limit delayed, each once per hour however often it waited, counted by the hour: hours overlapping the range count whole." }),
  }),
});

builder.objectField(WebhookRef, 'usage', (t) =>
  t.field({
    type: WebhookUsageRef,
    description: 'Delivered, failed, attempts and throttled between `from` (included) and `to` (excluded; default now).',
    args: {
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime' }),
    },
    resolve: async (webhook, args, ctx) => {
      const from = args.from;
      const to = args.to ?? new Date();
      if (from >= to) throw new ValidationError('to', 'to must be after from');
      if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw new ValidationError('from', `the range is at most ${MAX_RANGE_DAYS} days`);
      const { rows } = await ctx.services.pool.query<Record<'attempts' | 'delivered' | 'failed' | 'throttled', string>>(sql.webhookUsage(ctx.viewer.tenantId, webhook.id, from, to));
      const r = rows[0];
      return { from, to, delivered: Number(r.delivered), failed: Number(r.failed), attempts: Number(r.attempts), throttled: Number(r.throttled) };
    },
  }),
);
