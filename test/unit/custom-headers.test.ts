import { describe, expect, it } from 'vitest';
import {
  MAX_CUSTOM_HEADERS,
  MAX_CUSTOM_HEADER_NAME_LENGTH,
  MAX_CUSTOM_HEADER_VALUE_LENGTH,
  checkCustomHeaders,
} from '../../core/rules/custom-headers.ts';

function refusal(headers: Record<string, string>): { message: string; header: string } {
  const result = checkCustomHeaders(headers);
  if (result.ok) throw new Error(`expected ${JSON.stringify(headers)} to be refused`);
  return result;
}

describe('checkCustomHeaders', () => {
  it('accepts no headers and ordinary ones, including Authorization', () => {
    expect(checkCustomHeaders({})).toEqual({ ok: true });
    expect(checkCustomHeaders({ Authorization: 'Bearer abc', 'X-Tenant-Id': 'acme', "x-odd!#$%&'*+.^_`|~": 'v' })).toEqual({ ok: true });
  });

  it('accepts an empty value, tabs and Latin-1 characters in values', () => {
    expect(checkCustomHeaders({ 'x-empty': '', 'x-tab': 'a\tb', 'x-latin': 'café' })).toEqual({ ok: true });
  });

  it('accepts 20 headers and refuses 21, naming the first extra one', () => {
    const twenty = Object.fromEntries(Array.from({ length: MAX_CUSTOM_HEADERS }, (_, i) => [`x-h${i}`, 'v']));
    expect(checkCustomHeaders(twenty)).toEqual({ ok: true });
    expect(refusal({ ...twenty, 'x-extra': 'v' })).toMatchObject({ header: 'x-extra', message: 'at most 20 custom headers are allowed; there are 21' });
  });

  it('refuses names that are not RFC 9110 tokens', () => {
    for (const name of ['', 'x header', 'x:colon', 'x\nnewline', 'x(paren)', 'é', 'x"q']) {
      const { header, message } = refusal({ [name]: 'v' });
      expect(header).toBe(name);
      expect(message).toMatch(/not a valid header name/);
    }
  });

  it('refuses a value with CR, LF or NUL (header injection)', () => {
    for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb', 'a\u0000b']) {
      expect(refusal({ 'x-v': value })).toMatchObject({ header: 'x-v', message: expect.stringMatching(/line break, NUL/) });
    }
  });

  it('refuses other control characters and characters outside Latin-1', () => {
    expect(refusal({ 'x-v': 'a\u0007b' }).header).toBe('x-v');
    expect(refusal({ 'x-v': 'a\u007fb' }).header).toBe('x-v');
    expect(refusal({ 'x-v': 'emoji 🎉' }).header).toBe('x-v');
  });

  it('accepts a value of 4096 characters and refuses 4097', () => {
    expect(checkCustomHeaders({ 'x-v': 'a'.repeat(MAX_CUSTOM_HEADER_VALUE_LENGTH) })).toEqual({ ok: true });
    expect(refusal({ 'x-v': 'a'.repeat(MAX_CUSTOM_HEADER_VALUE_LENGTH + 1) }).message).toMatch(/4097 characters; the limit is 4096/);
  });

  it.each(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])(
    'refuses the hop-by-hop header %s in any case',
    (name) => {
      expect(refusal({ [name.toUpperCase()]: 'x' })).toMatchObject({ header: name.toUpperCase(), message: expect.stringMatching(/hop-by-hop/) });
    },
  );

  it.each(['Host', 'Content-Length', 'Content-Type', 'Content-Encoding', 'Expect'])('refuses %s, which Hookyard controls', (name) => {
    expect(refusal({ [name]: 'x' }).message).toMatch(/cannot be set/);
    expect(refusal({ [name.toLowerCase()]: 'x' }).message).toMatch(/cannot be set/);
  });

  it('refuses every reserved name, and only those, among ordinary headers', () => {
    const reserved = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
      'host', 'content-length', 'content-type', 'content-encoding', 'expect', 'user-agent', 'webhook-id'];
    for (const name of reserved) expect(refusal({ 'x-before': 'ok', [name]: 'x', 'x-after': 'ok' }), name).toMatchObject({ header: name, message: expect.stringMatching(/cannot be set/) });
    const allowed = ['authorization', 'x-api-key', 'accept', 'x-proxy-connection', 'tee', 'hosts', 'content-types', 'user-agents', 'webhook', 'x-te'];
    expect(checkCustomHeaders(Object.fromEntries(allowed.map((n) => [n, 'v'])))).toEqual({ ok: true });
  });

  it('accepts a header name of 256 characters and refuses 257', () => {
    expect(checkCustomHeaders({ ['x'.repeat(MAX_CUSTOM_HEADER_NAME_LENGTH)]: 'v' })).toEqual({ ok: true });
    expect(refusal({ ['x'.repeat(MAX_CUSTOM_HEADER_NAME_LENGTH + 1)]: 'v' }).message).toMatch(/257 characters; the limit is 256/);
  });

  it('refuses User-Agent so receivers can always identify Hookyard', () => {
    expect(refusal({ 'user-agent': 'curl/8' }).message).toMatch(/Hookyard\/<version>/);
  });

  it('refuses any webhook-* header, which would clash with the Standard Webhooks headers', () => {
    for (const name of ['webhook-signature', 'Webhook-Id', 'WEBHOOK-TIMESTAMP', 'webhook-custom']) {
      expect(refusal({ [name]: 'x' }).message).toMatch(/Standard Webhooks/);
    }
  });

  it('accepts names that only start like a reserved one', () => {
    expect(checkCustomHeaders({ 'x-webhook-source': 'erp', 'content-language': 'en', hosting: 'x', webhooks: 'x' })).toEqual({ ok: true });
  });

  it('accepts names that are Object.prototype members', () => {
    expect(checkCustomHeaders({ constructor: 'x', toString: 'y' })).toEqual({ ok: true });
  });

  it('refuses the same name twice in different case', () => {
    expect(refusal({ 'X-Tenant': 'a', 'x-tenant': 'b' })).toMatchObject({ header: 'x-tenant', message: expect.stringMatching(/appears twice/) });
  });

  it('refuses a non-string value arriving from JSON', () => {
    expect(refusal({ 'x-n': 5 as unknown as string }).message).toMatch(/string value/);
  });
});
