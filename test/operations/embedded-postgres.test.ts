// The embedded PostgreSQL when Hookyard runs as root (in a container, on CI): PostgreSQL
// then runs as the user postgres, which must be able to reach the data folder.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ConfigError } from '../../infra/config.ts';
import { createLogger } from '../../infra/logger.ts';
import { startEmbeddedPostgres } from '../../infra/embedded-postgres.ts';
import { freePort } from '../support/ports.ts';

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
});
