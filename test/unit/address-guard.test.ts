import { afterAll, describe, expect, it } from 'vitest';
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import {
  blockedAddressError,
  createDeliveryDispatcher,
  createGuardedLookup,
  forbiddenAddressKind,
  isForbiddenAddress,
} from '../../worker/delivery/address-guard.ts';

type LookupResult = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

function lookup(fn: ReturnType<typeof createGuardedLookup>, host: string, all = true, family = 0): Promise<LookupResult> {
  return new Promise((resolve) => fn(host, { all, family }, (err, address, fam) => resolve({ err, address, family: fam })));
}

/** Stands in for dns.lookup: `host` resolves to `addresses`. */
function fakeDns(table: Record<string, string[]>) {
  return (host: string, _opts: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => {
    const found = table[host];
    if (!found) {
      const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`);
      err.code = 'ENOTFOUND';
      return cb(err, []);
    }
    cb(null, found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
}

describe('isForbiddenAddress', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['169.254.170.2', 'cloud metadata'],
    ['100.100.100.200', 'cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['fc00::1', 'unique-local'],
    ['fdff:ffff::1', 'unique-local'],
    ['fec0::1', 'site-local'],
  ])('refuses %s as %s', (ip, kind) => {
    expect(forbiddenAddressKind(ip)).toBe(kind);
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it('refuses an IPv4-mapped IPv6 loopback address by its embedded IPv4', () => {
    expect(forbiddenAddressKind('::ffff:127.0.0.1')).toBe('loopback');
    expect(forbiddenAddressKind('::ffff:7f00:1')).toBe('loopback');
    expect(forbiddenAddressKind('::ffff:a9fe:a9fe')).toBe('cloud metadata');
  });

  it('allows an IPv4-mapped IPv6 address whose embedded IPv4 is public', () => {
    expect(isForbiddenAddress('::ffff:8.8.8.8')).toBe(false);
  });

  it('judges a NAT64 address (64:ff9b::/96) by the IPv4 address it embeds', () => {
    expect(isForbiddenAddress('64:ff9b::8.8.8.8')).toBe(false);
    expect(forbiddenAddressKind('64:ff9b::10.0.0.1')).toBe('private');
    expect(forbiddenAddressKind('64:ff9b::127.0.0.1')).toBe('loopback');
  });

  it('refuses 6to4, Teredo, IPv4-translated and local-use NAT64 addresses outright', () => {
    expect(forbiddenAddressKind('2002:7f00:1::1')).toBe('6to4 tunnel');
    expect(forbiddenAddressKind('2002:808:808::1')).toBe('6to4 tunnel');
    expect(forbiddenAddressKind('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toBe('Teredo tunnel');
    expect(forbiddenAddressKind('::ffff:0:7f00:1')).toBe('IPv4-translated');
    expect(forbiddenAddressKind('64:ff9b:1::808:808')).toBe('local-use NAT64');
  });

  it('refuses IPv6 outside the global unicast block 2000::/3, such as IPv4-compatible ::127.0.0.1', () => {
    expect(forbiddenAddressKind('::7f00:1')).toBe('not global unicast');
    expect(forbiddenAddressKind('::808:808')).toBe('not global unicast');
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])(
    'allows the public unicast address %s',
    (ip) => {
      expect(isForbiddenAddress(ip)).toBe(false);
    },
  );

  it('judges the normalised forms the WHATWG URL parser makes of odd IPv4 spellings', () => {
    for (const spelling of ['0x7f.1', '2130706433', '017700000001', '127.1', '0x7f000001']) {
      const host = new URL(`http://${spelling}/`).hostname;
      expect(host).toBe('127.0.0.1');
      expect(isForbiddenAddress(host)).toBe(true);
    }
    const v6 = new URL('http://[::ffff:127.0.0.1]/').hostname;
    expect(v6).toBe('[::ffff:7f00:1]');
    expect(isForbiddenAddress(v6)).toBe(true);
  });

  it('refuses anything that is not an IP address', () => {
    expect(forbiddenAddressKind('example.com')).toBe('not an IP address');
    expect(isForbiddenAddress('')).toBe(true);
  });
});

