// No input ends the process: malformed request targets are the client's mistake (400 or
// 404), an unexpected error in any route is logged and answered 500 without a stack, and
// the server process keeps serving.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withErrorBoundary } from '../../api/error-boundary.ts';
import { loadConfig } from '../../infra/config.ts';
import { startHookyard, type Running } from '../../start.ts';
import { createTestDatabase } from '../support/database.ts';
import { gqlClient } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { rawRequest } from '../support/raw-http.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sql } from '../support/sql.ts';

const ADMIN_TOKEN = 'hy_error_boundary_test_token_0123456789';
const STACK = /\n\s+at |node_modules|\.ts:\d+/;

describe('the server process and malformed requests', () => {
  let server: ServerProcess;
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-boundary-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = startServerProcess({ DATABASE_URL: database.url, HOOKYARD_DATA_DIR: dataDir, PORT: String(port), HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN });
    await server.ready();
  });

  afterAll(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const cases: [string, string, number][] = [
    ['a NUL in the path', '/%00', 400],
    ['a NUL in a dashboard file name', '/_app/%00.js', 400],
    ['a NUL before a known route', '/graphql%00', 400],
    ['a control character', '/%0d%0aSet-Cookie:%20x', 400],
    ['broken percent-encoding', '/%E0%A4%A', 400],
    ['a lone percent sign', '/%', 400],
    ['a path segment of 256 characters', `/${'a'.repeat(256)}`, 404],
    ['a path segment of 5,000 characters', `/${'a'.repeat(5000)}`, 404],
    ['a long file name', `/_app/${'b'.repeat(300)}.js`, 404],
    ['a long segment under the exports', `/export/${'c'.repeat(300)}`, 404],
    ['a path of 3,000 short segments', `/${'a/'.repeat(3000)}`, 404],
    ['the asterisk form', '*', 400],
  ];

  for (const [what, target, status] of cases) {
    it(`answers ${what} with ${status}, no stack`, async () => {
      const response = await rawRequest(baseUrl, target);
      expect(response.status).toBe(status);
      expect(response.body).not.toMatch(STACK);
    });
  }

  it('is still alive and serving, and logged no error for the client mistakes', async () => {
    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.status).toBe(200);
    const viewer = await gqlClient(baseUrl, ADMIN_TOKEN)('{ viewer { role } }');
    expect(viewer.data).toEqual({ viewer: { role: 'ADMIN' } });
    expect(server.child.exitCode).toBeNull();
    expect(server.stderr()).toBe('');
    const errors = server
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.level >= 50);
    expect(errors).toEqual([]);
  });

  it('accepts a path segment of exactly 255 characters (the app shell or 503 when unbuilt, never a crash)', async () => {
    const response = await rawRequest(baseUrl, `/${'a'.repeat(255)}`);
    expect([200, 503]).toContain(response.status);
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
  });
});

describe('an unexpected error inside a route', () => {
  const logged: any[] = [];
  let running: Running;
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-data-'));
    const config = loadConfig({ DATABASE_URL: database.url, HOOKYARD_DATA_DIR: dataDir, PORT: '0', HOOKYARD_SMTP_PORT: '0', LOG_LEVEL: 'warn', HOOKYARD_ADMIN_TOKEN: ADMIN_TOKEN });
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    running = await startHookyard(config, log);
    // Break the database under the server: the export's directory of names now fails inside PostgreSQL, before the answer begins.
    await sql(database.url, 'alter table integrator rename to integrator_gone');
  });

  afterAll(async () => {
    await running?.stop();
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('answers 500 without a stack or SQL, logs it with the request, and keeps serving', async () => {
    const response = await rawRequest(running.baseUrl!, '/export/deliveries.csv?status=FAILED', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL_SERVER_ERROR', message: expect.any(String) } });
    expect(response.body).not.toMatch(/integrator|relation|select|stack/i);
    const entry = logged.find((l) => l.msg === 'unexpected error in an HTTP request');
    expect(entry, JSON.stringify(logged)).toBeDefined();
    expect(entry.request).toEqual({ method: 'GET', url: '/export/deliveries.csv?status=FAILED' });
    expect(entry.err.stack).toBeDefined();
    expect((await fetch(`${running.baseUrl}/healthz`)).status).toBe(200);
  });
});

describe('the error boundary around any handler', () => {
  const logged: any[] = [];
  let server: http.Server;
  let baseUrl: string;

  beforeAll(async () => {
    const log = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    server = http.createServer(
      withErrorBoundary(log, async (req, res) => {
        if (req.url === '/throws') throw new Error('a synchronous-looking failure');
        if (req.url === '/rejects') return Promise.reject(new Error('an asynchronous failure'));
        if (req.url === '/midway') {
          res.writeHead(200).write('half');
          throw new Error('failed after the answer began');
        }
        res.writeHead(204).end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a thrown or rejected error with a 500 and logs each', async () => {
    for (const target of ['/throws', '/rejects']) {
      const response = await rawRequest(baseUrl, target);
      expect(response.status).toBe(500);
      expect(response.body).not.toMatch(/failure|stack/);
    }
    expect(logged.map((l) => l.err.message)).toEqual(['a synchronous-looking failure', 'an asynchronous failure']);
  });

  it('cuts the connection when the answer had begun, and serves the next request', async () => {
    await expect(rawRequest(baseUrl, '/midway')).rejects.toThrow();
    expect((await rawRequest(baseUrl, '/')).status).toBe(204);
  });
});
