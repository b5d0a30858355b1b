import type { Api } from '../graphql/api.ts';
import { gql } from '@urql/core';
import type { WebhookUsageFieldsFragment } from '../graphql/generated.ts';

export const USAGE_PERIODS = {
  '24h': { label: 'Last 24 hours', buckets: 12, bucketMs: 2 * 3600_000 },
  '7d': { label: 'Last 7 days', buckets: 7, bucketMs: 86_400_000 },
  '30d': { label: 'Last 30 days', buckets: 10, bucketMs: 3 * 86_400_000 },
} as const;
export type UsagePeriod = keyof typeof USAGE_PERIODS;

export interface UsageBucket extends WebhookUsageFieldsFragment {
  from: string;
  to: string;
}

/**
 * A webhook's usage over a period: totals and a few buckets for the chart, read in one
 * request as aliases of Webhook.usage(from, to). Built at run time because the number
 * of aliases depends on the period; its fields are the typed WebhookUsageFields.
 */
export class WebhookUsage {
  total = $state.raw<WebhookUsageFieldsFragment | null>(null);
  buckets = $state.raw<UsageBucket[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  #sequence = 0;

  async load(api: Api, webhookId: string, period: UsagePeriod, now = Date.now()): Promise<void> {
    const sequence = ++this.#sequence;
    const { buckets, bucketMs } = USAGE_PERIODS[period];
    const ranges = Array.from({ length: buckets }, (_, i) => {
      const from = now - (buckets - i) * bucketMs;
      return { from: new Date(from).toISOString(), to: new Date(from + bucketMs).toISOString() };
    });
    const fields = '{ delivered failed attempts throttled }';
    const aliases = ranges.map((r, i) => `b${i}: usage(from: "${r.from}", to: "${r.to}") ${fields}`).join('\n');
    const document = gql<{ node: Record<string, WebhookUsageFieldsFragment> | null }, { id: string }>(
      `query WebhookUsageBuckets($id: ID!) { node(id: $id) { ... on Webhook { total: usage(from: "${ranges[0].from}", to: "${ranges.at(-1)!.to}") ${fields}\n${aliases} } } }`,
    );
    this.loading = true;
    this.error = null;
    try {
      const { node } = await api.query(document, { id: webhookId });
      if (sequence !== this.#sequence) return;
      if (!node) throw new Error('webhook not found');
      this.total = node.total;
      this.buckets = ranges.map((r, i) => ({ ...r, ...node[`b${i}`] }));
    } catch (error) {
      if (sequence === this.#sequence) this.error = (error as Error).message;
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }
}
