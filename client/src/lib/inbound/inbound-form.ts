// The inbound hook form's text fields to the API's input, and back: pure, unit-tested.
import type { CreateInboundHookInput, InboundAnswerMode, InboundHookFieldsFragment, InboundHookKind, ProcessingMode } from '../graphql/generated.ts';
import type { MutationError } from '../forms/mutation-result.ts';

export interface InboundHookDraft {
  /** HTTP (a URL) or MAIL (an address); chosen at creation only. */
  kind: InboundHookKind;
  name: string;
  eventType: string;
  processingMode: ProcessingMode;
  scheduleIntervalSeconds: string;
  scheduleBatchSize: string;
  queueLimit: string;
  /** One address or CIDR per line. */
  ipAllowlist: string;
  /** Empty: no rate limit. */
  rateLimitPerSecond: string;
  includeHeaders: boolean;
  includeMethod: boolean;
  jsonPassthrough: boolean;
  /** MAIL: attachments' contents in the item. */
  includeAttachmentContents: boolean;
  responseStatus: string;
  responseBody: string;
  /** One `Name: value` per line. */
  responseHeaders: string;
  /** A JSON Schema as text; empty: none. */
  dataStructure: string;
  validateDataStructure: boolean;
  answerMode: InboundAnswerMode;
  /** FROM_PROCESSING: the 500's text; empty: the default. */
  failureResponseBody: string;
  confidential: boolean;
}

export function emptyDraft(): InboundHookDraft {
  return {
    kind: 'HTTP',
    name: '',
    eventType: '',
    processingMode: 'IMMEDIATE',
    scheduleIntervalSeconds: '900',
    scheduleBatchSize: '100',
    queueLimit: '10000',
    ipAllowlist: '',
    rateLimitPerSecond: '30',
    includeHeaders: false,
    includeMethod: false,
    jsonPassthrough: false,
    includeAttachmentContents: false,
    responseStatus: '',
    responseBody: '',
    responseHeaders: '',
    dataStructure: '',
    validateDataStructure: false,
    answerMode: 'STATIC',
    failureResponseBody: '',
    confidential: false,
  };
}

export function draftOf(hook: InboundHookFieldsFragment): InboundHookDraft {
  return {
    kind: hook.kind,
    name: hook.name,
    eventType: hook.eventType,
    processingMode: hook.processingMode,
    scheduleIntervalSeconds: String(hook.scheduleIntervalSeconds ?? 900),
    scheduleBatchSize: String(hook.scheduleBatchSize ?? 100),
    queueLimit: String(hook.queueLimit),
    ipAllowlist: hook.ipAllowlist.join('\n'),
    rateLimitPerSecond: hook.rateLimitPerSecond === null ? '' : String(hook.rateLimitPerSecond),
    includeHeaders: hook.includeHeaders,
    includeMethod: hook.includeMethod,
    jsonPassthrough: hook.jsonPassthrough,
    includeAttachmentContents: hook.includeAttachmentContents,
    responseStatus: hook.responseStatus === null ? '' : String(hook.responseStatus),
    responseBody: hook.responseBody ?? '',
    responseHeaders: Object.entries((hook.responseHeaders ?? {}) as Record<string, string>).map(([k, v]) => `${k}: ${v}`).join('\n'),
    dataStructure: hook.dataStructure ? JSON.stringify(hook.dataStructure, null, 2) : '',
    validateDataStructure: hook.validateDataStructure,
    answerMode: hook.answerMode,
    failureResponseBody: hook.failureResponseBody ?? '',
    confidential: hook.confidential,
  };
}

const fieldError = (field: string, message: string): { error: MutationError } => ({ error: { __typename: 'ValidationError', code: 'VALIDATION', field: `input.${field}`, message } });

function whole(field: string, text: string): number | { error: MutationError } {
  const value = Number(text.trim());
  return /^\d+$/.test(text.trim()) && Number.isSafeInteger(value) ? value : fieldError(field, `${field} must be a whole number`);
}

/** The API input for a draft, or the error of the first field that is not what it must be. */
export function parseInboundDraft(d: InboundHookDraft): { input: Omit<CreateInboundHookInput, never> } | { error: MutationError } {
  // An answer from processing replaces the custom response (the form hides it), and the failure text belongs to it.
  const staticAnswer = d.answerMode === 'STATIC';
  const numbers: Record<string, number> = {};
  for (const [field, text] of [
    ['queueLimit', d.queueLimit],
    ...(d.processingMode === 'SCHEDULED' ? [['scheduleIntervalSeconds', d.scheduleIntervalSeconds], ['scheduleBatchSize', d.scheduleBatchSize]] : []),
    ...(d.rateLimitPerSecond.trim() ? [['rateLimitPerSecond', d.rateLimitPerSecond]] : []),
    ...(staticAnswer && d.responseStatus.trim() ? [['responseStatus', d.responseStatus]] : []),
  ] as [string, string][]) {
    const value = whole(field, text);
    if (typeof value !== 'number') return value;
    numbers[field] = value;
  }
  const headers: Record<string, string> = {};
  for (const line of (staticAnswer ? d.responseHeaders : '').split('\n').map((l) => l.trim()).filter(Boolean)) {
    const colon = line.indexOf(':');
    if (colon < 1) return fieldError('responseHeaders', `"${line}" is not a header line; write Name: value, one per line`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  let dataStructure: unknown = null;
  if (d.dataStructure.trim()) {
    try {
      dataStructure = JSON.parse(d.dataStructure);
    } catch (error) {
      return fieldError('dataStructure', `the data structure is not JSON: ${(error as Error).message}`);
    }
  }
  return {
    input: {
      kind: d.kind,
      name: d.name.trim(),
      eventType: d.eventType.trim(),
      processingMode: d.processingMode,
      scheduleIntervalSeconds: numbers.scheduleIntervalSeconds ?? null,
      scheduleBatchSize: numbers.scheduleBatchSize ?? null,
      queueLimit: numbers.queueLimit,
      ipAllowlist: d.ipAllowlist.split(/[\n,]/).map((s) => s.trim()).filter(Boolean),
      rateLimitPerSecond: numbers.rateLimitPerSecond ?? null,
      noRateLimit: !d.rateLimitPerSecond.trim(),
      includeHeaders: d.includeHeaders,
      includeMethod: d.includeMethod,
      jsonPassthrough: d.jsonPassthrough,
      includeAttachmentContents: d.includeAttachmentContents,
      responseStatus: numbers.responseStatus ?? null,
      responseBody: !staticAnswer || d.responseBody === '' ? null : d.responseBody,
      responseHeaders: headers,
      dataStructure,
      validateDataStructure: dataStructure ? d.validateDataStructure : false,
      answerMode: d.answerMode,
      failureResponseBody: staticAnswer || d.failureResponseBody === '' ? null : d.failureResponseBody,
      confidential: d.confidential,
    },
  };
}
