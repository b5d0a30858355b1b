// One PostgreSQL for the whole run: an embedded one in a temporary folder, or the server
// HOOKYARD_TEST_POSTGRES_URL names. Each test file then creates its own databases on it.
// DATABASE_URL is left alone: a developer's own setting must not send tests elsewhere.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../infra/embedded-postgres.ts';
import { redactUrl } from '../../infra/database.ts';
import { createLogger } from '../../infra/logger.ts';
import { freePort } from './ports.ts';
import { ensureDashboardBuilt } from '../../client/scripts/build-dashboard.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

let embedded: EmbeddedDatabase | null = null;
let dataDir: string | null = null;

export async function setup(project: TestProject) {
  // The dashboard is built once, before any test file runs: a build while other files'
  // servers serve client/build would swap its files under their requests.
  ensureDashboardBuilt((line) => console.log(line));
  let url = process.env.HOOKYARD_TEST_POSTGRES_URL;
  // Said out loud, so a run never uses another server without anyone noticing.
  if (url) {
    console.log(`hookyard tests: PostgreSQL from HOOKYARD_TEST_POSTGRES_URL, ${redactUrl(url)}`);
    // Fail once, saying why, rather than in every test file.
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('select 1');
    } catch (error) {
      throw new Error(`HOOKYARD_TEST_POSTGRES_URL: cannot use ${redactUrl(url)} (${(error as Error).message}); fix it, or unset it to test on an embedded PostgreSQL`);
    } finally {
      await client.end().catch(() => undefined);
    }
  } else {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-test-'));
    await fs.chmod(dataDir, 0o755);
    const port = await freePort();
    embedded = await startEmbeddedPostgres(dataDir, port, createLogger('warn'));
    url = embedded.url;
    console.log(`hookyard tests: embedded PostgreSQL on 127.0.0.1:${port} in ${dataDir} (set HOOKYARD_TEST_POSTGRES_URL to use another server)`);
  }
  if (process.env.DATABASE_URL) console.log('hookyard tests: DATABASE_URL is ignored');
  project.provide('adminDatabaseUrl', url);
}

export async function teardown() {
  await embedded?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
}
