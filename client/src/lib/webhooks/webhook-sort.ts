import type { WebhookFieldsFragment, WebhookStatus } from '../graphql/generated.ts';

export const WEBHOOK_SORT_KEYS = ['name', 'integrator', 'url', 'status', 'created', 'paused', 'deleted'] as const;
export type WebhookSortKey = (typeof WEBHOOK_SORT_KEYS)[number];
export interface WebhookSort {
  key: WebhookSortKey;
  direction: 'ASC' | 'DESC';
}

/** Which webhooks the list shows; "live" is every status but DELETED. */
export const STATUS_VIEWS = ['live', 'ACTIVE', 'PAUSED', 'DISABLED', 'DELETED', 'all'] as const;
export type StatusView = (typeof STATUS_VIEWS)[number];

export function statusFilter(view: StatusView): WebhookStatus[] | null {
  if (view === 'all') return null;
  if (view === 'live') return ['ACTIVE', 'PAUSED', 'DISABLED'];
  return [view];
}

const VALUE: Record<WebhookSortKey, (w: WebhookFieldsFragment) => string> = {
  name: (w) => w.name.toLowerCase(),
  integrator: (w) => w.integrator.name.toLowerCase(),
  url: (w) => w.url,
  status: (w) => w.status,
  created: (w) => w.createdAt,
  paused: (w) => w.pausedAt ?? '',
  deleted: (w) => w.deletedAt ?? '',
};

/** The list has at most the tenant's webhook limit (100 by default), so it sorts in the browser. */
export function sortWebhooks<T extends WebhookFieldsFragment>(list: T[], sort: WebhookSort): T[] {
  const value = VALUE[sort.key];
  const sign = sort.direction === 'ASC' ? 1 : -1;
  return list.slice().sort((a, b) => sign * value(a).localeCompare(value(b)) || a.id.localeCompare(b.id));
}

export function parseWebhookSort(text: string | null): WebhookSort {
  const key = (text ?? '').replace(/^-/, '') as WebhookSortKey;
  if (!WEBHOOK_SORT_KEYS.includes(key)) return { key: 'created', direction: 'DESC' };
  return { key, direction: text!.startsWith('-') ? 'DESC' : 'ASC' };
}

export function webhookSortToken(sort: WebhookSort): string {
  return `${sort.direction === 'DESC' ? '-' : ''}${sort.key}`;
}
