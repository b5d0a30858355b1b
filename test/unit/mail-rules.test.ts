// Mail hooks' pure rules: which recipient names a hook, the SMTP reply for each answer of
// the accept path, the mail item (blind copies, contents within the payload limit), and
// the listener's settings.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAIL_TOKEN, mailAddress, newMailToken, recipientToken } from '../../core/inbound/mail-address.ts';
import { mailAnswer } from '../../core/inbound/mail-answer.ts';
import { QUEUE_FULL, textAnswer } from '../../core/inbound/accept-inbound.ts';
import { CONTENT_OMITTED_KEY, buildMailItem, type ReceivedMail } from '../../core/inbound/mail-item.ts';
import { readMail } from '../../api/inbound/read-mail.ts';
import { ConfigError, loadConfig } from '../../infra/config.ts';

const TOKEN = 'ab'.repeat(24);

describe('mail hook addresses', () => {
  it('makes 48 lower-case hex characters, different each time', () => {
    const token = newMailToken();
    expect(token).toMatch(MAIL_TOKEN);
    expect(newMailToken()).not.toBe(token);
    expect(mailAddress(token, 'localhost')).toBe(`${token}@localhost`);
  });

  it('reads the token of a recipient at the mail domain, in any case, with or without a trailing dot', () => {
    expect(recipientToken(`${TOKEN}@hooks.example.com`, 'hooks.example.com')).toBe(TOKEN);
    expect(recipientToken(`${TOKEN.toUpperCase()}@HOOKS.Example.com.`, 'hooks.example.com')).toBe(TOKEN);
  });

  it.each([
    ['another domain', `${TOKEN}@example.com`],
    ['a subdomain', `${TOKEN}@sub.hooks.example.com`],
    ['one character short', `${TOKEN.slice(1)}@hooks.example.com`],
    ['one character long', `${TOKEN}a@hooks.example.com`],
    ['a non-hex character', `${TOKEN.slice(1)}g@hooks.example.com`],
    ['no local part', '@hooks.example.com'],
    ['no @', TOKEN],
    ['a quoted @ in the local part', `"${TOKEN}@hooks.example.com"@example.com`],
  ])('names no hook with %s', (_why, address) => {
    expect(recipientToken(address, 'hooks.example.com')).toBeNull();
  });
});

describe('the SMTP reply of an answer', () => {
  it('is 250 for any accepted answer, the custom HTTP response left out', () => {
    expect(mailAnswer(textAnswer(302, 'Found', { location: 'https://example.com' }), true)).toEqual({ status: 250, headers: {}, body: '2.0.0 Accepted' });
  });

  it.each([
    [textAnswer(400, QUEUE_FULL), 452, '4.2.2 Queue is full'],
    [textAnswer(400, 'The item does not match the data structure: x'), 550, '5.6.0 The item does not match the data structure: x'],
    [textAnswer(403, 'not allowed'), 550, '5.7.1 not allowed'],
    [textAnswer(410, 'Gone: deleted'), 550, '5.2.1 Gone: deleted'],
    [textAnswer(413, 'too big'), 552, '5.3.4 too big'],
    [textAnswer(429, 'slow down'), 451, '4.7.1 slow down'],
    [textAnswer(500, 'broken'), 451, '4.3.0 broken'],
  ])('refuses %o with %i', (answer, status, body) => {
    expect(mailAnswer(answer, false)).toEqual({ status, headers: {}, body });
  });

  it('keeps a reply on one line of at most 400 characters', () => {
    const reply = mailAnswer(textAnswer(400, `a\r\nb\u0000c${'x'.repeat(500)}`), false);
    expect(reply.body).toMatch(/^5\.6\.0 a b cx+\.\.\.$/);
    expect(reply.body.length).toBe('5.6.0 '.length + 400);
  });
});

function mail(overrides: Partial<ReceivedMail> = {}): ReceivedMail {
  return { from: [], to: [], cc: [], replyTo: [], subject: null, date: null, messageId: null, text: null, html: null, headers: {}, attachments: [], ...overrides };
}

function attachment(content: Buffer) {
  return { filename: 'f.bin', contentType: 'application/octet-stream', size: content.length, sha256: 'x', contentId: null, disposition: 'attachment', content };
}

