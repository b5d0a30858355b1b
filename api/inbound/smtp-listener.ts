// The SMTP listener of mail hooks: mail to `<token>@<HOOKYARD_MAIL_DOMAIN>` becomes an
// inbound request of that hook, through the same accept path as an HTTP call (queue,
// processing, rate limit, allowlist, log). Per recipient, at RCPT: 550 for any address
// that is not a mail hook's (never a relay), then the checks of /in/<token> in its order
// (410 deleted or expired, 403 allowlist by the sending server's address, 429 rate
// limit, queue full), each as the SMTP reply a sender acts on. At the end of DATA: 552
// past the size limit, else the mail is parsed once and accepted by each hook once.
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Services } from '../../core/services.ts';
import { ConfigError } from '../../infra/config.ts';
import * as sql from '../../core/sql/inbound.ts';
import { QUEUE_FULL, acceptItem, goneAnswer, logRefusal, textAnswer, type AcceptDeps, type Answer, type HookRow, type ReceivedCall } from '../../core/inbound/accept-inbound.ts';
import { addressAllowed, clientAddress } from '../../core/inbound/ip-allowlist.ts';
import { recipientToken } from '../../core/inbound/mail-address.ts';
import { mailAnswer } from '../../core/inbound/mail-answer.ts';
import { buildMailItem, type ReceivedMail } from '../../core/inbound/mail-item.ts';
import type { InboundRateLimiter } from './inbound-rate-limiter.ts';
import { readMail } from './read-mail.ts';
import { parseMail } from './parse-mail.ts';

type MailHookRow = HookRow & { include_attachment_contents: boolean };

/** A hook this mail reaches, at the recipient addresses that named it. */
interface Recipient {
  hook: MailHookRow;
  addresses: string[];
}

/** Connections open at once; each may hold one mail of up to the size limit in memory. */
const MAX_CLIENTS = 50;

function smtpError(answer: Answer): Error {
  return Object.assign(new Error(answer.body), { responseCode: answer.status });
}

/** An SMTP refusal passes as it is; anything else (the database away) is logged and answered 451, its text never sent. */
function replyTo(log: Services['log'], stage: string, callback: (error?: Error | null) => void) {
  return (error: unknown) => {
    if (error instanceof Error && 'responseCode' in error) return callback(error);
    log.error({ err: error }, `could not handle a mail at ${stage}`);
    callback(smtpError({ status: 451, headers: {}, body: '4.3.0 Hookyard could not take this mail now; try again later.' }));
  };
}

/** The size the client declared (MAIL FROM ... SIZE=n), else 0. */
function declaredSize(session: SMTPServerSession): number {
  const args = session.envelope.mailFrom ? session.envelope.mailFrom.args : false;
  return args && args.SIZE ? Number(args.SIZE) || 0 : 0;
}

export interface SmtpListener {
  start(): Promise<{ port: number; host: string } | null>;
  stop(): Promise<void>;
}

