// /healthz must answer even when PostgreSQL does not: a load balancer's probe needs a
// 503 it can act on, not a hang.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { handleHealth } from '../../api/health.ts';

describe('/healthz against a database that never answers', () => {
  const sockets = new Set<net.Socket>();
  let silent: net.Server;
  let api: http.Server;
  let pool: pg.Pool;
  let baseUrl: string;

  beforeAll(async () => {
    // Accepts connections and says nothing, like a host behind a firewall that drops replies.
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    pool = new pg.Pool({ connectionString: `postgresql://postgres@127.0.0.1:${(silent.address() as AddressInfo).port}/hookyard` });
    pool.on('error', () => undefined);
    api = http.createServer((_req, res) => void handleHealth({ pool }, res));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await pool?.end().catch(() => undefined);
    await new Promise((resolve) => api?.close(resolve));
    await new Promise((resolve) => silent?.close(resolve));
  });

  it('answers 503 within a few seconds, saying the database did not answer', async () => {
    // A health check that hung would hit this abort and fail the test; the answer names the 2 s limit.
    const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'unhealthy',
      checks: { database: 'no answer within 2000 ms', queue: 'not checked: the database does not answer' },
    });
  });
});
