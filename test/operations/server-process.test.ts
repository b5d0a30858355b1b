// The real server process: `node start.ts` as a newcomer runs it, on an embedded
// PostgreSQL in a temporary data folder, then against an existing PostgreSQL (a database
// of its own on the tests' server).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.ts';
import { gqlClient } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { childrenOf, postgresProcessesOf, startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sql } from '../support/sql.ts';

async function tempDataDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-process-'));
}

/** A data folder and free ports for a server on its own embedded PostgreSQL. */
async function embeddedServerSettings() {
  const dataDir = await tempDataDir();
  const port = await freePort();
  const smtpPort = await freePort();
  return {
    dataDir,
    env: { HOOKYARD_DATA_DIR: dataDir, PORT: String(port), HOOKYARD_EMBEDDED_PG_PORT: String(await freePort()), HOOKYARD_SMTP_PORT: String(smtpPort) },
    baseUrl: `http://127.0.0.1:${port}`,
    smtpPort,
  };
}

/** Ends whatever a test left running on `dataDir` (servers, their PostgreSQL) and removes it. */
async function cleanUp(dataDir: string, servers: ServerProcess[], pids: number[] = []): Promise<void> {
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.exited));
  for (const pid of postgresProcessesOf(dataDir)) process.kill(pid, 'SIGINT');
  await fs.rm(dataDir, { recursive: true, force: true });
}

function bannerValue(server: ServerProcess, label: string): string | undefined {
  return new RegExp(`^ {2}${label}:\\s+(.+)$`, 'm').exec(server.plainOutput())?.[1];
}

