// The real server as a child process (`node start.ts`), for what only a process shows:
// the start banner, exit codes, signals and the embedded PostgreSQL's lifetime.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The process's lines that are not JSON log records: the banner and messages. */
  plainOutput(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the banner is printed, or rejects with the output when the process ends first. */
  ready(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `node start.ts` with the node that runs the tests (Node 24) in its own process
 * group, so a test can signal it the way a terminal's Ctrl-C does. Only `env`, PATH and
 * HOME reach it: no DATABASE_URL or NODE_ENV leaks in from the test run. `root` is the
 * checkout to run it from. With `via: 'npm'` it is `npm start` (without the prestart
 * dashboard build), and `child` is the npm process, as a supervisor would hold it.
 */
export function startServerProcess(env: Record<string, string>, root = ROOT, via: 'node' | 'npm' = 'node'): ServerProcess {
  // npm_execpath names the npm that runs the tests (npm test, npx vitest).
  const [command, args] = via === 'node' ? [process.execPath, ['start.ts']] : process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath, 'start', '--ignore-scripts']] : ['npm', ['start', '--ignore-scripts']];
  const child = spawn(command, args, {
    cwd: root,
    // Mail off unless asked: parallel processes would all want port 2525.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), LOG_LEVEL: 'info', HOOKYARD_SMTP_PORT: '0', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const plainOutput = () =>
    stdout
      .split('\n')
      .filter((line) => !line.startsWith('{'))
      .join('\n');
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    plainOutput,
    exited,
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let ended = false;
      void exited.then(() => (ended = true));
      while (!plainOutput().includes('Hookyard (role:')) {
        if (ended) throw new Error(`the server exited before it was ready\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`the server was not ready within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The banner is one write; give a pipe that split it a moment to deliver the rest.
      await new Promise((r) => setTimeout(r, 100));
    },
  };
}

/** Runs start.ts to completion (for configurations that must make it exit). */
export async function runServerProcess(env: Record<string, string>, timeoutMs = 30_000) {
  const server = startServerProcess(env);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), timeoutMs);
  const result = await server.exited;
  clearTimeout(timer);
  return { ...result, stdout: server.stdout(), stderr: server.stderr() };
}

/** Pids of PostgreSQL servers started on `dataDir` (their command line names it). */
export function postgresProcessesOf(dataDir: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('postgres') && line.includes(dataDir))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** Pids of the processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, ppid]) => ppid === pid)
    .map(([child]) => child);
}