describe('createGuardedLookup', () => {
  it('refuses localhost in strict mode with EBLOCKED naming the address', async () => {
    const { err } = await lookup(createGuardedLookup('strict'), 'localhost');
    expect(err?.code).toBe('EBLOCKED');
    expect(err?.message).toMatch(/localhost \((127\.0\.0\.1|::1)\).*loopback/);
  });

  it('resolves localhost in permissive mode', async () => {
    const { err, address } = await lookup(createGuardedLookup('permissive'), 'localhost');
    expect(err).toBeNull();
    expect((address as LookupAddress[]).map((a) => a.address)).toContain('127.0.0.1');
  });

  it('refuses an IP literal in strict mode without asking DNS', async () => {
    for (const literal of ['127.0.0.1', '[::ffff:7f00:1]', '::1', '169.254.169.254']) {
      const { err } = await lookup(createGuardedLookup('strict'), literal);
      expect(err?.code, literal).toBe('EBLOCKED');
    }
  });

  it('passes a public IP literal through in strict mode', async () => {
    const { err, address, family } = await lookup(createGuardedLookup('strict'), '8.8.8.8', false);
    expect(err).toBeNull();
    expect(address).toBe('8.8.8.8');
    expect(family).toBe(4);
  });

  it('refuses a host when ANY of its addresses is forbidden, even if one is public', async () => {
    const guarded = createGuardedLookup('strict', fakeDns({ 'rebind.example': ['93.184.216.34', '10.0.0.5'] }));
    const { err } = await lookup(guarded, 'rebind.example');
    expect(err?.code).toBe('EBLOCKED');
    expect(err?.message).toContain('10.0.0.5');
  });

  it('hands the socket exactly the addresses it checked', async () => {
    const guarded = createGuardedLookup('strict', fakeDns({ 'hooks.example': ['93.184.216.34', '2606:2800:220:1::1'] }));
    const all = await lookup(guarded, 'hooks.example', true);
    expect(all.address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
    const one = await lookup(guarded, 'hooks.example', false);
    expect([one.address, one.family]).toEqual(['93.184.216.34', 4]);
  });

  it('looks up a bracketed IPv6 host without its brackets, and judges the address inside', async () => {
    const dns = fakeDns({ '::1': ['::1'], '2606:4700::1111': ['2606:4700::1111'] });
    expect((await lookup(createGuardedLookup('strict', dns as never), '[::1]')).err?.code).toBe('EBLOCKED');
    const open = await lookup(createGuardedLookup('strict', dns as never), '[2606:4700::1111]');
    expect(open.err).toBeNull();
    expect((open.address as LookupAddress[]).map((a) => a.address)).toEqual(['2606:4700::1111']);
    expect(forbiddenAddressKind('[::1]')).toBe('loopback');
    expect(forbiddenAddressKind('[2606:4700::1111]')).toBeNull();
    expect(forbiddenAddressKind('::1]')).toBe('not an IP address');
    expect(forbiddenAddressKind('[::1')).toBe('not an IP address');
  });

  it('passes any DNS error through as it is, and answers an empty result with ENOTFOUND naming the host', async () => {
    const failing = (_host: string, _opts: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => {
      const err: NodeJS.ErrnoException = new Error('getaddrinfo EAI_AGAIN flaky.example');
      err.code = 'EAI_AGAIN';
      cb(err, [{ address: '8.8.8.8', family: 4 }]);
    };
    for (const all of [true, false]) {
      const result = await lookup(createGuardedLookup('permissive', failing as never), 'flaky.example', all);
      expect(result.err?.code).toBe('EAI_AGAIN');
      expect(result.address).toEqual(all ? [] : '');
    }
    const empty = (_host: string, _opts: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => cb(null, []);
    const none = await lookup(createGuardedLookup('permissive', empty as never), 'nothing.example', false);
    expect(none.err).toMatchObject({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND nothing.example' });
    expect(none.address).toBe('');
  });

  it('names an IP literal once in the refusal, and a host with the address it resolved to', () => {
    expect(blockedAddressError('10.0.0.1', '10.0.0.1').message).toBe('Refused to connect to 10.0.0.1: private addresses are blocked by the strict URL policy');
    expect(blockedAddressError('db.internal', '10.0.0.1').message).toMatch(/^Refused to connect to db\.internal \(10\.0\.0\.1\): private/);
  });

  it('passes DNS errors through unchanged', async () => {
    const { err } = await lookup(createGuardedLookup('strict', fakeDns({})), 'nonexistent.invalid');
    expect(err?.code).toBe('ENOTFOUND');
  });

  it('allows a private address in permissive mode', async () => {
    const guarded = createGuardedLookup('permissive', fakeDns({ 'intranet.example': ['10.0.0.5'] }));
    const { err, address } = await lookup(guarded, 'intranet.example', false);
    expect(err).toBeNull();
    expect(address).toBe('10.0.0.5');
  });
});

describe('createDeliveryDispatcher', () => {
  const strict = createDeliveryDispatcher('strict', {
    resolve: fakeDns({ 'internal.example': ['127.0.0.1'] }),
  });
  afterAll(() => strict.close());

  it('refuses an IP literal URL in strict mode (net.connect would skip lookup)', async () => {
    await expect(request('http://127.0.0.1:9/', { dispatcher: strict })).rejects.toMatchObject({ code: 'EBLOCKED' });
    await expect(request('http://[::1]:9/', { dispatcher: strict })).rejects.toMatchObject({ code: 'EBLOCKED' });
  });

  it('refuses a host name that resolves to a forbidden address in strict mode', async () => {
    await expect(request('http://internal.example:9/', { dispatcher: strict })).rejects.toMatchObject({
      code: 'EBLOCKED',
      message: expect.stringContaining('internal.example (127.0.0.1)'),
    });
  });

  it('connects to a loopback IP literal in permissive mode', async () => {
    const server = http.createServer((_req, res) => void res.writeHead(204).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const permissive = createDeliveryDispatcher('permissive');
    try {
      const { port } = server.address() as AddressInfo;
      const response = await request(`http://127.0.0.1:${port}/`, { dispatcher: permissive });
      expect(response.statusCode).toBe(204);
      await response.body.dump();
    } finally {
      await permissive.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
