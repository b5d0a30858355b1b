// One PostgreSQL for the whole run: DATABASE_URL when set, else an embedded one in a
// temporary folder. Each test file then creates its own database on it.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../schema/runtime/embedded-postgres.ts';
import { createLogger } from '../../schema/runtime/logger.ts';
import { freePort } from './ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

let embedded: EmbeddedDatabase | null = null;
let dataDir: string | null = null;

export async function setup(project: TestProject) {
  let url = process.env.DATABASE_URL;
  if (!url) {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-test-'));
    await fs.chmod(dataDir, 0o755);
    embedded = await startEmbeddedPostgres(dataDir, await freePort(), createLogger('warn'));
    url = embedded.url;
  }
  project.provide('adminDatabaseUrl', url);
}

export async function teardown() {
  await embedded?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
}
