import { afterAll, afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDeliveryDispatcher } from '../../worker/delivery/address-guard.ts';
import { classifyError, encodeResponseBody, sendAttempt } from '../../worker/delivery/send-attempt.ts';
import { gzipSync } from 'node:zlib';
import { eventually } from '../support/receiver.ts';

const permissive = createDeliveryDispatcher('permissive');
const strict = createDeliveryDispatcher('strict');
const servers: http.Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
afterAll(async () => {
  await Promise.all([permissive.close(), strict.close()]);
});

/** A real receiver on a free port of 127.0.0.1; resolves to its base URL. */
async function receiver(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const base = { headers: { 'content-type': 'application/json' }, body: '{"hello":"world"}', timeoutMs: 2_000, dispatcher: permissive };

describe('sendAttempt', () => {
  it('succeeds on a 200 and keeps the response status, headers and body', async () => {
    let received: { method?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
    const url = await receiver((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received = { method: req.method, headers: req.headers, body };
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(200, { 'x-receiver': 'yes' }).end('thanks');
      });
    });
    const outcome = await sendAttempt({ ...base, url: `${url}/hook`, headers: { ...base.headers, 'x-tenant': 'acme' } });
    expect(outcome).toMatchObject({
      ok: true,
      status: 200,
      responseBody: 'thanks',
      responseTruncated: false,
      errorKind: null,
      errorMessage: null,
    });
    expect(outcome.responseHeaders).toMatchObject({ 'x-receiver': 'yes', 'set-cookie': 'a=1, b=2' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(received.method).toBe('POST');
    expect(received.body).toBe('{"hello":"world"}');
    expect(received.headers).toMatchObject({ 'content-type': 'application/json', 'x-tenant': 'acme', 'content-length': '17' });
  });

  it('counts any 2xx as success', async () => {
    const url = await receiver((_req, res) => res.writeHead(204).end());
    expect(await sendAttempt({ ...base, url })).toMatchObject({ ok: true, status: 204, responseBody: '' });
  });

  it('fails on a 500 and keeps its body', async () => {
    const url = await receiver((_req, res) => res.writeHead(500).end('boom'));
    expect(await sendAttempt({ ...base, url })).toMatchObject({ ok: false, status: 500, responseBody: 'boom', errorKind: null });
  });

  it('does not follow a 302 and records it as a failure', async () => {
    let hits = 0;
    const url = await receiver((req, res) => {
      hits++;
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    const outcome = await sendAttempt({ ...base, url });
    expect(outcome).toMatchObject({ ok: false, status: 302, errorKind: null });
    expect(outcome.responseHeaders?.location).toBe('/elsewhere');
    expect(hits).toBe(1);
  });

  it('times out a receiver that is slower than the timeout', async () => {
    const url = await receiver((_req, res) => {
      setTimeout(() => res.writeHead(200).end(), 2_000).unref();
    });
    const outcome = await sendAttempt({ ...base, url, timeoutMs: 300 });
    // No status: it gave up before the receiver's answer at 2 s.
    expect(outcome).toMatchObject({ ok: false, status: null, responseBody: null, errorKind: 'timeout', errorMessage: 'Timed out after 300 ms' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('times out a 200 whose body stalls past the timeout, keeping what arrived', async () => {
    const url = await receiver((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    }); // and never ends it: only the timeout can end the attempt
    const outcome = await sendAttempt({ ...base, url, timeoutMs: 300 });
    expect(outcome).toMatchObject({ ok: false, status: 200, responseBody: 'partial', errorKind: 'timeout' });
  });

  it('keeps only the first 64 KiB of a 10 MB response, marks it truncated, and does not read the rest', async () => {
    let socketClosed: Promise<unknown> = Promise.resolve();
    let wroteAll = false;
    const url = await receiver((req, res) => {
      socketClosed = new Promise((resolve) => req.socket.once('close', resolve));
      res.on('error', () => {});
      res.socket?.on('error', () => {});
      res.writeHead(500, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < 10 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) wroteAll = true;
        res.end();
      };
      pump();
    });
    const outcome = await sendAttempt({ ...base, url });
    expect(outcome).toMatchObject({ ok: false, status: 500, responseTruncated: true, errorKind: null });
    expect(outcome.responseBody).toHaveLength(64 * 1024);
    // A fully read response would leave the socket open for keep-alive; closing it is
    // how the unread rest is dropped.
    await socketClosed;
    // Unread, the rest stops at the socket buffers (about 4 MB here): the receiver never
    // got to write all 10 MB, which it would have if the client had read it.
    expect(wroteAll).toBe(false);
  }, 2_000);

  it('keeps a body of exactly the limit whole, not truncated', async () => {
    const url = await receiver((_req, res) => res.writeHead(200).end('y'.repeat(1000)));
    const outcome = await sendAttempt({ ...base, url, maxResponseBytes: 1000 });
    expect(outcome).toMatchObject({ ok: true, responseTruncated: false });
    expect(outcome.responseBody).toHaveLength(1000);
  });

  it('cuts a truncated body at a character boundary rather than mangling it', async () => {
    const url = await receiver((_req, res) => res.writeHead(200).end('ééé')); // 6 bytes
    const outcome = await sendAttempt({ ...base, url, maxResponseBytes: 5 });
    expect(outcome).toMatchObject({ ok: true, responseBody: 'éé', responseTruncated: true });
  });

  it('reuses the connection for the next attempt to the same receiver', async () => {
    const sockets = new Set<unknown>();
    const url = await receiver((req, res) => {
      sockets.add(req.socket);
      req.resume().on('end', () => res.writeHead(200).end('ok'));
    });
    await sendAttempt({ ...base, url });
    // undici hands the socket back to the pool a tick after the body ends: wait until its pool
    // for this origin has one connection, free and running nothing.
    await eventually(async () => {
      const pool = permissive.stats[url];
      return pool?.connected === 1 && pool.free === 1 && pool.running === 0;
    }, 2_000, 'the connection back in the pool');
    await sendAttempt({ ...base, url });
    expect(sockets.size).toBe(1);
  });

  it('reports a request undici refuses to send as other, without throwing', async () => {
    const outcome = await sendAttempt({ ...base, url: 'http://127.0.0.1:1/', headers: { 'x-bad': 'a\r\nb' } });
    expect(outcome).toMatchObject({ ok: false, status: null, errorKind: 'other' });
    expect(await sendAttempt({ ...base, url: 'not a url' })).toMatchObject({ ok: false, errorKind: 'other' });
  });

  it('reports a closed port as refused', async () => {
    const url = await receiver(() => {});
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const outcome = await sendAttempt({ ...base, url });
    expect(outcome).toMatchObject({ ok: false, status: null, errorKind: 'refused' });
    expect(outcome.errorMessage).toContain('ECONNREFUSED');
  });

  it('reports an unresolvable host as a DNS error', async () => {
    const outcome = await sendAttempt({ ...base, url: 'http://nonexistent.invalid/' });
    expect(outcome).toMatchObject({ ok: false, status: null, errorKind: 'dns' });
    expect(outcome.errorMessage).toContain('nonexistent.invalid');
  });

  it('reports a receiver that drops the connection as reset', async () => {
    const url = await receiver((req) => req.socket.destroy());
    expect(await sendAttempt({ ...base, url })).toMatchObject({ ok: false, status: null, errorKind: 'reset' });
  });

  it('reports a failed TLS handshake as tls', async () => {
    const url = await receiver((_req, res) => res.end());
    const outcome = await sendAttempt({ ...base, url: url.replace('http:', 'https:') });
    expect(outcome).toMatchObject({ ok: false, status: null, errorKind: 'tls' });
    expect(outcome.errorMessage).toMatch(/\(ERR_SSL_[A-Z_]+\)$/);
  });

  it('refuses 127.0.0.1 under the strict policy without sending anything', async () => {
    let hits = 0;
    const url = await receiver((_req, res) => {
      hits++;
      res.end();
    });
    const outcome = await sendAttempt({ ...base, url, dispatcher: strict });
    expect(outcome).toMatchObject({ ok: false, status: null, errorKind: 'blocked' });
    expect(outcome.errorMessage).toMatch(/127\.0\.0\.1.*loopback.*strict/);
    expect(hits).toBe(0);
  });

  it('refuses localhost under the strict policy at connect time', async () => {
    const url = await receiver((_req, res) => res.end());
    const outcome = await sendAttempt({ ...base, url: url.replace('127.0.0.1', 'localhost'), dispatcher: strict });
    expect(outcome).toMatchObject({ ok: false, errorKind: 'blocked' });
  });
});

describe('classifyError', () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });

  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['EAI_AGAIN', 'dns'],
    ['ENOTFOUND', 'dns'],
    ['ECONNREFUSED', 'refused'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['EBLOCKED', 'blocked'],
    ['EHOSTUNREACH', 'other'],
  ])('maps %s to %s', (code, kind) => {
    expect(classifyError(withCode(code))).toBe(kind);
  });

  it('maps an abort or timeout DOMException to timeout', () => {
    expect(classifyError(new DOMException('late', 'TimeoutError'))).toBe('timeout');
    expect(classifyError(new DOMException('stop', 'AbortError'))).toBe('timeout');
  });

  it('looks inside causes and AggregateErrors (one error per address tried)', () => {
    expect(classifyError(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }))).toBe('refused');
    expect(classifyError(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))).toBe('refused');
  });

  it('maps anything unknown to other', () => {
    expect(classifyError(new Error('weird'))).toBe('other');
    expect(classifyError('a string')).toBe('other');
    expect(classifyError(null)).toBe('other');
  });
});

