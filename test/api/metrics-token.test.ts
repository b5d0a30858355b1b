// /metrics behind HOOKYARD_METRICS_TOKEN (Bearer), on the API and on a worker-only
// process's own port; open when the token is unset.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { freePort } from '../support/ports.ts';
import { startHookyardProcess } from '../support/processes.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

async function scrape(url: string, authorization?: string) {
  const response = await fetch(url, { headers: authorization ? { authorization } : {} });
  return { status: response.status, text: await response.text(), challenge: response.headers.get('www-authenticate') };
}

async function expectProtected(url: string) {
  for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
    const refused = await scrape(url, authorization);
    expect(refused.status, String(authorization)).toBe(401);
    expect(refused.challenge).toMatch(/^Bearer/);
    expect(refused.text).not.toContain('hookyard_');
  }
  for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`]) {
    const allowed = await scrape(url, authorization);
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('# TYPE hookyard_attempts_total counter');
  }
}

describe('/metrics without HOOKYARD_METRICS_TOKEN', () => {
  const hy = useTestHookyard();
  it('is open', async () => {
    expect((await scrape(`${hy.baseUrl}/metrics`)).status).toBe(200);
  });
});

describe('/metrics with HOOKYARD_METRICS_TOKEN', () => {
  const hy = useTestHookyard({ HOOKYARD_METRICS_TOKEN: TOKEN });

  it('answers 401 without the exact Bearer token and the metrics with it', async () => {
    await expectProtected(`${hy.baseUrl}/metrics`);
  });

  it('leaves the other routes as they were', async () => {
    expect((await fetch(`${hy.baseUrl}/healthz`)).status).toBe(200);
    expect((await hy.admin('{ viewer { role } }')).data.viewer.role).toBe('ADMIN');
  });

  it('protects a worker-only process\'s metrics port too', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hookyard-worker-metrics-'));
    const worker = await startHookyardProcess({
      HOOKYARD_ROLE: 'worker',
      DATABASE_URL: hy.databaseUrl,
      HOOKYARD_METRICS_PORT: String(port),
      HOOKYARD_METRICS_TOKEN: TOKEN,
      HOOKYARD_ADMIN_TOKEN: hy.adminToken,
      HOOKYARD_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    });
    try {
      await expectProtected(`http://127.0.0.1:${port}/metrics`);
    } finally {
      await worker.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
