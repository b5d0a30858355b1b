// A live update: a row that changed, told to every process. Writers NOTIFY it (in the
// writing transaction for rare changes, right after its commit on the busy paths:
// publishing and the worker); every API process LISTENs and feeds its subscriptions.
// Notifications carry ids and the tenant only; subscribers load rows.

/** The kinds of row a live update can name; the listener accepts these and apiKey, nothing else. */
export const ROW_UPDATE_KINDS = ['delivery', 'attempt', 'webhook', 'inboundRequest', 'inboundHook', 'bulkRetry'] as const;

/** A delivery, attempt or webhook row changed (written, status moved, attempt recorded). */
export interface RowUpdate {
  /**
   * inboundRequest: a request an inbound hook received or processed; its webhookId is the inbound hook's id.
   * inboundHook: a hook's settings or status changed; its webhookId is its own id. bulkRetry: its progress (webhookId empty).
   */
  kind: (typeof ROW_UPDATE_KINDS)[number];
  tenantId: string;
  id: string;
  webhookId: string;
  deliveryId?: string;
  integratorId?: string;
}

/** An API key was revoked: every API process ends the subscriptions and sockets it authenticated. */
export interface ApiKeyRevoked {
  kind: 'apiKey';
  tenantId: string;
  id: string;
}

export type LiveUpdate = RowUpdate | ApiKeyRevoked;

// Postgres caps a notification at 8000 bytes; stay below it with room for the channel name.
const MAX_PAYLOAD_BYTES = 7500;

/** Packs updates into as few JSON-array payloads as fit the notification size limit. */
export function liveUpdatePayloads(updates: LiveUpdate[]): string[] {
  const payloads: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const update of updates) {
    const json = JSON.stringify(update);
    if (current.length && size + json.length + 1 > MAX_PAYLOAD_BYTES) {
      payloads.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(json);
    size += json.length + 1;
  }
  if (current.length) payloads.push(`[${current.join(',')}]`);
  return payloads;
}
