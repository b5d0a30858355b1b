// A worker-only process has no API server; this serves its /metrics on its own port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.ts';
import { metricsAllowed } from './metrics-token.ts';
import type { Logger } from './logger.ts';

export async function startMetricsServer(host: string, port: number, log: Logger, token: string | null = null): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
    if (!metricsAllowed(token, req, res)) return;
    registry
      .metrics()
      .then((body) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(body))
      .catch((error) => {
        log.error({ err: error }, 'metrics could not be collected');
        res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${address.port}/metrics`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
