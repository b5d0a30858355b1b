// Mail test helpers: send with a real SMTP client (nodemailer) to the listener on
// 127.0.0.1, build raw messages of an exact size, and talk SMTP by hand where a client
// library would not misbehave the way a test needs (leaving mid-DATA).
import net from 'node:net';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type Mail from 'nodemailer/lib/mailer';

export type SendResult = { ok: true; info: SMTPTransport.SentMessageInfo } | { ok: false; responseCode: number | undefined; response: string; message: string };

/** Sends one mail over a new connection; a refusal comes back as data (reply code and text). */
export async function sendMail(port: number, mail: Mail.Options, options: Partial<SMTPTransport.Options> = {}): Promise<SendResult> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...options });
  try {
    return { ok: true, info: await transport.sendMail(mail) };
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; message: string };
    return { ok: false, responseCode: e.responseCode, response: e.response ?? '', message: e.message };
  } finally {
    transport.close();
  }
}

/**
 * A raw message of exactly `size` bytes (headers included, CRLF line ends, ending with CRLF):
 * one base64 attachment of zeros, lines of 76 characters, the last one shorter.
 */
export function rawMessageOfSize(size: number, to: string, subject = 'large'): Buffer {
  const head = [`From: sender@example.com`, `To: ${to}`, `Subject: ${subject}`, 'MIME-Version: 1.0', 'Content-Type: application/octet-stream; name="zeros.bin"', 'Content-Disposition: attachment; filename="zeros.bin"', 'Content-Transfer-Encoding: base64', '', ''].join('\r\n');
  const headBytes = Buffer.byteLength(head);
  let rest = size - headBytes;
  if (rest < 3) throw new Error(`a message needs at least ${headBytes + 3} bytes`);
  const lines: string[] = [];
  // Lines of 76 characters and CRLF; the last one takes what is left (3 to 80 bytes), never a bare line end.
  while (rest > 80) {
    lines.push('A'.repeat(76));
    rest -= 78;
  }
  lines.push('A'.repeat(rest - 2));
  const message = Buffer.from(`${head}${lines.join('\r\n')}\r\n`);
  if (message.length !== size) throw new Error(`built ${message.length} bytes, not ${size}`);
  return message;
}

/** A hand-driven SMTP conversation: `command` sends a line and resolves with the reply. */
export async function smtpConversation(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let buffer = '';
  let waiter: (() => void) | null = null;
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    waiter?.();
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  /** The next complete reply (multi-line replies until the line with a space after the code). */
  const reply = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SMTP reply; so far: ${buffer}`)), 10_000);
      const check = () => {
        const match = /^(?:\d{3}-[^\n]*\n)*\d{3} [^\n]*\n/.exec(buffer);
        if (!match) return;
        buffer = buffer.slice(match[0].length);
        waiter = null;
        clearTimeout(timer);
        resolve(match[0].trim());
      };
      waiter = check;
      check();
    });
  const greeting = await reply();
  return {
    greeting,
    async command(line: string): Promise<string> {
      socket.write(`${line}\r\n`);
      return reply();
    },
    write(data: string | Buffer): void {
      socket.write(data);
    },
    reply,
    destroy(): void {
      socket.destroy();
    },
  };
}
