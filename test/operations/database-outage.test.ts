// While PostgreSQL cannot be reached, Hookyard says so: GraphQL and the exports answer
// 503 with the code UNAVAILABLE and a Retry-After, health answers 503, no internal error
// is masked as a bug; once PostgreSQL is back everything serves again without a restart.
// PostgreSQL here is a cluster of this test's own (the suite's is never stopped).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../infra/embedded-postgres.ts';
import { loadConfig } from '../../infra/config.ts';
import { createLogger } from '../../infra/logger.ts';
import { startHookyard, type Running } from '../../start.ts';
import { createIntegrator, createWebhookSetup, publish } from '../support/fixtures.ts';
import { gqlClient } from '../support/graphql.ts';
import { freePort } from '../support/ports.ts';
import { eventually, startReceiver, type Receiver } from '../support/receiver.ts';

const TOKEN = 'hy_outage_test_admin_token_0123456789';

describe('a database outage', () => {
  let pgDataDir: string;
  let hookyardDataDir: string;
  let pgPort: number;
  let database: EmbeddedDatabase | null = null;
  let running: Running;
  let baseUrl: string;
  let receiver: Receiver;
  const log = createLogger('silent');

  beforeAll(async () => {
    pgDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-outage-pg-'));
    // Under root PostgreSQL runs as the user postgres, who must be able to enter it.
    await fs.chmod(pgDataDir, 0o755);
    hookyardDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-outage-'));
    pgPort = await freePort();
    database = await startEmbeddedPostgres(pgDataDir, pgPort, log);
    const config = loadConfig({ DATABASE_URL: database.url, HOOKYARD_DATA_DIR: hookyardDataDir, PORT: '0', HOOKYARD_SMTP_PORT: '0', HOOKYARD_URL_POLICY: 'permissive', HOOKYARD_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'silent' });
    running = await startHookyard(config, log);
    baseUrl = running.baseUrl!;
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await running?.stop();
    await database?.stop();
    await fs.rm(pgDataDir, { recursive: true, force: true });
    await fs.rm(hookyardDataDir, { recursive: true, force: true });
  });

  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const graphql = (query: string) => fetch(`${baseUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });

  it('answers 503 UNAVAILABLE with Retry-After while PostgreSQL is down, and serves again once it is back, without a restart', { timeout: 120_000 }, async () => {
    const admin = gqlClient(baseUrl, TOKEN);
    expect((await admin('{ viewer { role } }')).data).toEqual({ viewer: { role: 'ADMIN' } });

    await database!.stop();
    database = null;

    const read = await graphql('{ viewer { role } }');
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('5');
    const readBody = await read.text();
    expect(JSON.parse(readBody).errors[0].extensions.code).toBe('UNAVAILABLE');
    expect(JSON.parse(readBody).errors[0].message).toMatch(/database is unavailable; try again/);
    expect(readBody).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+|select /i);

    const write = await graphql('mutation { createIntegrator(input: { name: "written during the outage" }) { __typename } }');
    expect(write.status).toBe(503);
    expect((await write.json()).errors[0].extensions.code).toBe('UNAVAILABLE');

    const csv = await fetch(`${baseUrl}/export/deliveries.csv`, { headers });
    expect(csv.status).toBe(503);
    expect(csv.headers.get('retry-after')).toBe('5');
    expect((await csv.json()).error.code).toBe('UNAVAILABLE');

    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(503);

    database = await startEmbeddedPostgres(pgDataDir, pgPort, log);

    await eventually(async () => (await graphql('{ viewer { role } }')).status === 200, 30_000, 'GraphQL to answer again');
    await eventually(async () => (await fetch(`${baseUrl}/healthz`)).status === 200, 30_000, 'health to be ok again');
    // Nothing of the refused write was kept, and writes work again.
    const integrators = await admin('{ integrators(first: 100) { edges { node { name } } } }');
    expect(integrators.data.integrators.edges.map((e: any) => e.node.name)).not.toContain('written during the outage');
    await createIntegrator(admin, { name: 'after the outage' });
    // The worker and its queue came back too: a new event is delivered.
    const { eventType } = await createWebhookSetup(admin, receiver.url);
    await publish(admin, { type: eventType, payload: { after: 'outage' } });
    await receiver.waitFor(1);
    expect(JSON.parse(receiver.requests[0].body).data).toEqual({ after: 'outage' });
  });
});