describe('encodeResponseBody', () => {
  it('keeps UTF-8 text as it is', () => {
    expect(encodeResponseBody(Buffer.from('{"ok":true} Łódź ✓'), false)).toEqual({ body: '{"ok":true} Łódź ✓', encoding: 'utf8' });
    expect(encodeResponseBody(Buffer.alloc(0), false)).toEqual({ body: '', encoding: 'utf8' });
  });

  it('stores a body with a NUL byte, invalid UTF-8 or compressed bytes as base64 of its bytes', () => {
    for (const bytes of [Buffer.from('ok\u0000done'), Buffer.from([0x61, 0xff, 0xfe, 0x62]), gzipSync('compressed body')]) {
      const stored = encodeResponseBody(bytes, false);
      expect(stored.encoding).toBe('base64');
      expect(Buffer.from(stored.body, 'base64')).toEqual(bytes);
    }
  });

  it('drops a character split by the cut of a truncated body, but refuses one split in a complete body', () => {
    const cut = Buffer.from('abc✓').subarray(0, 5); // ✓ is 3 bytes: 2 of them kept
    expect(encodeResponseBody(cut, true)).toEqual({ body: 'abc', encoding: 'utf8' });
    expect(encodeResponseBody(cut, false).encoding).toBe('base64');
  });
});
