// The parsed item of a mail: what a mail hook publishes as the event's payload. Built per
// hook from one parsed mail, since each hook sees only its own envelope recipient (as
// bcc when the headers do not name it) and asks for attachment contents or not.

export interface MailMailbox {
  name: string;
  address: string;
}

/** An attachment as the listener read it: described always, its contents kept only when a hook asks. */
export interface MailAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  /** Hex SHA-256 of the decoded contents. */
  sha256: string;
  contentId: string | null;
  /** inline or attachment, as the mail said; null when it said neither. */
  disposition: string | null;
  content: Buffer | null;
}

/** What the listener made of a mail, the same for every hook it reaches. */
export interface ReceivedMail {
  from: MailMailbox[];
  to: MailMailbox[];
  cc: MailMailbox[];
  replyTo: MailMailbox[];
  subject: string | null;
  /** The Date header as ISO 8601; null when it is missing or not a date. */
  date: string | null;
  messageId: string | null;
  text: string | null;
  html: string | null;
  /** Header names in lower case, values decoded (encoded words) and unfolded; a repeated header is a list. */
  headers: Record<string, string | string[]>;
  attachments: MailAttachment[];
}

export interface MailEnvelope {
  /** MAIL FROM (the return path); empty for a bounce. */
  from: string;
  /** The recipients this hook was reached at (RCPT TO). */
  to: string[];
}

export interface MailItemOptions {
  includeAttachmentContents: boolean;
  /** The largest item the event may carry: contents go in while the item stays within it. */
  payloadLimitBytes: number;
}

/** An attachment whose contents did not fit says so under this key instead of `content`. */
export const CONTENT_OMITTED_KEY = 'contentOmitted';

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** The envelope recipients the To and Cc headers do not name: this hook's blind copies. */
function blindCopies(mail: ReceivedMail, envelope: MailEnvelope): MailMailbox[] {
  const named = new Set([...mail.to, ...mail.cc].map((m) => m.address.toLowerCase()));
  return envelope.to.filter((address) => !named.has(address.toLowerCase())).map((address) => ({ name: '', address }));
}

export function buildMailItem(mail: ReceivedMail, envelope: MailEnvelope, options: MailItemOptions): Record<string, unknown> {
  const attachments: Record<string, unknown>[] = mail.attachments.map((a) => ({
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
    contentId: a.contentId,
    disposition: a.disposition,
  }));
  const item: Record<string, unknown> = {
    from: mail.from[0] ?? null,
    to: mail.to,
    cc: mail.cc,
    bcc: blindCopies(mail, envelope),
    replyTo: mail.replyTo,
    subject: mail.subject,
    date: mail.date,
    messageId: mail.messageId,
    text: mail.text,
    html: mail.html,
    headers: mail.headers,
    attachments,
    envelope: { from: envelope.from, to: envelope.to },
  };
  if (!options.includeAttachmentContents) return item;
  // In order, each attachment's contents go in while the whole item stays within the limit.
  let size = jsonBytes(item);
  mail.attachments.forEach((attachment, i) => {
    const encoded = attachment.content?.toString('base64') ?? null;
    const added = encoded === null ? 0 : encoded.length + ',"content":""'.length;
    if (encoded !== null && size + added <= options.payloadLimitBytes) {
      attachments[i].content = encoded;
      size += added;
    } else {
      const omitted = `the contents (${attachment.size} bytes) would take the item past the payload limit of ${options.payloadLimitBytes} bytes`;
      attachments[i][CONTENT_OMITTED_KEY] = omitted;
      size += jsonBytes(omitted) + `,"${CONTENT_OMITTED_KEY}":`.length;
    }
  });
  return item;
}