function printedToken(server: ServerProcess): string | undefined {
  return /^ {4}(hy_\S+)$/m.exec(server.stdout())?.[1];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function viewerRole(baseUrl: string, token: string) {
  return (await gqlClient(baseUrl, token)('{ viewer { role tenant { name } } }')).data?.viewer;
}

describe('npm start with no DATABASE_URL', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let baseUrl: string;
  let smtpPort: number;
  let firstToken: string | undefined;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    ({ dataDir, env, baseUrl, smtpPort } = await embeddedServerSettings());
  });

  afterAll(async () => {
    await cleanUp(dataDir, servers);
  });

  it('starts an embedded PostgreSQL, says where everything is and prints a new admin key once', { timeout: 120_000 }, async () => {
    const server = startServerProcess(env);
    servers.push(server);
    await server.ready();

    expect(bannerValue(server, 'database')).toBe(`embedded PostgreSQL in ${dataDir}/pg`);
    expect(bannerValue(server, 'GraphQL')).toBe(`${baseUrl}/graphql (HTTP and graphql-ws)`);
    expect(bannerValue(server, 'health')).toBe(`${baseUrl}/healthz`);
    expect(bannerValue(server, 'worker')).toBe('running');
    expect(bannerValue(server, 'mail')).toBe(`SMTP on 127.0.0.1:${smtpPort} for <token>@localhost`);
    expect(bannerValue(server, 'URL policy')).toMatch(/^permissive \(.*HOOKYARD_URL_POLICY=strict/);
    expect(server.plainOutput()).toContain('Admin API key');
    firstToken = printedToken(server);
    expect(firstToken).toMatch(/^hy_[A-Za-z0-9_-]{43}$/);

    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { database: 'ok', queue: 'ok' } });
    expect(await viewerRole(baseUrl, firstToken!)).toEqual({ role: 'ADMIN', tenant: { name: 'default' } });
    expect(postgresProcessesOf(dataDir)).toHaveLength(1);
  });

  it('stops on SIGTERM with exit code 0, taking its PostgreSQL down cleanly', { timeout: 60_000 }, async () => {
    const server = servers[0];
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toBe('');
    expect(postgresProcessesOf(dataDir)).toEqual([]);
    // PostgreSQL removes its pid file only on a clean shutdown.
    await expect(fs.stat(path.join(dataDir, 'pg', 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
  });

  it('restarts on the same data without printing a key, and the first key still works', { timeout: 120_000 }, async () => {
    const server = startServerProcess(env);
    servers.push(server);
    await server.ready();
    expect(server.plainOutput()).not.toContain('Admin API key');
    expect(server.stdout()).not.toMatch(/hy_[A-Za-z0-9_-]{20,}/);
    expect(await viewerRole(baseUrl, firstToken!)).toEqual({ role: 'ADMIN', tenant: { name: 'default' } });
  });

  it('stops on Ctrl-C, which signals PostgreSQL too, with exit code 0 and no process left', { timeout: 60_000 }, async () => {
    const server = servers[1];
    // A terminal's Ctrl-C sends SIGINT to the whole foreground process group.
    process.kill(-server.child.pid!, 'SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toBe('');
    expect(postgresProcessesOf(dataDir)).toEqual([]);
  });
});

describe('npm start under a supervisor', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let baseUrl: string;
  const servers: ServerProcess[] = [];
  const hookyards: number[] = [];

  beforeAll(async () => {
    ({ dataDir, env, baseUrl } = await embeddedServerSettings());
  });

  afterAll(async () => {
    await cleanUp(dataDir, servers, hookyards);
  });

  // A supervisor (systemd, a container's init, a shell's kill) signals the npm process
  // alone, not its process group: Hookyard must still stop, with its PostgreSQL.
  it.each(['SIGTERM', 'SIGINT'] as const)('stops the API, the worker and the embedded PostgreSQL on %s to the npm process', { timeout: 120_000 }, async (signal) => {
    const npm = startServerProcess(env, undefined, 'npm');
    servers.push(npm);
    await npm.ready();
    const [hookyard] = childrenOf(npm.child.pid!);
    expect(hookyard).toBeGreaterThan(0);
    hookyards.push(hookyard);
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect(postgresProcessesOf(dataDir)).toHaveLength(1);

    npm.child.kill(signal);
    await npm.exited;
    // Hookyard's own process (npm's child) ends too, leaving no PostgreSQL behind.
    for (let i = 0; i < 300 && (isAlive(hookyard) || postgresProcessesOf(dataDir).length); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(hookyard)).toBe(false);
    expect(postgresProcessesOf(dataDir)).toEqual([]);
    await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
    expect(npm.stdout()).toContain('"msg":"stopping"');
  });
});

describe('npm start with DATABASE_URL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await tempDataDir();
  });

  afterAll(async () => {
    for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function start(extra: Record<string, string> = {}) {
    const port = await freePort();
    const server = startServerProcess({ DATABASE_URL: database.url, HOOKYARD_DATA_DIR: dataDir, PORT: String(port), ...extra });
    servers.push(server);
    await server.ready();
    return { server, baseUrl: `http://127.0.0.1:${port}` };
  }

  async function stop(server: ServerProcess) {
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  }

  it('uses that server: migrates it, starts no embedded PostgreSQL, and prints the key', { timeout: 60_000 }, async () => {
    const { server, baseUrl } = await start();
    // The URL as given, its password (if any) hidden.
    const shown = new URL(database.url);
    if (shown.password) shown.password = '***';
    expect(bannerValue(server, 'database')).toBe(shown.toString());
    const token = printedToken(server);
    expect(await viewerRole(baseUrl, token!)).toEqual({ role: 'ADMIN', tenant: { name: 'default' } });
    const tables = await sql(database.url, `select table_name from information_schema.tables where table_schema = 'public' order by 1`);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['api_key', 'integrator', 'tenant', 'webhook', 'mikro_orm_migrations']));
    await expect(fs.stat(path.join(dataDir, 'pg'))).rejects.toThrow(/ENOENT/);
    await stop(server);
  });

  it('hides the password of DATABASE_URL in the banner', { timeout: 60_000 }, async () => {
    const url = new URL(database.url);
    // The embedded test server's URL has a password; a server named by
    // HOOKYARD_TEST_POSTGRES_URL may trust local connections, and a made-up one connects.
    url.password ||= 'not-shown-anywhere';
    // Any port will do (PORT=0): nothing here calls the server, so no free port is guessed ahead.
    const server = startServerProcess({ DATABASE_URL: url.toString(), HOOKYARD_DATA_DIR: dataDir, PORT: '0' });
    servers.push(server);
    await server.ready();
    expect(server.stdout()).not.toContain(url.password);
    expect(bannerValue(server, 'database')).toContain(':***@');
    await stop(server);
  });

  it('makes HOOKYARD_ADMIN_TOKEN an admin key without printing any', { timeout: 60_000 }, async () => {
    const token = 'hy_fixed_token_for_scripts_and_ci_0123456789';
    const { server, baseUrl } = await start({ HOOKYARD_ADMIN_TOKEN: token });
    expect(server.plainOutput()).not.toContain('Admin API key');
    expect(await viewerRole(baseUrl, token)).toEqual({ role: 'ADMIN', tenant: { name: 'default' } });
    await stop(server);
  });

  it('is strict about webhook URLs in production and says so', { timeout: 60_000 }, async () => {
    const { server } = await start({ NODE_ENV: 'production' });
    expect(bannerValue(server, 'URL policy')).toBe('strict (https, public host names only)');
    await stop(server);
  });

  it('runs only the API with HOOKYARD_ROLE=api', { timeout: 60_000 }, async () => {
    const { server, baseUrl } = await start({ HOOKYARD_ROLE: 'api' });
    expect(bannerValue(server, 'GraphQL')).toBe(`${baseUrl}/graphql (HTTP and graphql-ws)`);
    expect(bannerValue(server, 'worker')).toBeUndefined();
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    await stop(server);
  });

  it('runs only the worker with HOOKYARD_ROLE=worker, listening on no port', { timeout: 60_000 }, async () => {
    const { server, baseUrl } = await start({ HOOKYARD_ROLE: 'worker' });
    expect(bannerValue(server, 'worker')).toBe('running');
    expect(bannerValue(server, 'GraphQL')).toBeUndefined();
    await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
    await stop(server);
  });
});
