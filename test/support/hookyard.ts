import fs from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config.ts';
import { createLogger } from '../../infra/logger.ts';
import { startHookyard } from '../../start.ts';
import { createTestDatabase } from './database.ts';
import { gqlClient, type GqlClient } from './graphql.ts';

export interface TestHookyard {
  baseUrl: string;
  databaseUrl: string;
  adminToken: string;
  admin: GqlClient;
  client(token: string): GqlClient;
  stop(): Promise<void>;
}

/**
 * Hookyard in this process (API and worker) on its own fresh database and a free
 * port, with the first-start admin token. Extra environment overrides the defaults.
 */
export async function startTestHookyard(env: Record<string, string> = {}): Promise<TestHookyard> {
  const database = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-data-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    HOOKYARD_DATA_DIR: dataDir,
    PORT: '0',
    // Mail off unless a test asks (HOOKYARD_SMTP_PORT=<free port>): parallel instances would all want 2525.
    HOOKYARD_SMTP_PORT: '0',
    LOG_LEVEL: 'warn',
    HOOKYARD_URL_POLICY: 'permissive',
    ...env,
  });
  const running = await startHookyard(config, createLogger(config.logLevel));
  const adminToken = running.generatedToken ?? env.HOOKYARD_ADMIN_TOKEN;
  if (!running.baseUrl || !adminToken) throw new Error('test Hookyard must run the API and have an admin token');
  const baseUrl = running.baseUrl;
  return {
    baseUrl,
    databaseUrl: database.url,
    adminToken,
    admin: gqlClient(baseUrl, adminToken),
    client: (token) => gqlClient(baseUrl, token),
    async stop() {
      await running.stop();
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A test Hookyard for the enclosing `describe` (or file): started before its first test,
 * stopped after its last. The object it returns reads the running instance.
 */
export function useTestHookyard(env: Record<string, string> = {}): TestHookyard {
  let running: TestHookyard | undefined;
  beforeAll(async () => {
    running = await startTestHookyard(env);
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): TestHookyard => {
    if (!running) throw new Error('the test Hookyard starts in beforeAll: use it inside tests and hooks');
    return running;
  };
  return {
    get baseUrl() {
      return current().baseUrl;
    },
    get databaseUrl() {
      return current().databaseUrl;
    },
    get adminToken() {
      return current().adminToken;
    },
    get admin() {
      return current().admin;
    },
    client: (token) => current().client(token),
    stop: () => current().stop(),
  };
}
