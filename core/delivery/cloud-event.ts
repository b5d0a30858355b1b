// The body of every delivery: a CloudEvents 1.0 JSON envelope
// (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md).

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
