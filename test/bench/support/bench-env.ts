// What every benchmark needs around it: a PostgreSQL (DATABASE_URL's server, else an
// embedded one in a temporary folder) with a fresh database, the receiver in its own
// process (and the OTLP sink), and cleanup that runs however the bench ends.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../../infra/embedded-postgres.ts';
import { createLogger } from '../../../infra/logger.ts';
import { freePort } from '../../support/ports.ts';

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];

/** Registers `fn` to run (last registered first) when the bench finishes or fails. */
export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (error) {
      console.error(`cleanup: ${(error as Error).message}`);
    }
  }
}

/** Runs `main`, cleans up, and exits 1 when it threw (a broken run), else 0. */
export async function runBench(name: string, main: () => Promise<void>): Promise<void> {
  let failed = false;
  const interrupted = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', interrupted);
  try {
    await main();
  } catch (error) {
    failed = true;
    const cause = (error as Error).cause;
    console.error(`${name}: broken run: ${(error as Error).stack ?? error}${cause ? `\ncaused by: ${(cause as Error).stack ?? cause}` : ''}`);
  } finally {
    await cleanup();
  }
  process.exit(failed ? 1 : 0);
}

/**
 * A fresh, empty database: on DATABASE_URL's server when set (dropped at the end), else
 * on an embedded PostgreSQL in a temporary folder (removed at the end). `statementStats`
 * loads pg_stat_statements into the embedded server (DATABASE_URL's must have it already).
 */
export async function benchDatabase(options: { statementStats?: boolean } = {}): Promise<{ url: string; where: string; postgresPid: number | null; statementStats: boolean }> {
  let serverUrl = process.env.DATABASE_URL;
  let where = 'DATABASE_URL';
  let postgresPid: number | null = null;
  if (!serverUrl) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-bench-'));
    // initdb runs as the postgres user when this runs as root.
    await fs.chmod(dir, 0o755);
    onCleanup(() => fs.rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    let embedded = await startEmbeddedPostgres(dir, port, createLogger('warn'));
    if (options.statementStats) {
      // pg_stat_statements must be loaded at server start.
      const admin = new pg.Client({ connectionString: embedded.url });
      await admin.connect();
      await admin.query(`alter system set shared_preload_libraries = 'pg_stat_statements'`);
      // Planning counts too: unnamed statements are planned at every execution.
      await admin.query(`alter system set pg_stat_statements.track_planning = on`);
      await admin.end();
      await embedded.stop();
      embedded = await startEmbeddedPostgres(dir, port, createLogger('warn'));
    }
    const running = embedded;
    onCleanup(() => running.stop());
    serverUrl = embedded.url;
    where = 'embedded PostgreSQL';
    postgresPid = Number((await fs.readFile(path.join(dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]) || null;
  }
  const name = `hy_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  // BENCH_KEEP_DATABASE=1 (with DATABASE_URL) leaves the seeded database for EXPLAIN afterwards.
  const keep = process.env.BENCH_KEEP_DATABASE === '1' && where === 'DATABASE_URL';
  if (keep) console.log(`keeping database ${name} (BENCH_KEEP_DATABASE=1): drop it when done`);
  else onCleanup(async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let statementStats = false;
  if (options.statementStats) {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    statementStats = await client.query('create extension if not exists pg_stat_statements').then(() => true, () => false);
    await client.end();
  }
  return { url: url.toString(), where, postgresPid, statementStats };
}

/** Starts support/receiver.ts in its own process; resolves with its URL. */
export async function startReceiverProcess(): Promise<{ url: string; child: ChildProcess }> {
  const { port, child } = await startListeningProcess('receiver.ts');
  return { url: `http://127.0.0.1:${port}/hook`, child };
}

/** Starts support/otlp-sink.ts in its own process; resolves with its OTLP endpoint and a reader of its span counts. */
export async function startOtlpSinkProcess(): Promise<{ endpoint: string; child: ChildProcess; counts(): Promise<OtlpSinkCounts> }> {
  const { port, child } = await startListeningProcess('otlp-sink.ts');
  const endpoint = `http://127.0.0.1:${port}`;
  return { endpoint, child, counts: async () => (await fetch(`${endpoint}/counts`)).json() as Promise<OtlpSinkCounts> };
}

/** What the OTLP sink received so far: exports, their bytes, and spans by "service name". */
export type OtlpSinkCounts = { exports: number; bytes: number; spans: Record<string, number> };

/** Spawns a support script that prints "listening <port>"; it is stopped at cleanup. */
async function startListeningProcess(file: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, file)], { stdio: ['ignore', 'pipe', 'inherit'] });
  onCleanup(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before listening`)));
  });
  return { port, child };
}

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Prints rows as an aligned table. */
export function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const [n, row] of rows.entries()) {
    console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Samples what the database is doing (pg_stat_activity, every `everyMs`) until stopped:
 * a poor man's profile of PostgreSQL time by statement. `stop()` returns the top
 * statements with their share of the samples in which something was active.
 */
export function sampleActivity(url: string, everyMs = 5): { stop(): Promise<{ share: number; waits: string; query: string }[]> } {
  const client = new pg.Client({ connectionString: url });
  const counts = new Map<string, { n: number; waits: Map<string, number> }>();
  let samples = 0;
  let running = true;
  const done = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ query: string; wait: string | null }>(
        `select query, wait_event_type || ':' || wait_event as wait from pg_stat_activity
          where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`,
      );
      samples++;
      for (const row of rows) {
        const key = row.query.replace(/\s+/g, ' ').trim().slice(0, 110);
        const entry = counts.get(key) ?? { n: 0, waits: new Map() };
        entry.n++;
        const wait = row.wait ?? 'CPU';
        entry.waits.set(wait, (entry.waits.get(wait) ?? 0) + 1);
        counts.set(key, entry);
      }
      await sleep(everyMs);
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await done;
      return [...counts]
        .sort((a, b) => b[1].n - a[1].n)
        .slice(0, 12)
        .map(([query, { n, waits }]) => ({
          share: n / samples,
          waits: [...waits].sort((a, b) => b[1] - a[1]).map(([w, c]) => `${w} ${Math.round((100 * c) / n)}%`).join(', '),
          query,
        }));
    },
  };
}

/** The statements that took the most time since the last reset (pg_stat_statements), then resets. */
export async function topStatements(url: string, limit = 12): Promise<{ share: number; calls: number; meanMs: number; planMs: number; plans: number; query: string }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ total: number; calls: string; mean: number; plan: number; plans: string; query: string }>(
      `select total_exec_time + total_plan_time as total, calls, mean_exec_time as mean, mean_plan_time as plan, plans, query from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) order by total_exec_time + total_plan_time desc`,
    );
    await client.query('select pg_stat_statements_reset()');
    const all = rows.reduce((sum, r) => sum + r.total, 0);
    return rows.slice(0, limit).map((r) => ({ share: r.total / all, calls: Number(r.calls), meanMs: r.mean, planMs: r.plan, plans: Number(r.plans), query: r.query.replace(/\s+/g, ' ').trim().slice(0, 110) }));
  } finally {
    await client.end();
  }
}
