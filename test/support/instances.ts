import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config.ts';
import { createLogger } from '../../infra/logger.ts';
import { startHookyard, type Running } from '../../start.ts';
import { createTestDatabase } from './database.ts';

/**
 * One test database that several Hookyard instances start on, one after another or
 * together, as separate processes would. `stopAll` ends them; `drop` cleans up.
 */
export async function sharedDatabase() {
  const database = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-shared-'));
  const running: Running[] = [];
  return {
    url: database.url,
    running,
    async start(env: Record<string, string> = {}): Promise<Running> {
      const config = loadConfig({
        DATABASE_URL: database.url,
        HOOKYARD_DATA_DIR: dataDir,
        PORT: '0',
        HOOKYARD_SMTP_PORT: '0',
        LOG_LEVEL: 'warn',
        ...env,
      });
      const instance = await startHookyard(config, createLogger(config.logLevel));
      running.push(instance);
      return instance;
    },
    async stopAll() {
      for (const instance of running.splice(0).reverse()) await instance.stop();
    },
    async drop() {
      await this.stopAll();
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
