// The SMTP reply for an answer of the accept path. The accept path decides in HTTP terms
// (403, 410, 429, 400 Queue is full...); a mail gets the reply code an SMTP client acts on:
// 4xx makes a well-behaved sender try again later, 5xx bounces the mail to its sender.
import { QUEUE_FULL, type Answer } from './accept-inbound.ts';

/** Reply code and enhanced status code (RFC 3463) for each HTTP status the accept path answers. */
function refusalCode(answer: Answer): [number, string] {
  const { status } = answer;
  if (status === 400 && answer.body === QUEUE_FULL) return [452, '4.2.2'];
  if (status === 400) return [550, '5.6.0'];
  if (status === 403) return [550, '5.7.1'];
  if (status === 404) return [550, '5.1.1'];
  if (status === 410) return [550, '5.2.1'];
  if (status === 413) return [552, '5.3.4'];
  if (status === 429) return [451, '4.7.1'];
  if (status < 500) return [550, '5.7.0'];
  return [451, '4.3.0'];
}

/** One line an SMTP reply can carry: no line breaks or control characters, at most 400 characters. */
function replyText(text: string): string {
  const line = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}

/** The mail's reply when accepted: the hook's custom response is for HTTP senders. */
export const MAIL_ACCEPTED: Answer = { status: 250, headers: {}, body: '2.0.0 Accepted' };

/** The answer as an SMTP reply: status the reply code, body `<enhanced code> <text>`, no headers. */
export function mailAnswer(answer: Answer, accepted: boolean): Answer {
  if (accepted) return MAIL_ACCEPTED;
  const [code, enhanced] = refusalCode(answer);
  return { status: code, headers: {}, body: `${enhanced} ${replyText(answer.body)}` };
}
