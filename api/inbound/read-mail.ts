// Reads a mail's DATA within the size limit. Past the limit nothing more is kept: the
// rest is read and dropped, so the client reaches the end of its DATA and reads the 552
// (an SMTP server cannot answer before the end of the message).
import type { Readable } from 'node:stream';

export type MailRead = { ok: true; message: Buffer } | { ok: false; size: number };

/** The whole message if it is at most `limit` bytes, else its size; rejects when the client leaves mid-DATA. */
export function readMail(stream: Readable, limit: number): Promise<MailRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) chunks.length = 0;
      else chunks.push(chunk);
    });
    stream.on('end', () => {
      ended = true;
      resolve(size > limit ? { ok: false, size } : { ok: true, message: Buffer.concat(chunks, size) });
    });
    stream.on('error', reject);
    stream.on('close', () => {
      if (!ended) reject(new Error('the client left before the end of the message'));
    });
  });
}
