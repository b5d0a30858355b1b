// Every delivery is a CloudEvents 1.0 message by the HTTP protocol binding
// (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md):
// structured mode (the JSON envelope as the body) by default, or binary mode (the data as
// the body, the attributes in ce-* headers).

/** Structured mode's content type (the binding's "application/cloudevents+json"). */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';
/** Binary mode's: the data's own, JSON. */
export const BINARY_CONTENT_TYPE = 'application/json';

export type CloudEventInput = {
  id: string;
  source: string;
  type: string;
  occurredAt: Date;
  payload: unknown;
};

/**
 * The envelope as the exact string to sign and send. Key order is fixed so the same
 * event always gives byte-identical bodies across attempts.
 */
export function cloudEventBody(event: CloudEventInput): string {
  for (const field of ['id', 'source', 'type'] as const) {
    // The spec makes these required non-empty strings; an empty one is a bug upstream.
    if (typeof event[field] !== 'string' || event[field] === '') {
      throw new Error(`CloudEvent ${field} must be a non-empty string`);
    }
  }
  if (Number.isNaN(event.occurredAt.getTime())) throw new Error('CloudEvent occurredAt is not a valid date');
  return JSON.stringify({
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type: event.type,
    time: event.occurredAt.toISOString(),
    datacontenttype: 'application/json',
    // JSON.stringify would drop an undefined `data` key; receivers expect it to be present.
    data: event.payload === undefined ? null : event.payload,
  });
}

/** Binary mode's body: the event's data alone, as JSON. */
export function cloudEventData(payload: unknown): string {
  return JSON.stringify(payload === undefined ? null : payload);
}

/** Binary mode's attribute headers. */
export function cloudEventHeaders(event: CloudEventInput): Record<string, string> {
  return {
    'ce-specversion': '1.0',
    'ce-id': event.id,
    'ce-source': event.source,
    'ce-type': event.type,
    'ce-time': event.occurredAt.toISOString(),
  };
}
