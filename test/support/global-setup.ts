// One PostgreSQL for the whole run: DATABASE_URL when set, else an embedded one in a
// temporary folder. Each test file then creates its own database on it.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { EmbeddedDatabase } from '../../infra/embedded-postgres.ts';
import { createLogger } from '../../infra/logger.ts';
import { freePort } from './ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

let embedded: EmbeddedDatabase | null = null;
let dataDir: string | null = null;

// embedded-postgres registers async-exit-hook on import, whose beforeExit handler calls
// process.exit(0) (hiding vitest's failing exit code) and whose exit handler throws.
// Import it lazily, note the process listeners it adds, and remove them on teardown.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let addedListeners: [string, (...args: unknown[]) => void][] = [];

async function importEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const module = await import('../../infra/embedded-postgres.ts');
  addedListeners = HOOKED_EVENTS.flatMap((e) =>
    process.listeners(e as NodeJS.Signals).filter((l) => !before.get(e)!.has(l)).map((l) => [e, l as (...args: unknown[]) => void] as [string, (...args: unknown[]) => void]),
  );
  return module;
}

export async function setup(project: TestProject) {
  let url = process.env.DATABASE_URL;
  if (!url) {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-test-'));
    await fs.chmod(dataDir, 0o755);
    const { startEmbeddedPostgres } = await importEmbeddedPostgres();
    embedded = await startEmbeddedPostgres(dataDir, await freePort(), createLogger('warn'));
    url = embedded.url;
  }
  project.provide('adminDatabaseUrl', url);
}

export async function teardown() {
  await embedded?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  for (const [event, listener] of addedListeners) process.removeListener(event, listener);
}
