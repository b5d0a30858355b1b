// Where the worker may connect. In strict mode every address a webhook host resolves
// to is checked at connect time, and the socket uses exactly the checked addresses,
// so DNS rebinding between a check and the connection cannot slip through.
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

export type AddressPolicy = 'strict' | 'permissive';

type LookupAddress = dns.LookupAddress;
type LookupAllOptions = dns.LookupAllOptions;
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** Well-known cloud metadata endpoints, named in messages (their ranges are refused anyway). */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']);

/** Readable names for ipaddr.js range names used in messages; others read well as they are. */
const RANGE_LABELS: Record<string, string> = {
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  rfc6145: 'IPv4-translated',
  rfc6052: 'local-use NAT64',
  '6to4': '6to4 tunnel',
  teredo: 'Teredo tunnel',
  segmentRouting: 'segment-routing',
};
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * Why `ip` must not be connected to (e.g. "loopback", "private"), or null when it is a
 * public unicast address. Anything that does not parse as an IP is refused.
 */
export function forbiddenAddressKind(ip: string): string | null {
  const literal = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(literal)) return 'not an IP address';
  const address = ipaddr.parse(literal);
  if (address.kind() === 'ipv4') return ipv4Kind(address as ipaddr.IPv4);
  const v6 = address as ipaddr.IPv6;
  // Addresses that carry an IPv4 address the packet really goes to: judge that one.
  if (v6.isIPv4MappedAddress()) return ipv4Kind(v6.toIPv4Address());
  if (v6.match(NAT64_WELL_KNOWN)) return ipv4Kind(ipaddr.fromByteArray(v6.toByteArray().slice(12)) as ipaddr.IPv4);
  if (METADATA_ADDRESSES.has(v6.toRFC5952String())) return 'cloud metadata';
  // 6to4, Teredo, local-use NAT64 and the rest are non-unicast for ipaddr.js: refused whole,
  // since the relay they go through decides where the packet ends up.
  const range = v6.range();
  if (range !== 'unicast') return RANGE_LABELS[range] ?? range;
  // ipaddr.js calls e.g. ::127.0.0.1 "unicast"; only 2000::/3 is allocated as global.
  return v6.match(GLOBAL_UNICAST_V6) ? null : 'not global unicast';
}

/** True for private, loopback, link-local, metadata, CGNAT, multicast, reserved... addresses. */
export function isForbiddenAddress(ip: string): boolean {
  return forbiddenAddressKind(ip) !== null;
}

function ipv4Kind(address: ipaddr.IPv4): string | null {
  if (METADATA_ADDRESSES.has(address.toString())) return 'cloud metadata';
  const range = address.range();
  return range === 'unicast' ? null : (RANGE_LABELS[range] ?? range);
}

/** An error with `code = 'EBLOCKED'`, which the attempt log shows as "blocked". */
export function blockedAddressError(hostname: string, address: string): NodeJS.ErrnoException {
  const shown = hostname === address ? address : `${hostname} (${address})`;
  const error: NodeJS.ErrnoException = new Error(
    `Refused to connect to ${shown}: ${forbiddenAddressKind(address)} addresses are blocked by the strict URL policy`,
  );
  error.code = 'EBLOCKED';
  return error;
}

/**
 * A `lookup` for net/tls/undici `connect` options. It resolves every address of the host
 * once; in strict mode it refuses the host when ANY of them is forbidden (a host that
 * resolves to one public and one private address is not trusted), and otherwise hands
 * the checked addresses to the socket, which then does no lookup of its own.
 */
export function createGuardedLookup(policy: AddressPolicy, resolve: ResolveAll = dns.lookup): net.LookupFunction {
  return (hostname, options, callback) => {
    const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    const fail = (err: NodeJS.ErrnoException) => callback(err, options.all ? [] : '');
    resolve(host, { family: options.family, hints: options.hints, all: true }, (err, addresses) => {
      if (err) return fail(err);
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`);
        notFound.code = 'ENOTFOUND';
        return fail(notFound);
      }
      if (policy === 'strict') {
        const blocked = addresses.find((a) => isForbiddenAddress(a.address));
        if (blocked) return fail(blockedAddressError(host, blocked.address));
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

export type DeliveryDispatcherOptions = {
  /** Sockets per origin; one busy receiver must not queue deliveries behind a few sockets. */
  connections?: number;
  connectTimeoutMs?: number;
  /** For tests: stands in for dns.lookup. */
  resolve?: ResolveAll;
};

/**
 * The undici Agent all deliveries go through. HTTP/1.1 without pipelining, so each
 * request has its own timeout and error; idle sockets are kept a few seconds for the
 * next delivery to the same receiver.
 */
export function createDeliveryDispatcher(policy: AddressPolicy, opts: DeliveryDispatcherOptions = {}): Agent {
  const connectTimeout = opts.connectTimeoutMs ?? 10_000;
  const baseConnect = buildConnector({
    lookup: createGuardedLookup(policy, opts.resolve),
    timeout: connectTimeout,
    allowH2: false,
  });
  const connect: buildConnector.connector = (options, callback) => {
    // net.connect skips `lookup` for an IP literal, so literals are checked here.
    if (policy === 'strict' && net.isIP(options.hostname) !== 0 && isForbiddenAddress(options.hostname)) {
      callback(blockedAddressError(options.hostname, options.hostname), null);
      return;
    }
    baseConnect(options, callback);
  };
  return new Agent({
    connect,
    connections: opts.connections ?? 128,
    pipelining: 1,
    allowH2: false,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
  });
}