export function createSmtpListener(services: Services, rateLimiter: InboundRateLimiter): SmtpListener {
  const { config, log } = services;
  const deps: AcceptDeps = { pool: services.pool, boss: services.boss, log, config, answerAs: mailAnswer };
  // The hooks of each transaction: smtp-server gives every transaction a new envelope.
  const transactions = new WeakMap<object, Map<string, Recipient>>();
  let server: SMTPServer | null = null;

  function callFor(session: SMTPServerSession, address: string, size: number): ReceivedCall {
    return {
      kind: 'MAIL',
      receivedAt: new Date(),
      method: 'MAIL',
      url: `mailto:${address}`,
      // The sending server's address: SMTP has no proxy header to believe.
      remoteAddress: clientAddress(session.remoteAddress, undefined, []),
      headers: {},
      query: {},
      body: null,
      bodySize: size,
    };
  }

  /** The refusal of one recipient, or null when its hook takes mail now. */
  async function checkRecipient(hook: MailHookRow, call: ReceivedCall): Promise<Answer | null> {
    const gone = goneAnswer(hook);
    if (gone) return logRefusal(deps, hook, call, gone, gone.body);
    if (!addressAllowed(hook.ip_allowlist, call.remoteAddress)) {
      return logRefusal(deps, hook, call, textAnswer(403, `${call.remoteAddress ?? 'this server'} is not in this hook's IP allowlist.`), `${call.remoteAddress} is outside the IP allowlist`);
    }
    if (hook.rate_limit_per_second !== null) {
      const waitMs = await rateLimiter.waitMs(hook.id, hook.rate_limit_per_second);
      if (waitMs > 0) {
        const seconds = Math.max(1, Math.ceil(waitMs / 1000));
        return logRefusal(
          deps,
          hook,
          call,
          textAnswer(429, `this hook accepts ${hook.rate_limit_per_second} mail${hook.rate_limit_per_second === 1 ? '' : 's'} per second; try again in ${seconds} s.`),
          `past the rate limit of ${hook.rate_limit_per_second} requests per second`,
        );
      }
    }
    // Refused here, a full queue is this recipient's alone; at the end of DATA the reply would be the whole mail's.
    if ((hook.queued ?? 0) >= hook.queue_limit) {
      return logRefusal(deps, hook, call, textAnswer(400, QUEUE_FULL), `Queue is full: ${hook.queue_limit} items wait (the hook's queue limit)`);
    }
    return null;
  }

  async function onRcptTo(address: string, session: SMTPServerSession): Promise<void> {
    const token = recipientToken(address, config.mailDomain);
    if (token === null) {
      throw smtpError({ status: 550, headers: {}, body: `5.7.1 <${address}>: relaying denied; this server only receives mail for mail hooks at @${config.mailDomain}` });
    }
    const hook = (await services.pool.query<MailHookRow>(sql.hookByToken(token))).rows[0];
    if (!hook || hook.kind !== 'MAIL') throw smtpError({ status: 550, headers: {}, body: `5.1.1 <${address}>: no mail hook has this address` });
    let recipients = transactions.get(session.envelope);
    if (!recipients) transactions.set(session.envelope, (recipients = new Map()));
    const known = recipients.get(hook.id);
    // The same hook named twice (another case, a repeated RCPT) gets the mail once.
    if (known) return void known.addresses.push(address);
    const refusal = await checkRecipient(hook, callFor(session, address, declaredSize(session)));
    if (refusal) throw smtpError(refusal);
    recipients.set(hook.id, { hook, addresses: [address] });
  }

  /** Accepts the mail for one hook; a failure is this hook's alone. */
  async function acceptFor(recipient: Recipient, session: SMTPServerSession, message: Buffer, mail: ReceivedMail): Promise<Answer> {
    const { hook } = recipient;
    const call: ReceivedCall = { ...callFor(session, recipient.addresses[0], message.length), headers: mail.headers, body: message };
    const item = buildMailItem(
      mail,
      { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: recipient.addresses },
      { includeAttachmentContents: hook.include_attachment_contents, payloadLimitBytes: config.payloadLimitBytes },
    );
    // Counted again: the DATA may have taken minutes since RCPT.
    return acceptItem(deps, { ...hook, queued: undefined }, call, item);
  }

  async function onData(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const recipients = [...(transactions.get(session.envelope)?.values() ?? [])];
    if (!recipients.length) throw smtpError({ status: 503, headers: {}, body: '5.5.1 no accepted recipient' });
    const read = await readMail(stream, config.mailSizeLimitBytes).catch(() => {
      // The client left mid-DATA: nothing is stored, and no one is left to read a reply.
      throw smtpError({ status: 451, headers: {}, body: '4.4.2 the connection ended before the message did' });
    });
    if (!read.ok) {
      const refusal = textAnswer(413, `the mail is ${read.size} bytes; the limit is ${config.mailSizeLimitBytes} bytes (headers and attachments included).`);
      const answers = await Promise.all(recipients.map((r) => logRefusal(deps, r.hook, callFor(session, r.addresses[0], read.size), refusal, `Payload Too Large: ${refusal.body}`)));
      throw smtpError(answers[0] ?? mailAnswer(refusal, false));
    }
    let mail: ReceivedMail;
    try {
      mail = await parseMail(read.message, recipients.some((r) => r.hook.include_attachment_contents));
    } catch (error) {
      const refusal = textAnswer(400, `the mail cannot be read: ${(error as Error).message}`);
      const answers = await Promise.all(recipients.map((r) => logRefusal(deps, r.hook, { ...callFor(session, r.addresses[0], read.message.length), body: read.message }, refusal, refusal.body)));
      throw smtpError(answers[0] ?? mailAnswer(refusal, false));
    }
    const outcomes = await Promise.allSettled(recipients.map((r) => acceptFor(r, session, read.message, mail)));
    const answers = outcomes.map((outcome, i) => {
      if (outcome.status === 'fulfilled') return outcome.value;
      log.error({ err: outcome.reason, hookId: recipients[i].hook.id }, 'could not accept a mail');
      return mailAnswer(textAnswer(500, 'the mail could not be stored; try again later.'), false);
    });
    // One reply for the whole mail: accepted when any hook took it (the others logged why not),
    // else a temporary refusal if there is one (a retry may pass), else the first.
    const accepted = answers.find((a) => a.status < 300);
    if (accepted) return accepted.body;
    throw smtpError(answers.find((a) => a.status < 500) ?? answers[0]);
  }

  async function tlsOptions(): Promise<{ key: Buffer; cert: Buffer } | null> {
    if (!config.smtpTls) return null;
    const read = async (variable: string, file: string) => {
      try {
        return await fs.readFile(file);
      } catch (error) {
        throw new ConfigError(variable, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; give a readable PEM file`);
      }
    };
    return { cert: await read('HOOKYARD_SMTP_TLS_CERT', config.smtpTls.certFile), key: await read('HOOKYARD_SMTP_TLS_KEY', config.smtpTls.keyFile) };
  }

  return {
    async start() {
      if (config.smtpPort === 0) return null;
      const tls = await tlsOptions();
      let created: SMTPServer;
      try {
        created = new SMTPServer({
          name: config.mailDomain,
          banner: 'Hookyard mail hooks',
          size: config.mailSizeLimitBytes,
          authOptional: true,
          disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
          hideSTARTTLS: !tls,
          ...(tls ?? {}),
          logger: false,
          // The sending server's name is not checked: a reverse lookup would only slow every connection.
          disableReverseLookup: true,
          maxClients: MAX_CLIENTS,
          closeTimeout: 5_000,
          onRcptTo: (address, session, callback) => void onRcptTo(address.address, session).then(() => callback(), replyTo(log, 'RCPT', callback)),
          onData: (stream, session, callback) => void onData(stream, session).then((reply) => callback(null, reply), replyTo(log, 'DATA', callback)),
        });
      } catch (error) {
        throw new ConfigError('HOOKYARD_SMTP_TLS_CERT', `the certificate and key cannot be used for STARTTLS: ${(error as Error).message}`);
      }
      server = created;
      // A connection's failure (a reset, a bad TLS handshake) ends that connection only.
      created.on('error', (error) => log.debug({ err: error }, 'SMTP connection error'));
      const { host, smtpPort } = config;
      await new Promise<void>((resolve, reject) => {
        const netServer = created.server;
        const failed = (error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE') reject(new ConfigError('HOOKYARD_SMTP_PORT', `port ${smtpPort} on ${host} is in use; stop what uses it, set HOOKYARD_SMTP_PORT to a free port, or 0 to receive no mail`));
          else if (error.code === 'EACCES') reject(new ConfigError('HOOKYARD_SMTP_PORT', `port ${smtpPort} needs privileges; use a port above 1023 (forward 25 to it) or run with the capability to bind it`));
          else reject(error);
        };
        netServer.once('error', failed);
        created.listen(smtpPort, host, () => {
          netServer.off('error', failed);
          resolve();
        });
      });
      return { port: (created.server.address() as AddressInfo).port, host };
    },
    async stop() {
      const running = server;
      server = null;
      if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
    },
  };
}
