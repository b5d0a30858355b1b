// Who may call an inbound hook: its IP allowlist (IPv4 and IPv6 CIDRs), and which
// address a request comes from when it passed a trusted reverse proxy.
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** An address as ipaddr.js reads it, IPv4-mapped IPv6 (::ffff:1.2.3.4) as IPv4; null when it is none. */
export function parseAddress(text: string | undefined | null): Address | null {
  if (!text) return null;
  const bare = text.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  return ipaddr.isValid(bare) ? ipaddr.process(bare) : null;
}

function inRange(address: Address, cidr: string): boolean {
  const [range, bits] = ipaddr.parseCIDR(cidr);
  const candidate = address.kind() === 'ipv4' && range.kind() === 'ipv6' ? (address as ipaddr.IPv4).toIPv4MappedAddress() : address;
  return candidate.kind() === range.kind() && candidate.match(range, bits);
}

/** True when the list is empty (everyone may call) or the address is in one of its CIDRs. */
export function addressAllowed(allowlist: string[], address: string | null): boolean {
  if (allowlist.length === 0) return true;
  const parsed = parseAddress(address);
  return parsed !== null && allowlist.some((cidr) => inRange(parsed, cidr));
}

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy (entries further
 * left were written by the client and prove nothing).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trustedProxies: string[]): string | null {
  const peerAddress = parseAddress(peer);
  if (!peerAddress) return null;
  const trusted = (a: Address) => trustedProxies.some((cidr) => inRange(a, cidr));
  if (!trustedProxies.length || !trusted(peerAddress)) return peerAddress.toString();
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
  let client: Address = peerAddress;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseAddress(hops[i]);
    if (!hop) break;
    client = hop;
    if (!trusted(hop)) break;
  }
  return client.toString();
}
