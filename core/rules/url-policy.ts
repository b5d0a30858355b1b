// Which webhook URLs may be saved. Strict (production) refuses anything that names an
// internal host on its face; the worker still checks resolved addresses at connect time,
// since a public name can point anywhere.
import net from 'node:net';
import { ConfigError } from '../../infra/config.ts';
import type { UrlPolicy } from '../../infra/config.ts';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Suffixes of names that only resolve inside a network (RFC 6761, 6762, 8375, ICANN .internal). */
const INTERNAL_SUFFIXES = ['localhost', 'local', 'internal', 'localdomain', 'home.arpa'];

export type UrlCheck = { ok: true; url: string } | { ok: false; message: string };

/** Checks a webhook URL under `policy`; on success `url` is the normalised form to store. */
export function checkWebhookUrl(url: string, policy: UrlPolicy): UrlCheck {
  const fail = (message: string): UrlCheck => ({ ok: false, message });
  if (url.length > MAX_WEBHOOK_URL_LENGTH) {
    return fail(`the URL is ${url.length} characters; the limit is ${MAX_WEBHOOK_URL_LENGTH}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`"${url}" is not a valid URL; write it in full, e.g. https://hooks.example.com/webhooks`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return fail(`the URL must start with https:// (or http:// outside production), not ${parsed.protocol}//`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return fail('the URL must not contain credentials (user:password@); send them in a secret custom header (secretHeaders), such as Authorization');
  }
  // Normalising can lengthen a URL (percent-encoding, punycode).
  if (parsed.href.length > MAX_WEBHOOK_URL_LENGTH) {
    return fail(`the URL is ${parsed.href.length} characters once normalised; the limit is ${MAX_WEBHOOK_URL_LENGTH}`);
  }
  if (policy === 'strict') {
    if (parsed.protocol !== 'https:') return fail('the URL must use https:// (the URL policy is strict)');
    const problem = hostProblem(parsed.hostname);
    if (problem) return fail(`${problem} (the URL policy is strict)`);
  }
  return { ok: true, url: parsed.href };
}

/** What is wrong with `hostname` under the strict policy, or null. */
function hostProblem(hostname: string): string | null {
  // The URL parser has already turned 2130706433, 0x7f.1, 017700000001 and 127.1 into
  // dotted IPv4, and IPv6 is bracketed, so these two tests catch every IP spelling.
  if (hostname.startsWith('[') || net.isIP(hostname) !== 0) {
    return `the host must be a domain name, not the IP address ${hostname}`;
  }
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  const labels = name.split('.');
  if (labels.some((label) => label === '')) return `"${hostname}" is not a valid host name`;
  const internal = INTERNAL_SUFFIXES.find((suffix) => name === suffix || name.endsWith(`.${suffix}`));
  if (internal) return `the host must be a public domain name; "${name}" is a .${internal} name, which only resolves inside a network`;
  if (labels.length < 2) {
    return `the host must be a fully qualified domain name such as hooks.example.com, not the single label "${name}"`;
  }
  return null;
}

/**
 * The URL policy from the environment: HOOKYARD_URL_POLICY when set, else strict in
 * production (NODE_ENV=production) and permissive elsewhere.
 */
export function defaultUrlPolicy(env: NodeJS.ProcessEnv): UrlPolicy {
  const raw = env.HOOKYARD_URL_POLICY;
  if (raw === undefined || raw === '') return env.NODE_ENV === 'production' ? 'strict' : 'permissive';
  if (raw === 'strict' || raw === 'permissive') return raw;
  throw new ConfigError('HOOKYARD_URL_POLICY', `"${raw}" is not one of strict, permissive; set one of those or unset it`);
}
