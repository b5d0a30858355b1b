// Hostile calls of an inbound URL from a seeded generator: any method, content type, body
// bytes and query string. Every call gets one of the documented answers (never a 500),
// every answer is logged, and the server stays healthy.
// Replay a failure with INBOUND_FUZZ_SEED=<seed> npx vitest run test/inbound/receiving-fuzz.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { createInboundHook, inboundRequests } from './support.ts';

const SEED = Number(process.env.INBOUND_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = 150;

const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream', 'application/cloudevents+json', ''),
  fc.constantFrom('multipart/form-data; boundary=X', 'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary="a b"', 'application/json; charset=latin1'),
  fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
);

const multipartBody = fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), fc.boolean()), { maxLength: 4 }).map((parts) =>
  Buffer.from(
    parts.map(([name, value, file]) => `--X\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${value}.bin"` : ''}\r\n\r\n${value}\r\n`).join('') + (parts.length % 2 ? '--X--\r\n' : ''),
  ),
);

const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.json({ maxDepth: 4 }).map((j) => Buffer.from(j)),
  fc.string({ unit: 'binary', maxLength: 100 }).map((s) => Buffer.from(s)),
  fc.constantFrom('{"a":"\\u0000"}', '{"__proto__":{"x":1}}', '[1,2', 'a=1&a=2&b=%ZZ&c=%00', '{"s":"\\ud800"}').map((s) => Buffer.from(s)),
  multipartBody,
);

const query = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })), { maxLength: 4 }).map((pairs) => `?${new URLSearchParams(pairs)}`),
  fc.constantFrom('?a=%00', '?%ZZ=1', '?a=1&a=2&a=3', '?__proto__=x', '?=', '?&&&'),
);

describe('hostile calls of an inbound URL', () => {
  const hy = useTestHookyard();

  it('answers each with a documented status, logs it, and stays healthy', { timeout: 120_000 }, async () => {
    console.log(`inbound fuzz seed ${SEED} (replay: INBOUND_FUZZ_SEED=${SEED} npx vitest run test/inbound/receiving-fuzz.test.ts)`);
    const hook = await createInboundHook(hy.admin, { noRateLimit: true, includeHeaders: true, includeMethod: true });
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET'), contentType, body, query, async (method, type, payload, q) => {
        const response = await fetch(`${hook.url}${q}`, {
          method,
          headers: type ? { 'content-type': type } : {},
          ...(method === 'GET' ? {} : { body: payload }),
        });
        const text = await response.text();
        calls++;
        expect([200, 400], `${method} ${type} ${q}: ${response.status} ${text}`).toContain(response.status);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect((await fetch(`${hy.baseUrl}/healthz`)).status).toBe(200);
    const logged = await hy.admin(`{ inboundRequests(filter: { hookId: "${hook.id}" }, first: 1) { totalCount } }`);
    expect(logged.data.inboundRequests.totalCount).toBe(calls);
    // And the log pages back every stored request, hostile ones included.
    expect((await inboundRequests(hy.admin, { hookId: hook.id }, 100)).length).toBe(Math.min(100, calls));
  });
});
