import { describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_URL_LENGTH, checkWebhookUrl, defaultUrlPolicy } from '../../core/rules/url-policy.ts';

function refusal(url: string, policy: 'strict' | 'permissive'): string {
  const result = checkWebhookUrl(url, policy);
  if (result.ok) throw new Error(`expected ${url} to be refused under ${policy}`);
  return result.message;
}

describe('checkWebhookUrl under both policies', () => {
  it.each(['strict', 'permissive'] as const)('accepts a public https URL and returns it normalised (%s)', (policy) => {
    expect(checkWebhookUrl('HTTPS://Hooks.Example.COM/in?x=1', policy)).toEqual({ ok: true, url: 'https://hooks.example.com/in?x=1' });
    expect(checkWebhookUrl('https://hooks.example.com', policy)).toEqual({ ok: true, url: 'https://hooks.example.com/' });
  });

  it.each(['strict', 'permissive'] as const)('refuses text that is not a URL (%s)', (policy) => {
    expect(refusal('hooks.example.com/in', policy)).toMatch(/not a valid URL.*https:\/\//);
    expect(refusal('', policy)).toMatch(/not a valid URL/);
  });

  it.each(['strict', 'permissive'] as const)('refuses schemes other than http and https (%s)', (policy) => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'ws://example.com/']) {
      expect(refusal(url, policy)).toMatch(/must start with https:\/\//);
    }
  });

  it.each(['strict', 'permissive'] as const)('refuses credentials in the URL and suggests a header (%s)', (policy) => {
    expect(refusal('https://user:pass@hooks.example.com/', policy)).toMatch(/credentials.*Authorization/);
    expect(refusal('https://user@hooks.example.com/', policy)).toMatch(/credentials/);
    expect(refusal('https://:pass@hooks.example.com/', policy)).toMatch(/credentials/);
  });

  it.each(['strict', 'permissive'] as const)('accepts exactly 2048 characters and refuses 2049 (%s)', (policy) => {
    const prefix = 'https://hooks.example.com/';
    const at = (n: number) => prefix + 'a'.repeat(n - prefix.length);
    expect(checkWebhookUrl(at(MAX_WEBHOOK_URL_LENGTH), policy).ok).toBe(true);
    expect(refusal(at(MAX_WEBHOOK_URL_LENGTH + 1), policy)).toMatch(/2049 characters; the limit is 2048/);
  });

  it('refuses a URL that normalising makes longer than the limit', () => {
    const url = 'https://hooks.example.com/' + 'é'.repeat(700); // each é becomes %C3%A9
    expect(url.length).toBeLessThan(MAX_WEBHOOK_URL_LENGTH);
    expect(refusal(url, 'permissive')).toMatch(/4226 characters once normalised/);
  });
});

describe('checkWebhookUrl under the permissive policy', () => {
  it.each([
    'http://localhost:3000/hook',
    'http://127.0.0.1:8080/',
    'http://[::1]/',
    'http://receiver/',
    'http://printer.local/',
    'http://nonexistent.invalid/',
  ])('accepts %s for local development', (url) => {
    expect(checkWebhookUrl(url, 'permissive').ok).toBe(true);
  });
});

describe('checkWebhookUrl under the strict policy', () => {
  it('requires https', () => {
    expect(refusal('http://hooks.example.com/', 'strict')).toMatch(/must use https:\/\/.*strict/);
  });

  it.each([
    ['https://127.0.0.1/', '127.0.0.1'],
    ['https://8.8.8.8/', '8.8.8.8'],
    ['https://2130706433/', '127.0.0.1'],
    ['https://0x7f.1/', '127.0.0.1'],
    ['https://0x7f000001/', '127.0.0.1'],
    ['https://017700000001/', '127.0.0.1'],
    ['https://127.1/', '127.0.0.1'],
    ['https://0/', '0.0.0.0'],
    ['https://[::1]/', '[::1]'],
    ['https://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['https://[2606:4700::1111]:8443/', '[2606:4700::1111]'],
  ])('refuses the IP literal %s, however it is spelled', (url, shown) => {
    expect(refusal(url, 'strict')).toContain(`not the IP address ${shown}`);
  });

  it.each(['https://localhost/', 'https://LOCALHOST./', 'https://api.localhost/', 'https://printer.local/', 'https://db.internal/', 'https://nas.home.arpa/', 'https://box.localdomain/'])(
    'refuses the internal name %s',
    (url) => {
      expect(refusal(url, 'strict')).toMatch(/public domain name.*only resolves inside a network/);
    },
  );

  it('refuses a single-label host and says to use a fully qualified name', () => {
    expect(refusal('https://receiver/', 'strict')).toMatch(/fully qualified domain name.*"receiver"/);
    expect(refusal('https://receiver./', 'strict')).toMatch(/single label/);
  });

  it('refuses a host with an empty label', () => {
    expect(refusal('https://hooks..example.com/', 'strict')).toMatch(/not a valid host name/);
  });

  it('accepts a fully qualified name with a trailing dot, a port and an IDN', () => {
    expect(checkWebhookUrl('https://hooks.example.com./x', 'strict').ok).toBe(true);
    expect(checkWebhookUrl('https://hooks.example.com:8443/x', 'strict').ok).toBe(true);
    expect(checkWebhookUrl('https://bücher.example/x', 'strict')).toEqual({ ok: true, url: 'https://xn--bcher-kva.example/x' });
  });

  it('accepts names that merely contain an internal word', () => {
    expect(checkWebhookUrl('https://localhost.example.com/', 'strict').ok).toBe(true);
    expect(checkWebhookUrl('https://internal.example.com/', 'strict').ok).toBe(true);
  });
});

describe('defaultUrlPolicy', () => {
  it('is strict in production and permissive elsewhere', () => {
    expect(defaultUrlPolicy({ NODE_ENV: 'production' })).toBe('strict');
    expect(defaultUrlPolicy({ NODE_ENV: 'development' })).toBe('permissive');
    expect(defaultUrlPolicy({})).toBe('permissive');
  });

  it('lets HOOKYARD_URL_POLICY override the default either way', () => {
    expect(defaultUrlPolicy({ NODE_ENV: 'production', HOOKYARD_URL_POLICY: 'permissive' })).toBe('permissive');
    expect(defaultUrlPolicy({ HOOKYARD_URL_POLICY: 'strict' })).toBe('strict');
  });

  it('treats an empty HOOKYARD_URL_POLICY as unset', () => {
    expect(defaultUrlPolicy({ NODE_ENV: 'production', HOOKYARD_URL_POLICY: '' })).toBe('strict');
  });

  it('refuses any other HOOKYARD_URL_POLICY value, naming the variable and the choices', () => {
    expect(() => defaultUrlPolicy({ HOOKYARD_URL_POLICY: 'lax' })).toThrow(/HOOKYARD_URL_POLICY.*"lax".*strict, permissive/);
    expect(() => defaultUrlPolicy({ HOOKYARD_URL_POLICY: 'Strict' })).toThrow(/HOOKYARD_URL_POLICY/);
  });
});