describe('the mail item', () => {
  it('lists as bcc the envelope recipients that To and Cc do not name, in any case', () => {
    const item = buildMailItem(
      mail({ to: [{ name: '', address: 'A@x.test' }], cc: [{ name: 'C', address: 'c@x.test' }] }),
      { from: 's@x.test', to: ['a@x.test', 'C@X.TEST', 'hook@x.test'] },
      { includeAttachmentContents: false, payloadLimitBytes: 1000 },
    );
    expect(item.bcc).toEqual([{ name: '', address: 'hook@x.test' }]);
  });

  it('leaves contents out unless asked', () => {
    const item = buildMailItem(mail({ attachments: [attachment(Buffer.from('abc'))] }), { from: '', to: [] }, { includeAttachmentContents: false, payloadLimitBytes: 1_000_000 });
    expect(item.attachments).toEqual([{ filename: 'f.bin', contentType: 'application/octet-stream', size: 3, sha256: 'x', contentId: null, disposition: 'attachment' }]);
  });

  it('puts contents in while the whole item stays within the limit, to the byte', () => {
    const received = mail({ attachments: [attachment(Buffer.from('abc'))] });
    const envelope = { from: '', to: [] };
    const size = Buffer.byteLength(JSON.stringify(buildMailItem(received, envelope, { includeAttachmentContents: true, payloadLimitBytes: 1_000_000 })));
    const atLimit = buildMailItem(received, envelope, { includeAttachmentContents: true, payloadLimitBytes: size });
    expect((atLimit.attachments as any[])[0].content).toBe('YWJj');
    expect(Buffer.byteLength(JSON.stringify(atLimit))).toBe(size);
    const under = buildMailItem(received, envelope, { includeAttachmentContents: true, payloadLimitBytes: size - 1 });
    expect((under.attachments as any[])[0]).not.toHaveProperty('content');
    expect((under.attachments as any[])[0][CONTENT_OMITTED_KEY]).toBe(`the contents (3 bytes) would take the item past the payload limit of ${size - 1} bytes`);
  });
});

describe('reading a mail within the size limit', () => {
  it('keeps a mail of exactly the limit and refuses one byte more, reading it to the end', async () => {
    expect(await readMail(Readable.from([Buffer.alloc(600), Buffer.alloc(424)]), 1024)).toEqual({ ok: true, message: Buffer.alloc(1024) });
    const over = Readable.from([Buffer.alloc(1024), Buffer.alloc(1), Buffer.alloc(5000)]);
    expect(await readMail(over, 1024)).toEqual({ ok: false, size: 6025 });
    expect(over.readableEnded).toBe(true);
  });

  it('rejects when the stream breaks off before its end', async () => {
    const stream = new Readable({ read() {} });
    const read = readMail(stream, 1024);
    stream.push(Buffer.alloc(10));
    stream.destroy(new Error('connection closed'));
    await expect(read).rejects.toThrow('connection closed');
  });
});

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('the mail settings', () => {
  it('listen on 2525 by default, 0 turning mail off, with a 25 MiB limit', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ smtpPort: 2525, mailDomain: 'localhost', mailSizeLimitBytes: 25 * 1024 * 1024, smtpTls: null });
    expect(loadConfig({ HOOKYARD_SMTP_PORT: '0' }).smtpPort).toBe(0);
    expect(refusal({ HOOKYARD_SMTP_PORT: '65536' }).variable).toBe('HOOKYARD_SMTP_PORT');
  });

  it('take the mail domain from HOOKYARD_MAIL_DOMAIN, else the public URL host, in lower case', () => {
    expect(loadConfig({ HOOKYARD_PUBLIC_URL: 'https://Hooks.Example.com/base' }).mailDomain).toBe('hooks.example.com');
    expect(loadConfig({ HOOKYARD_PUBLIC_URL: 'https://[2001:db8::1]' }).mailDomain).toBe('localhost');
    expect(loadConfig({ HOOKYARD_MAIL_DOMAIN: 'In.Example.COM.' }).mailDomain).toBe('in.example.com');
    for (const bad of ['a@b.com', 'example.com:25', '-bad.example.com', 'a..b']) {
      const error = refusal({ HOOKYARD_MAIL_DOMAIN: bad });
      expect(error.variable).toBe('HOOKYARD_MAIL_DOMAIN');
      expect(error.message).toMatch(/is not a domain name/);
    }
  });

  it('want both TLS files or neither', () => {
    expect(loadConfig({ HOOKYARD_SMTP_TLS_CERT: '/c.pem', HOOKYARD_SMTP_TLS_KEY: '/k.pem' }).smtpTls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    expect(refusal({ HOOKYARD_SMTP_TLS_CERT: '/c.pem' }).variable).toBe('HOOKYARD_SMTP_TLS_KEY');
    expect(refusal({ HOOKYARD_SMTP_TLS_KEY: '/k.pem' }).variable).toBe('HOOKYARD_SMTP_TLS_CERT');
  });
});
