// A mail hook's address, `<token>@<mail domain>`, and which token a recipient names.
// Mail tokens are lower-case hex: mail systems may change the case of a local part
// (forwarding rules, old MTAs), and hex survives that; 24 random bytes are 192 bits.
import { randomBytes } from 'node:crypto';

/** Characters of a mail hook token: lower-case hex, 48 of them. */
export const MAIL_TOKEN = /^[0-9a-f]{48}$/;

export function newMailToken(): string {
  return randomBytes(24).toString('hex');
}

export function mailAddress(token: string, domain: string): string {
  return `${token}@${domain}`;
}

/**
 * The token a recipient address names when its domain is the mail domain (any case, a
 * trailing dot allowed) and its local part is a token (any case); null for anything else,
 * which the listener refuses: Hookyard never relays.
 */
export function recipientToken(address: string, domain: string): string | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const local = address.slice(0, at).toLowerCase();
  const host = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  return host === domain && MAIL_TOKEN.test(local) ? local : null;
}
