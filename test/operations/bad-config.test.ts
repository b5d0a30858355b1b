// A bad setting ends the process with one line on stderr that names the variable and
// says what to do: no stack trace, no log noise, a non-zero exit code.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { runServerProcess } from '../support/server-process.ts';

const STACK_FRAME = /^\s+at .+(\(|:\d+)/m;

function expectOneClearLine(result: { code: number | null; stdout: string; stderr: string }, variable: string, advice: RegExp) {
  expect(result.code, `stderr: ${result.stderr}`).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^hookyard: ${variable}: `));
  expect(lines[0]).toMatch(advice);
  expect(result.stderr + result.stdout).not.toMatch(STACK_FRAME);
}

describe('bad configuration', () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-badconfig-'));
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** Runs start.ts on the scratch database with `env` on top. */
  async function run(env: Record<string, string>) {
    return runServerProcess({ DATABASE_URL: database.url, HOOKYARD_DATA_DIR: dataDir, PORT: String(await freePort()), ...env });
  }

  it('names HOOKYARD_ROLE when the role is unknown, listing the roles', async () => {
    expectOneClearLine(await run({ HOOKYARD_ROLE: 'web' }), 'HOOKYARD_ROLE', /"web" is not one of all, api, worker/);
  });

  it.each([['abc'], ['70000'], ['-1'], ['40.5']])('names PORT when it is %s', async (port) => {
    expectOneClearLine(await run({ PORT: port }), 'PORT', /not a whole number from 0 to 65535/);
  });

  it('names PORT when the port is in use, and says to pick a free one', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      expectOneClearLine(await run({ PORT: String(port) }), 'PORT', new RegExp(`port ${port} .*in use.*set PORT to a free port`));
    } finally {
      blocker.close();
    }
  });

  it('names DATABASE_URL when it is not a postgres URL', async () => {
    expectOneClearLine(await run({ DATABASE_URL: 'mysql://root@localhost/hookyard' }), 'DATABASE_URL', /postgres(ql)?:\/\/.*or unset it/);
  });

  it('names DATABASE_URL when nothing answers there, and says how to fix it', async () => {
    const closed = await freePort();
    const result = await run({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${closed}/hookyard` });
    expectOneClearLine(result, 'DATABASE_URL', new RegExp(`cannot reach PostgreSQL at 127.0.0.1:${closed}.*unset DATABASE_URL`));
  });

  it('names DATABASE_URL when the database does not exist, and says to create it', async () => {
    const url = new URL(inject('adminDatabaseUrl'));
    url.pathname = '/hookyard_no_such_database';
    expectOneClearLine(await run({ DATABASE_URL: url.toString() }), 'DATABASE_URL', /database hookyard_no_such_database does not exist.*create it/);
  });

  it('names HOOKYARD_SECRET_KEY when it is not 32 bytes, without echoing the value', async () => {
    const result = await run({ HOOKYARD_SECRET_KEY: 'hunter2-is-not-a-key' });
    expectOneClearLine(result, 'HOOKYARD_SECRET_KEY', /32 bytes.*openssl rand -base64 32/);
    expect(result.stderr + result.stdout).not.toContain('hunter2');
  });

  it('names HOOKYARD_URL_POLICY when it is neither strict nor permissive', async () => {
    expectOneClearLine(await run({ HOOKYARD_URL_POLICY: 'lax' }), 'HOOKYARD_URL_POLICY', /"lax" is not one of strict, permissive/);
  });

  it.each([['0'], ['many']])('names HOOKYARD_WEBHOOK_LIMIT when it is %s', async (limit) => {
    expectOneClearLine(await run({ HOOKYARD_WEBHOOK_LIMIT: limit }), 'HOOKYARD_WEBHOOK_LIMIT', /whole number from 1 to/);
  });

  it('names LOG_LEVEL when it is unknown', async () => {
    expectOneClearLine(await run({ LOG_LEVEL: 'loud' }), 'LOG_LEVEL', /"loud" is not one of fatal, error, warn, info, debug, trace, silent/);
  });

  it('names HOOKYARD_DATA_DIR when it is a file, not a folder', async () => {
    const file = path.join(dataDir, 'not-a-folder');
    await fs.writeFile(file, '');
    const result = await runServerProcess({ HOOKYARD_DATA_DIR: file, PORT: String(await freePort()), HOOKYARD_EMBEDDED_PG_PORT: String(await freePort()) });
    expectOneClearLine(result, 'HOOKYARD_DATA_DIR', new RegExp(`${file}.*folder`));
  });

  it('names HOOKYARD_DATA_DIR when the secret key cannot be kept there', async () => {
    const file = path.join(dataDir, 'also-not-a-folder');
    await fs.writeFile(file, '');
    expectOneClearLine(await run({ HOOKYARD_DATA_DIR: file }), 'HOOKYARD_DATA_DIR', new RegExp(`${file}.*folder`));
  });

  // PostgreSQL refuses to run as root, so as root the embedded one runs as the user postgres.
  it.runIf(process.getuid?.() === 0)('names HOOKYARD_DATA_DIR when, as root, it lies where the user postgres cannot go', { timeout: 90_000 }, async () => {
    const closed = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-private-'));
    await fs.chmod(closed, 0o700);
    try {
      const result = await runServerProcess({ HOOKYARD_DATA_DIR: path.join(closed, 'data'), PORT: String(await freePort()), HOOKYARD_EMBEDDED_PG_PORT: String(await freePort()) }, 80_000);
      expectOneClearLine(result, 'HOOKYARD_DATA_DIR', new RegExp(`user postgres.*${closed}.*run Hookyard as another user`));
    } finally {
      await fs.rm(closed, { recursive: true, force: true });
    }
  });

  it('names HOOKYARD_EMBEDDED_PG_PORT when the embedded PostgreSQL cannot have its port', { timeout: 90_000 }, async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await runServerProcess({ HOOKYARD_DATA_DIR: dataDir, PORT: String(await freePort()), HOOKYARD_EMBEDDED_PG_PORT: String(port) }, 80_000);
      expectOneClearLine(result, 'HOOKYARD_EMBEDDED_PG_PORT', new RegExp(`port ${port} is in use; set HOOKYARD_EMBEDDED_PG_PORT to a free port`));
    } finally {
      blocker.close();
    }
  });
});
