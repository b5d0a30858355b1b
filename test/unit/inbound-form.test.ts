// The Inbound screen's pure logic: the settings form's text to the API's input, and which
// live rows belong in the queue or the filtered log.
import { describe, expect, it } from 'vitest';
import { draftOf, emptyDraft, parseInboundDraft } from '../../client/src/lib/inbound/inbound-form.ts';
import { inView } from '../../client/src/lib/inbound/inbound-view.ts';

describe('the inbound hook form', () => {
  it('turns text fields into the input: lists, header lines, JSON, an empty rate limit as none', () => {
    const parsed = parseInboundDraft({
      ...emptyDraft(),
      name: ' Shop ',
      eventType: 'order.received',
      ipAllowlist: '10.0.0.0/8\n 2001:db8::/32 ,192.0.2.1',
      rateLimitPerSecond: '',
      responseStatus: '302',
      responseHeaders: 'Location: https://example.com/a:b\n\n',
      dataStructure: '{"type":"object"}',
      validateDataStructure: true,
    });
    expect(parsed).toEqual({
      input: expect.objectContaining({
        name: 'Shop',
        ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1'],
        rateLimitPerSecond: null,
        noRateLimit: true,
        responseStatus: 302,
        responseHeaders: { Location: 'https://example.com/a:b' },
        dataStructure: { type: 'object' },
        validateDataStructure: true,
        scheduleIntervalSeconds: null,
      }),
    });
  });

  it('names the field a draft cannot be read from', () => {
    expect(parseInboundDraft({ ...emptyDraft(), queueLimit: '10k' })).toMatchObject({ error: { field: 'input.queueLimit' } });
    expect(parseInboundDraft({ ...emptyDraft(), processingMode: 'SCHEDULED', scheduleIntervalSeconds: '' })).toMatchObject({ error: { field: 'input.scheduleIntervalSeconds' } });
    expect(parseInboundDraft({ ...emptyDraft(), responseHeaders: 'no colon' })).toMatchObject({ error: { field: 'input.responseHeaders' } });
    expect(parseInboundDraft({ ...emptyDraft(), dataStructure: '{' })).toMatchObject({ error: { field: 'input.dataStructure' } });
  });

  it('sends the custom response only with a static answer, and the failure text only with an answer from processing', () => {
    const draft = { ...emptyDraft(), responseStatus: '202', responseBody: 'ok', responseHeaders: 'X-A: 1', failureResponseBody: 'Not taken.', confidential: true };
    expect(parseInboundDraft(draft)).toEqual({ input: expect.objectContaining({ answerMode: 'STATIC', responseStatus: 202, responseBody: 'ok', responseHeaders: { 'X-A': '1' }, failureResponseBody: null, confidential: true }) });
    expect(parseInboundDraft({ ...draft, answerMode: 'FROM_PROCESSING', responseStatus: 'not read' })).toEqual({
      input: expect.objectContaining({ answerMode: 'FROM_PROCESSING', responseStatus: null, responseBody: null, responseHeaders: {}, failureResponseBody: 'Not taken.' }),
    });
    expect(parseInboundDraft({ ...draft, answerMode: 'FROM_PROCESSING', failureResponseBody: '' })).toEqual({ input: expect.objectContaining({ failureResponseBody: null }) });
  });

  it('reads a hook back into the same draft', () => {
    const draft = { ...emptyDraft(), name: 'a', eventType: 'b.c', ipAllowlist: '10.0.0.0/8', responseHeaders: 'X-A: 1', dataStructure: '' };
    const { input } = parseInboundDraft(draft) as { input: any };
    const hook = { ...input, id: 'inh_1', url: '', dataStructureSource: null, redeterminePending: false, status: 'ACTIVE', statusReason: null, failedRuns: 0, lastRequestAt: null, queuedCount: 0, createdAt: '' };
    expect(draftOf(hook)).toEqual(draft);
  });
});

describe('live rows of the inbound screen', () => {
  it('keeps queued items in the queue and filters the log by status', () => {
    expect(inView({ state: 'QUEUED', status: 'SUCCESS' }, 'queue', [])).toBe(true);
    expect(inView({ state: 'PROCESSED', status: 'SUCCESS' }, 'queue', [])).toBe(false);
    expect(inView({ state: 'REFUSED', status: 'ERROR' }, 'log', ['ERROR'])).toBe(true);
    expect(inView({ state: 'QUEUED', status: 'SUCCESS' }, 'log', ['ERROR', 'WARNING'])).toBe(false);
    expect(inView({ state: 'QUEUED', status: 'SUCCESS' }, 'log', [])).toBe(true);
  });
});
