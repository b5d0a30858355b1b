// The benchmarks' OpenTelemetry Collector stand-in, in its own process: accepts OTLP/HTTP
// trace exports on /v1/traces (protobuf, the exporters' default, or JSON), answers each at
// once and keeps its bytes; GET /counts counts the spans received so far by service and name
// (answered as JSON) and drops the bytes, so a bench can tell that tracing was really on and
// how many spans a delivery cost. Reading spans only then keeps the sink's CPU out of a drain.
// Prints "listening <port>" when ready; stops on SIGTERM.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

const counts = new Map<string, number>();
let exports = 0;
let bytes = 0;

function count(service: string, name: string): void {
  const key = `${service} ${name}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** The fields of one protobuf message: number, and the bytes of each length-delimited one (others skipped). */
function* fields(buf: Buffer): Generator<[number, Buffer]> {
  let pos = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = buf[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = varint();
      yield [Math.floor(key / 8), buf.subarray(pos, pos + length)];
      pos += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** ExportTraceServiceRequest → ResourceSpans(1) → Resource(1).attributes(1) / ScopeSpans(2) → Span(2).name(5). */
function countProtobuf(body: Buffer): void {
  for (const [n, resourceSpans] of fields(body)) {
    if (n !== 1) continue;
    let service = '';
    const scopes: Buffer[] = [];
    for (const [m, part] of fields(resourceSpans)) {
      if (m === 1) {
        for (const [a, keyValue] of fields(part)) {
          if (a !== 1) continue;
          const kv = new Map(fields(keyValue));
          if (kv.get(1)?.toString('utf8') !== 'service.name') continue;
          const anyValue = new Map(fields(kv.get(2) ?? Buffer.alloc(0)));
          service = anyValue.get(1)?.toString('utf8') ?? '';
        }
      } else if (m === 2) scopes.push(part);
    }
    for (const scope of scopes) {
      for (const [s, span] of fields(scope)) {
        if (s !== 2) continue;
        for (const [f, value] of fields(span)) if (f === 5) count(service, value.toString('utf8'));
      }
    }
  }
}

function countJson(body: Buffer): void {
  for (const rs of JSON.parse(body.toString('utf8')).resourceSpans ?? []) {
    const service = (rs.resource?.attributes ?? []).find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue ?? '';
    for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) count(service, span.name);
  }
}

/** Exports received and not counted yet. */
let unread: { json: boolean; body: Buffer }[] = [];

function countUnread(): void {
  for (const { json, body } of unread.splice(0)) {
    try {
      if (json) countJson(body);
      else countProtobuf(body);
    } catch (error) {
      console.error(`otlp sink: unreadable export: ${(error as Error).message}`);
      counts.set('(unreadable exports)', (counts.get('(unreadable exports)') ?? 0) + 1);
    }
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/counts') {
    countUnread();
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ exports, bytes, spans: Object.fromEntries(counts) }));
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url !== '/v1/traces') return void res.writeHead(404).end();
    let body = Buffer.concat(chunks);
    bytes += body.length;
    exports++;
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const json = String(req.headers['content-type']).includes('json');
    unread.push({ json, body });
    // An empty ExportTraceServiceResponse: everything accepted.
    if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
