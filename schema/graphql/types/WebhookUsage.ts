// Webhook.usage(from, to): what a webhook did over a time range.
import { builder } from '../builder.ts';
import { WebhookRef } from './Webhook.ts';
import { ValidationError } from '../../../core/errors.ts';
import * as sql from '../../../core/sql/webhook-usage.ts';
import { loadValue } from '../batch-load.ts';

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

interface Recent {
  attempts: number;
  succeeded: number;
  lastAttemptAt: Date | null;
}

const RecentActivityRef = builder.objectRef<Recent>('WebhookRecentActivity').implement({
  description: "A webhook's last 24 hours at a glance, for lists.",
  fields: (t) => ({
    attempts: t.exposeInt('attempts', { description: 'Attempts made in the last 24 hours.' }),
    succeeded: t.exposeInt('succeeded', { description: 'Of those, the ones that got a 2xx answer.' }),
    successRate: t.float({
      nullable: true,
      description: 'succeeded / attempts, from 0 to 1; null without any attempt in the last 24 hours.',
      resolve: (r) => (r.attempts ? r.succeeded / r.attempts : null),
    }),
    lastAttemptAt: t.field({ type: 'DateTime', nullable: true, description: 'When it last sent anything (at any time, not only in the last 24 hours); null if never.', resolve: (r) => r.lastAttemptAt }),
  }),
});

builder.objectField(WebhookRef, 'recentActivity', (t) =>
  t.field({
    type: RecentActivityRef,
    description: 'Success rate over the last 24 hours and the time of the last attempt; a list of webhooks costs one query for all of them.',
    resolve: async (webhook, _args, ctx) => {
      const since = new Date(Date.now() - 24 * 3600_000);
      const found = await loadValue(ctx, 'webhookRecentActivity', webhook.id, async (ids) => {
        const { rows } = await ctx.services.pool.query<{ webhook_id: string; attempts: number; succeeded: number; last_attempt_at: Date | null }>(sql.recentActivity(ctx.viewer.tenantId, ids, since));
        return new Map(rows.map((r) => [r.webhook_id, { attempts: r.attempts, succeeded: r.succeeded, lastAttemptAt: r.last_attempt_at }]));
      });
      return found ?? { attempts: 0, succeeded: 0, lastAttemptAt: null };
    },
  }),
);
