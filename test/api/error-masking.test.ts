// Expected failures are typed results; anything else reaches the client as a generic
// error, with the details in the server log only.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { startHookyard, type Running } from '../../start.ts';
import { createTestDatabase } from '../support/database.ts';
import { gqlClient, type GqlClient } from '../support/graphql.ts';
import { run } from '../support/fixtures.ts';
import { sql } from '../support/sql.ts';

describe('unexpected errors', () => {
  const logged: any[] = [];
  let running: Running;
  let admin: GqlClient;
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-data-'));
    const config = loadConfig({ DATABASE_URL: database.url, HOOKYARD_DATA_DIR: dataDir, PORT: '0', HOOKYARD_SMTP_PORT: '0', LOG_LEVEL: 'warn' });
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    running = await startHookyard(config, log);
    admin = gqlClient(running.baseUrl!, running.generatedToken!);
    // Break the database under the server: every event type query now fails inside PostgreSQL.
    await sql(database.url, 'alter table event_type rename to event_type_gone');
  });

  afterAll(async () => {
    await running?.stop();
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('masks a failing query for the client and logs what happened', async () => {
    const response = await admin('{ eventTypes { totalCount } }');
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(response)).not.toMatch(/event_type|relation|select|stack/i);
    const entry = logged.find((l) => l.msg === 'unexpected error in a GraphQL operation' && /event_type/.test(l.err?.message));
    expect(entry, JSON.stringify(logged)).toBeDefined();
    expect(entry.err.stack).toBeDefined();
  });

  it('masks a failing mutation the same way instead of returning it as a typed error', async () => {
    const response = await admin('mutation { registerEventType(input: { name: "invoice.created" }) { __typename ... on Error { message } } }');
    expect(response.errors?.[0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(response)).not.toMatch(/event_type|relation/i);
  });

  it('still answers expected failures as typed results', async () => {
    expect(await run(admin, 'createIntegrator', { name: '' })).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'input.name' });
  });
});
