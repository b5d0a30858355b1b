// Hookyard as real OS processes (`node start.ts`), for what only a process shows: a
// SIGKILL mid-delivery, a graceful SIGTERM, a process that must survive its database
// connections being cut. Each process is spawned with exactly the environment given.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The V8 flags `npm start` runs Hookyard with (package.json's start script), so tests and benches run what ships. */
export const START_FLAGS: string[] = (() => {
  const script: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const flags = /\bnode((?:\s+--\S+)*)\s+start\.ts\b/.exec(script);
  if (!flags) throw new Error(`package.json's start script does not run \`node [flags] start.ts\`: ${script}`);
  return flags[1].trim().split(/\s+/).filter(Boolean);
})();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface HookyardProcess {
  child: ChildProcess;
  pid: number;
  /** everything written to stdout so far (the banner and JSON log lines) */
  stdout(): string;
  stderr(): string;
  /** the parsed JSON log records so far */
  logs(): Record<string, unknown>[];
  /** resolves when the process has exited */
  exited: Promise<Exit>;
  alive(): boolean;
  /** resolves once the start banner is printed; rejects with the output if the process ends first */
  ready(timeoutMs?: number): Promise<void>;
  /** resolves with the first stdout/stderr line matching `pattern` */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  /** resolves with the exit, or null when the process is still running after `timeoutMs` */
  waitExit(timeoutMs: number): Promise<Exit | null>;
  /** SIGTERM, then SIGKILL if still running after `graceMs`; resolves with the exit */
  stop(graceMs?: number): Promise<Exit>;
}

/**
 * Spawns `node [START_FLAGS] start.ts` with the node running this code (Node 24 under vitest). Only
 * PATH and `env` reach it, so nothing leaks in from the test run's environment.
 */
export function spawnHookyard(env: Record<string, string>, args: string[] = []): HookyardProcess {
  const child = spawn(process.execPath, [...START_FLAGS, ...args, 'start.ts'], {
    cwd: ROOT,
    // Mail off unless asked: parallel processes would all want port 2525.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LOG_LEVEL: 'info', HOOKYARD_SMTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const lineWaiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of lineWaiters) waiter();
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), wake()));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), wake()));
  let exit: Exit | null = null;
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
      wake();
    }),
  );

  const describe = () => `\nstdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`;

  function waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const find = () => `${stdout}\n${stderr}`.split('\n').find((line) => pattern.test(line));
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = find();
        if (line !== undefined) return done(() => resolve(line));
        if (exit) return done(() => reject(new Error(`the process exited (${JSON.stringify(exit)}) before printing ${pattern}${describe()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms${describe()}`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        lineWaiters.delete(check);
        settle();
      };
      lineWaiters.add(check);
      check();
    });
  }

  async function waitExit(timeoutMs: number): Promise<Exit | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    const result = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    return result;
  }

  return {
    child,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    exited,
    alive: () => exit === null,
    async ready(timeoutMs = 60_000) {
      await waitForLine(/^Hookyard \(role: /, timeoutMs);
      // The banner is one write; give a pipe that split it a moment to deliver the rest.
      await new Promise((r) => setTimeout(r, 50));
    },
    waitForLine,
    kill(signal) {
      if (exit === null) child.kill(signal);
    },
    waitExit,
    async stop(graceMs = 15_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      const result = await waitExit(graceMs);
      if (result) return result;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Spawns a Hookyard process and waits for its start banner. */
export async function startHookyardProcess(env: Record<string, string>, args: string[] = []): Promise<HookyardProcess> {
  const started = spawnHookyard(env, args);
  try {
    await started.ready();
  } catch (error) {
    started.kill('SIGKILL');
    throw error;
  }
  return started;
}
