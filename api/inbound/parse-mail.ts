// Reads a mail (mailparser): addresses, subject, date, message id, the text and HTML parts
// in their own charsets and transfer encodings, headers decoded, and each attachment's
// name, type, size and SHA-256, its contents kept only when asked.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import libmime from 'libmime';
import { MailParser, type AddressObject, type AttachmentStream, type EmailAddress, type HeaderLines, type MessageText } from 'mailparser';
import type { MailAttachment, MailMailbox, ReceivedMail } from '../../core/inbound/mail-item.ts';

function mailboxes(header: AddressObject | AddressObject[] | undefined): MailMailbox[] {
  const out: MailMailbox[] = [];
  const add = (entry: EmailAddress) => {
    if (entry.group) entry.group.forEach(add);
    else if (entry.address) out.push({ name: entry.name ?? '', address: entry.address });
  };
  for (const object of [header ?? []].flat()) object.value.forEach(add);
  return out;
}

/** A header line's value: unfolded, 8-bit bytes read as UTF-8, encoded words decoded. */
function headerValue(line: string): string {
  const raw = Buffer.from(line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim(), 'binary').toString();
  try {
    return libmime.decodeWords(raw);
  } catch {
    return raw;
  }
}

function headerObject(lines: HeaderLines): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const { key, line } of lines) {
    const value = headerValue(line);
    const seen = Object.hasOwn(headers, key) ? headers[key] : undefined;
    const next = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    Object.defineProperty(headers, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return headers;
}

/** The Date header as ISO 8601, or null (mailparser would put the current time for a bad one). */
function dateOf(headers: Record<string, string | string[]>): string | null {
  const raw = [headers.date ?? []].flat()[0];
  if (!raw) return null;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

async function readAttachment(part: AttachmentStream, keepContents: boolean): Promise<MailAttachment> {
  const chunks: Buffer[] = [];
  await pipeline(part.content, new Writable({ write: (chunk: Buffer, _encoding, next) => (keepContents && chunks.push(chunk), next()) }));
  return {
    filename: part.filename ?? null,
    contentType: part.contentType,
    size: part.size ?? 0,
    sha256: part.checksum ?? '',
    contentId: part.cid ?? null,
    disposition: part.contentDisposition ?? null,
    content: keepContents ? Buffer.concat(chunks) : null,
  };
}

/** Parses a whole message; `keepAttachmentContents` keeps the attachments' bytes (only when a hook asks). */
export function parseMail(message: Buffer, keepAttachmentContents: boolean): Promise<ReceivedMail> {
  return new Promise((resolve, reject) => {
    // The mail's own parts as they are: no text made from HTML, no HTML made from text.
    const parser = new MailParser({ checksumAlgo: 'sha256', skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    const attachments: Promise<MailAttachment>[] = [];
    let lines: HeaderLines = [];
    let text: MessageText | null = null;
    parser.on('headerLines', (value: HeaderLines) => (lines = value));
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') return void (text = data);
      const read = readAttachment(data, keepAttachmentContents);
      attachments.push(read);
      void read.finally(() => data.release?.());
    });
    parser.on('error', reject);
    parser.on('end', async () => {
      try {
        const headers = headerObject(lines);
        resolve({
          from: mailboxes(parser.from),
          to: mailboxes(parser.to),
          cc: mailboxes(parser.cc),
          replyTo: mailboxes(parser.replyTo),
          subject: parser.subject ?? null,
          date: dateOf(headers),
          messageId: parser.messageId ?? null,
          text: text?.text ?? null,
          html: text?.html ?? null,
          headers,
          attachments: await Promise.all(attachments),
        });
      } catch (error) {
        reject(error);
      }
    });
    Readable.from([message]).pipe(parser);
  });
}
