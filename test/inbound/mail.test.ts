// Mail hooks: a real SMTP client (nodemailer) sends to the listener on 127.0.0.1, and each
// mail becomes an inbound request of its hook, through the same accept path as /in/<token>.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestHookyard, useTestHookyard } from '../support/hookyard.ts';
import { freePort } from '../support/ports.ts';
import { eventually } from '../support/receiver.ts';
import { createTenant } from '../support/fixtures.ts';
import { call, createHeldHook, createInboundHook, inboundRequests, runInbound } from './support.ts';
import { rawMessageOfSize, sendMail, smtpConversation } from './mail-support.ts';

const MiB = 1024 * 1024;
const MAIL_LIMIT = 25 * MiB;
const SMTP_PORT = await freePort();

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('mail hooks: SMTP on 127.0.0.1', () => {
  const hy = useTestHookyard({ HOOKYARD_SMTP_PORT: String(SMTP_PORT) });

  const createMailHook = (input: Record<string, unknown> = {}) => createHeldHook(hy.admin, { kind: 'MAIL', ...input });

  /** Log entries without their raw body: a 25 MiB message is slow to fetch as JSON. */
  async function summaries(hookId: string, state: string[]): Promise<any[]> {
    const response = await hy.admin(`query($f: InboundRequestFilter) { inboundRequests(filter: $f, first: 10) { edges { node { state size parsed message response { status body } } } } }`, { f: { hookId, state } });
    return response.data.inboundRequests.edges.map((e: any) => e.node);
  }

  async function onlyRequest(hookId: string): Promise<any> {
    const requests = await inboundRequests(hy.admin, { hookId });
    expect(requests).toHaveLength(1);
    return requests[0];
  }

  it('gives a mail hook the address <token>@localhost, a lower-case hex token, and a new one on regenerate', async () => {
    const hook = await createMailHook();
    expect(hook.kind).toBe('MAIL');
    expect(hook.address).toMatch(/^[0-9a-f]{48}@localhost$/);
    expect(hook.url).toBe(`mailto:${hook.address}`);
    const regenerated = await runInbound(hy.admin, 'regenerateInboundHookToken', { id: hook.id });
    expect(regenerated.inboundHook.address).toMatch(/^[0-9a-f]{48}@localhost$/);
    expect(regenerated.inboundHook.address).not.toBe(hook.address);
    const old = await sendMail(SMTP_PORT, { from: 'a@example.com', to: hook.address, text: 'x' });
    expect(old).toMatchObject({ ok: false, responseCode: 550 });
    // An HTTP hook has no address, and a mail hook's token is no URL.
    expect((await createInboundHook(hy.admin)).address).toBeNull();
    expect((await call(`${hy.baseUrl}/in/${regenerated.inboundHook.address.split('@')[0]}`, { method: 'POST' })).status).toBe(404);
  });

  it('turns a plain text mail into a request: the envelope, the parsed item, the raw message and the 250 reply logged', async () => {
    const hook = await createMailHook();
    const sent = await sendMail(SMTP_PORT, {
      from: '"Ada Lovelace" <ada@example.com>',
      to: hook.address,
      replyTo: 'replies@example.com',
      subject: 'Order 42',
      text: 'Please ship order 42.\nThanks',
      messageId: '<order-42@example.com>',
      date: new Date('2026-11-03T09:00:00Z'),
      headers: { 'X-Shop': 'acme' },
    });
    expect(sent.ok && sent.info.response).toBe('250 2.0.0 Accepted');
    const request = await onlyRequest(hook.id);
    expect(request).toMatchObject({
      kind: 'MAIL',
      method: 'MAIL',
      url: `mailto:${hook.address}`,
      remoteAddress: '127.0.0.1',
      query: {},
      state: 'QUEUED',
      status: 'SUCCESS',
      response: { status: 250, body: '2.0.0 Accepted' },
      parsed: {
        from: { name: 'Ada Lovelace', address: 'ada@example.com' },
        to: [{ name: '', address: hook.address }],
        cc: [],
        bcc: [],
        replyTo: [{ name: '', address: 'replies@example.com' }],
        subject: 'Order 42',
        date: '2026-11-03T09:00:00.000Z',
        messageId: '<order-42@example.com>',
        // The part's own last line end is part of its text.
        text: 'Please ship order 42.\nThanks\n',
        html: null,
        attachments: [],
        envelope: { from: 'ada@example.com', to: [hook.address] },
      },
    });
    expect(request.parsed.headers).toMatchObject({ 'x-shop': 'acme', subject: 'Order 42', 'message-id': '<order-42@example.com>' });
    expect(request.headers['x-shop']).toBe('acme');
    expect(request.bodyEncoding).toBe('UTF8');
    expect(request.body).toMatch(/^Content-Type: text\/plain/m);
    expect(request.body).toContain('Please ship order 42.');
    expect(request.size).toBe(Buffer.byteLength(request.body));
  });

  it('publishes the mail as an event when processed, like an HTTP call', async () => {
    const hook = await createInboundHook(hy.admin, { kind: 'MAIL', eventType: 'mail.received', noRateLimit: true });
    expect((await sendMail(SMTP_PORT, { from: 'ada@example.com', to: hook.address, subject: 'Hello', text: 'Hi' })).ok).toBe(true);
    const processed = await eventually(async () => {
      const [r] = await inboundRequests(hy.admin, { hookId: hook.id });
      return r?.state === 'PROCESSED' ? r : null;
    }, 15_000, 'the mail PROCESSED');
    expect(processed.event).toMatchObject({ type: 'mail.received', source: `/inbound/${hook.id}`, payload: { subject: 'Hello', text: 'Hi\n', from: { address: 'ada@example.com' } } });
  });

  it('describes an HTML mail with two attachments by name, type, size and SHA-256, and keeps their contents only when the hook asks', async () => {
    const pdf = Buffer.alloc(3000, 7);
    const csv = 'id,total\n7,42\n';
    const described = await createMailHook();
    const withContents = await createMailHook({ includeAttachmentContents: true });
    const sent = await sendMail(SMTP_PORT, {
      from: 'billing@example.com',
      to: described.address,
      cc: withContents.address,
      subject: 'Invoice',
      text: 'Invoice attached',
      html: '<p>Invoice <b>attached</b></p>',
      attachments: [
        { filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' },
        { filename: 'lines.csv', content: csv, contentType: 'text/csv' },
      ],
    });
    expect(sent.ok).toBe(true);
    const expected = [
      { filename: 'invoice.pdf', contentType: 'application/pdf', size: 3000, sha256: sha256(pdf), contentId: null, disposition: 'attachment' },
      { filename: 'lines.csv', contentType: 'text/csv', size: Buffer.byteLength(csv), sha256: sha256(csv), contentId: null, disposition: 'attachment' },
    ];
    const plain = (await onlyRequest(described.id)).parsed;
    expect(plain).toMatchObject({ text: 'Invoice attached', html: '<p>Invoice <b>attached</b></p>' });
    expect(plain.attachments).toEqual(expected);
    const full = (await onlyRequest(withContents.id)).parsed;
    expect(full.attachments).toEqual([
      { ...expected[0], content: pdf.toString('base64') },
      { ...expected[1], content: Buffer.from(csv).toString('base64') },
    ]);
  });

  it('keeps attachment contents only while the item stays within the payload limit (1 MiB): the rest say why they are left out', async () => {
    const hook = await createMailHook({ includeAttachmentContents: true });
    // 600 KiB is 800 KiB as base64: the first fits, the second would pass 1 MiB.
    const first = Buffer.alloc(600 * 1024, 1);
    const second = Buffer.alloc(600 * 1024, 2);
    const sent = await sendMail(SMTP_PORT, { from: 'a@example.com', to: hook.address, subject: 'Two files', attachments: [{ filename: 'one.bin', content: first }, { filename: 'two.bin', content: second }] });
    expect(sent.ok).toBe(true);
    const { attachments } = (await onlyRequest(hook.id)).parsed;
    expect(attachments[0].content).toBe(first.toString('base64'));
    expect(attachments[1]).not.toHaveProperty('content');
    expect(attachments[1]).toMatchObject({ size: 600 * 1024, sha256: sha256(second), contentOmitted: `the contents (${600 * 1024} bytes) would take the item past the payload limit of ${MiB} bytes` });
  });

  it('decodes charsets and transfer encodings: an ISO-8859-1 subject and quoted-printable text, a base64 ISO-8859-15 part', async () => {
    const hook = await createMailHook();
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    const message = Buffer.concat([
      latin1(
        [
          'From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.com>',
          `To: ${hook.address}`,
          'Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=',
          'MIME-Version: 1.0',
          'Content-Type: multipart/alternative; boundary="b1"',
          '',
          '--b1',
          'Content-Type: text/plain; charset=ISO-8859-1',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          'Gr=FC=DFe, die Rechnung =FCber 42 =A3 ist bezahlt.',
          '--b1',
          'Content-Type: text/html; charset=ISO-8859-15',
          'Content-Transfer-Encoding: base64',
          '',
          // "<p>Preis: 42 €</p>" in ISO-8859-15, where € is 0xA4.
          Buffer.concat([latin1('<p>Preis: 42 '), Buffer.from([0xa4]), latin1('</p>')]).toString('base64'),
          '--b1--',
          '',
        ].join('\r\n'),
      ),
    ]);
    expect((await sendMail(SMTP_PORT, { envelope: { from: 'joerg@example.com', to: hook.address }, raw: message })).ok).toBe(true);
    const request = await onlyRequest(hook.id);
    expect(request.parsed).toMatchObject({
      from: { name: 'Jörg Müller', address: 'joerg@example.com' },
      subject: 'Grüße aus Köln',
      text: 'Grüße, die Rechnung über 42 £ ist bezahlt.',
      html: '<p>Preis: 42 €</p>',
    });
    expect(request.parsed.headers.subject).toBe('Grüße aus Köln');
    // The raw message is kept as received (7-bit, so shown as text).
    expect(request.bodyEncoding).toBe('UTF8');
    expect(request.body).toBe(message.toString('latin1'));
  });

  it('refuses at RCPT with 550 any address that is not a mail hook, and relays nothing', async () => {
    const hook = await createMailHook();
    const token = hook.address.split('@')[0];
    const unknown = await sendMail(SMTP_PORT, { from: 'a@example.com', to: `${'0'.repeat(48)}@localhost`, text: 'x' });
    expect(unknown).toMatchObject({ ok: false, responseCode: 550 });
    expect(unknown.ok || unknown.response).toMatch(/^550 5\.1\.1 .*no mail hook has this address/);
    // The right token at another domain is a relay: refused.
    const relay = await sendMail(SMTP_PORT, { from: 'a@example.com', to: `${token}@example.com`, text: 'x' });
    expect(relay.ok || relay.response).toMatch(/^550 5\.7\.1 .*relaying denied/);
    const http = await createInboundHook(hy.admin);
    const httpToken = new URL(http.url).pathname.split('/').pop();
    expect((await sendMail(SMTP_PORT, { from: 'a@example.com', to: `${httpToken}@localhost`, text: 'x' })).ok).toBe(false);
    // One good recipient among refused ones: only it gets the mail.
    const mixed = await sendMail(SMTP_PORT, { from: 'a@example.com', to: [hook.address, `${'1'.repeat(48)}@localhost`, 'someone@example.org'], text: 'x' });
    expect(mixed.ok && mixed.info).toMatchObject({ accepted: [hook.address], rejected: [`${'1'.repeat(48)}@localhost`, 'someone@example.org'] });
    expect(await inboundRequests(hy.admin, { hookId: hook.id })).toHaveLength(1);
    expect(await inboundRequests(hy.admin, { hookId: http.id })).toHaveLength(0);
  });

  it('brings a mail to two hooks to each once, each seeing only its own blind copy', async () => {
    const first = await createMailHook();
    const second = await createMailHook();
    const shouted = `${first.address.split('@')[0].toUpperCase()}@localhost`;
    const sent = await sendMail(SMTP_PORT, {
      from: 'a@example.com',
      to: first.address,
      bcc: [second.address],
      subject: 'Both',
      text: 'x',
      // The first hook named twice, once in upper case.
      envelope: { from: 'a@example.com', to: [first.address, shouted, second.address] },
    });
    expect(sent.ok && sent.info.accepted).toHaveLength(3);
    const toFirst = await onlyRequest(first.id);
    const toSecond = await onlyRequest(second.id);
    expect(toFirst.parsed).toMatchObject({ to: [{ address: first.address }], bcc: [], envelope: { to: [first.address, shouted] } });
    expect(toSecond.parsed).toMatchObject({ to: [{ address: first.address }], bcc: [{ name: '', address: second.address }], envelope: { to: [second.address] } });
    expect(JSON.stringify(toFirst.parsed)).not.toContain(second.address);
  });

  it('accepts a mail of exactly 25 MiB and refuses one byte more with 552, declared or not, logging the refusal without the message', { timeout: 120_000 }, async () => {
    const hook = await createMailHook();
    const atLimit = rawMessageOfSize(MAIL_LIMIT, hook.address, 'at the limit');
    const accepted = await sendMail(SMTP_PORT, { envelope: { from: 'a@example.com', to: hook.address }, raw: atLimit });
    expect(accepted.ok).toBe(true);
    const [stored] = await summaries(hook.id, ['QUEUED']);
    expect(stored).toMatchObject({ size: MAIL_LIMIT, parsed: { subject: 'at the limit', attachments: [{ filename: 'zeros.bin', contentType: 'application/octet-stream' }] } });

    // Undeclared: the client sends it all, the listener reads on without keeping it, then answers 552.
    const over = rawMessageOfSize(MAIL_LIMIT + 1, hook.address, 'one byte over');
    const refused = await sendMail(SMTP_PORT, { envelope: { from: 'a@example.com', to: hook.address }, raw: over });
    expect(refused).toMatchObject({ ok: false, responseCode: 552 });
    expect(refused.ok || refused.response).toBe(`552 5.3.4 the mail is ${MAIL_LIMIT + 1} bytes; the limit is ${MAIL_LIMIT} bytes (headers and attachments included).`);
    const [logged] = await inboundRequests(hy.admin, { hookId: hook.id, state: ['REFUSED'] });
    expect(logged).toMatchObject({ size: MAIL_LIMIT + 1, body: null, parsed: null, response: { status: 552 } });

    // Declared with SIZE (advertised in EHLO): refused at MAIL FROM, before a byte of it is sent.
    const smtp = await smtpConversation(SMTP_PORT);
    expect(await smtp.command('EHLO client.example.com')).toMatch(new RegExp(`^250[ -]SIZE ${MAIL_LIMIT}$`, "m"));
    expect(await smtp.command(`MAIL FROM:<a@example.com> SIZE=${MAIL_LIMIT + 1}`)).toMatch(/^552 /);
    expect(await smtp.command(`MAIL FROM:<a@example.com> SIZE=${MAIL_LIMIT}`)).toMatch(/^250 /);
    smtp.destroy();
    expect(await summaries(hook.id, ['QUEUED'])).toHaveLength(1);
  });

  it('gives each mail of one connection to its own recipients only', async () => {
    const first = await createMailHook();
    const second = await createMailHook();
    const smtp = await smtpConversation(SMTP_PORT);
    await smtp.command('EHLO client.example.com');
    for (const [hook, subject] of [[first, 'for the first'], [second, 'for the second']] as const) {
      expect(await smtp.command('MAIL FROM:<a@example.com>')).toMatch(/^250 /);
      expect(await smtp.command(`RCPT TO:<${hook.address}>`)).toMatch(/^250 /);
      expect(await smtp.command('DATA')).toMatch(/^354 /);
      expect(await smtp.command(`From: a@example.com\r\nTo: ${hook.address}\r\nSubject: ${subject}\r\n\r\nx\r\n.`)).toBe('250 2.0.0 Accepted');
    }
    smtp.destroy();
    expect((await onlyRequest(first.id)).parsed.subject).toBe('for the first');
    expect((await onlyRequest(second.id)).parsed.subject).toBe('for the second');
  });

  it("shows a tenant's mail to no other tenant", async () => {
    const hook = await createMailHook();
    expect((await sendMail(SMTP_PORT, { from: 'a@example.com', to: hook.address, subject: 'private', text: 'x' })).ok).toBe(true);
    const other = hy.client((await createTenant(hy.databaseUrl, 'Other tenant')).token);
    const seen = await other(`query($f: InboundRequestFilter) { inboundRequests(filter: $f, first: 10) { totalCount } node(id: "${hook.id}") { id } }`, { f: { hookId: hook.id } });
    expect(seen.data).toEqual({ inboundRequests: { totalCount: 0 }, node: null });
    expect(await inboundRequests(hy.admin, { hookId: hook.id })).toHaveLength(1);
  });

  it('stops the start with a clear message when the SMTP port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(startTestHookyard({ HOOKYARD_SMTP_PORT: String(port) })).rejects.toThrow(`HOOKYARD_SMTP_PORT: port ${port} on 127.0.0.1 is in use; stop what uses it, set HOOKYARD_SMTP_PORT to a free port, or 0 to receive no mail`);
    } finally {
      taken.close();
    }
  });

  it('stores nothing of a mail whose client leaves mid-DATA, and goes on receiving', async () => {
    const hook = await createMailHook();
    const smtp = await smtpConversation(SMTP_PORT);
    expect(smtp.greeting).toMatch(/^220 /);
    expect(await smtp.command('EHLO client.example.com')).toMatch(/^250[ -]/);
    expect(await smtp.command('MAIL FROM:<a@example.com>')).toMatch(/^250 /);
    expect(await smtp.command(`RCPT TO:<${hook.address}>`)).toMatch(/^250 /);
    expect(await smtp.command('DATA')).toMatch(/^354 /);
    smtp.write(`From: a@example.com\r\nTo: ${hook.address}\r\nSubject: cut off\r\n\r\nthe first half of the`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    smtp.destroy();
    expect((await sendMail(SMTP_PORT, { from: 'a@example.com', to: hook.address, subject: 'after', text: 'x' })).ok).toBe(true);
    const requests = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(requests.map((r) => r.parsed?.subject)).toEqual(['after']);
  });

  it('answers 451 past the rate limit, so a sender that retries later loses no mail', { timeout: 60_000 }, async () => {
    const hook = await createMailHook({ rateLimitPerSecond: 1, noRateLimit: false });
    const subjects = ['one', 'two', 'three'];
    const first = await Promise.all(subjects.map((subject) => sendMail(SMTP_PORT, { from: 'a@example.com', to: hook.address, subject, text: subject })));
    const deferred = first.filter((r) => !r.ok);
    expect(deferred.length).toBeGreaterThanOrEqual(1);
    for (const r of deferred) expect(r).toMatchObject({ ok: false, responseCode: 451, response: expect.stringMatching(/^451 4\.7\.1 this hook accepts 1 mail per second; try again in 1 s\./) });
    // A well-behaved sender keeps the mail and tries again.
    const waiting = subjects.filter((_s, i) => !first[i].ok);
    await eventually(async () => {
      for (const subject of [...waiting]) {
        if ((await sendMail(SMTP_PORT, { from: 'a@example.com', to: hook.address, subject, text: subject })).ok) waiting.splice(waiting.indexOf(subject), 1);
      }
      return waiting.length === 0;
    }, 30_000, 'every deferred mail accepted on a retry');
    const queued = await inboundRequests(hy.admin, { hookId: hook.id, state: ['QUEUED'] });
    expect(queued.map((r) => r.parsed.subject).sort()).toEqual(['one', 'three', 'two']);
    const refused = await inboundRequests(hy.admin, { hookId: hook.id, state: ['REFUSED'] });
    expect(refused.length).toBeGreaterThanOrEqual(deferred.length);
    expect(refused[0]).toMatchObject({ status: 'ERROR', response: { status: 451 }, message: 'past the rate limit of 1 requests per second' });
  });

  it('refuses by the sending server address outside the IP allowlist (550), a deleted hook (550), a full queue (452), logging each', async () => {
    const outside = await createMailHook({ ipAllowlist: ['203.0.113.0/24'] });
    const refused = await sendMail(SMTP_PORT, { from: 'a@example.com', to: outside.address, text: 'x' });
    expect(refused.ok || refused.response).toBe("550 5.7.1 127.0.0.1 is not in this hook's IP allowlist.");
    expect(await onlyRequest(outside.id)).toMatchObject({ state: 'REFUSED', remoteAddress: '127.0.0.1', response: { status: 550 } });
    const inside = await createMailHook({ ipAllowlist: ['127.0.0.0/8'] });
    expect((await sendMail(SMTP_PORT, { from: 'a@example.com', to: inside.address, text: 'x' })).ok).toBe(true);

    const deleted = await createMailHook();
    await runInbound(hy.admin, 'deleteInboundHook', { id: deleted.id });
    const gone = await sendMail(SMTP_PORT, { from: 'a@example.com', to: deleted.address, text: 'x' });
    expect(gone.ok || gone.response).toMatch(/^550 5\.2\.1 Gone: this inbound hook was deleted/);

    const full = await createMailHook({ queueLimit: 1 });
    expect((await sendMail(SMTP_PORT, { from: 'a@example.com', to: full.address, text: 'x' })).ok).toBe(true);
    const second = await sendMail(SMTP_PORT, { from: 'a@example.com', to: full.address, text: 'x' });
    expect(second.ok || second.response).toBe('452 4.2.2 Queue is full');
    expect(await inboundRequests(hy.admin, { hookId: full.id, state: ['REFUSED'] })).toMatchObject([{ response: { status: 452 } }]);
  });

  it('refuses with 550 a mail whose item fails the data structure, after DATA', async () => {
    const hook = await createMailHook({ dataStructure: { type: 'object', required: ['subject'], properties: { subject: { type: 'string', pattern: '^Order ' } } } });
    const refused = await sendMail(SMTP_PORT, { from: 'a@example.com', to: hook.address, subject: 'Hello', text: 'x' });
    expect(refused.ok || refused.response).toMatch(/^550 5\.6\.0 The item does not match the data structure: item\/subject must match pattern/);
    expect((await sendMail(SMTP_PORT, { from: 'a@example.com', to: hook.address, subject: 'Order 7', text: 'x' })).ok).toBe(true);
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// Skipped only on a machine without the openssl CLI, which makes the test certificate.
describe.skipIf(!hasOpenssl)('mail hooks: STARTTLS', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-smtp-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  // A self-signed certificate for localhost and 127.0.0.1, made by the openssl CLI.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const port = await freePort();
  const hy = useTestHookyard({ HOOKYARD_SMTP_PORT: String(port), HOOKYARD_SMTP_TLS_CERT: certFile, HOOKYARD_SMTP_TLS_KEY: keyFile, HOOKYARD_MAIL_DOMAIN: 'Hooks.Example.TEST' });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('offers STARTTLS with the configured certificate, and receives the mail over it', async () => {
    const hook = await createHeldHook(hy.admin, { kind: 'MAIL' });
    expect(hook.address).toMatch(/^[0-9a-f]{48}@hooks\.example\.test$/);
    const cert = await fs.readFile(certFile);
    // requireTLS: the client refuses to send unless the upgrade succeeds; ca: only this certificate is trusted.
    const sent = await sendMail(port, { from: 'a@example.com', to: hook.address, subject: 'secret', text: 'over TLS' }, { ignoreTLS: false, requireTLS: true, tls: { ca: [cert] } });
    expect(sent.ok).toBe(true);
    const [request] = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(request.parsed).toMatchObject({ subject: 'secret', text: 'over TLS\n' });
    const smtp = await smtpConversation(port);
    expect(await smtp.command('EHLO client.example.com')).toMatch(/^250[ -]STARTTLS$/m);
    smtp.destroy();
  });
});

describe('mail hooks: without a certificate', () => {
  it('offers no STARTTLS, so a client that requires TLS sends nothing', async () => {
    const port = await freePort();
    const hy = await startTestHookyard({ HOOKYARD_SMTP_PORT: String(port) });
    try {
      const hook = await createHeldHook(hy.admin, { kind: 'MAIL' });
      const smtp = await smtpConversation(port);
      expect(await smtp.command('EHLO client.example.com')).not.toMatch(/STARTTLS/);
      expect(await smtp.command('STARTTLS')).toMatch(/^5\d\d /);
      smtp.destroy();
      const sent = await sendMail(port, { from: 'a@example.com', to: hook.address, text: 'x' }, { ignoreTLS: false, requireTLS: true });
      expect(sent.ok).toBe(false);
      expect(await inboundRequests(hy.admin, { hookId: hook.id })).toHaveLength(0);
    } finally {
      await hy.stop();
    }
  });
});
