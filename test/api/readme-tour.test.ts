// The README's first screen and its five-minute tour, run for real: the tour's shell
// blocks go through bash (curl and jq) against a running Hookyard.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { WEBHOOK } from '../support/fixtures.ts';
import { freePort } from '../support/ports.ts';

const README = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The body of the `## heading` section, up to the next `## `. */
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

function shellBlocks(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README.md', () => {
  it('says what Hookyard is and gives the two commands on its first screen', () => {
    const firstScreen = README.split('\n').slice(0, 20).join('\n');
    expect(firstScreen).toMatch(/^# Hookyard\n\nHookyard is a self-hosted webhook platform/);
    expect(firstScreen).toContain('npm install && npm start');
    expect(firstScreen).toContain('npm test');
  });

  describe('the five-minute tour', () => {
    let hy: TestHookyard;
    let output: { stdout: string; stderr: string };
    const blocks = shellBlocks(section('Five-minute tour'));

    beforeAll(async () => {
      for (const tool of ['curl', 'jq']) {
        await promisify(execFile)('bash', ['-c', `command -v ${tool}`]).catch(() => {
          throw new Error(`the README tour uses ${tool}; install it to run this test`);
        });
      }
      // The mail step sends to the SMTP listener; its port here is a free one, given as SMTP.
      const smtpPort = await freePort();
      hy = await startTestHookyard({ HOOKYARD_SMTP_PORT: String(smtpPort) });
      // The first block only points the shell at the server; the test sets the same variables.
      const script = ['set -euo pipefail', ...blocks.slice(1)].join('\n');
      output = await promisify(execFile)('bash', ['--norc', '--noprofile', '-c', script], {
        env: { PATH: process.env.PATH, HOOKYARD: `${hy.baseUrl}/graphql`, TOKEN: hy.adminToken, SMTP: `smtp://127.0.0.1:${smtpPort}` },
      });
    }, 60_000);

    afterAll(async () => {
      await hy?.stop();
    });

    it('starts by setting HOOKYARD and TOKEN, the only variables the rest needs from the reader', () => {
      const names = [...blocks[0].matchAll(/^export (\w+)=/gm)].map((m) => m[1]);
      expect(names).toEqual(['HOOKYARD', 'TOKEN']);
      expect(blocks[0]).toContain('http://localhost:4000/graphql');
    });

    it('runs from start to end without a GraphQL error', () => {
      expect(output.stdout + output.stderr).not.toMatch(/"errors"/);
      expect(output.stdout).toMatch(/^int_[0-9A-Z]{26}$/m);
    });

    it('prints what its comments say it prints', () => {
      const promised = blocks.flatMap((block) => block.split('\n').filter((line) => line.startsWith('# {')).map((line) => line.slice(2)));
      expect(promised.length).toBeGreaterThanOrEqual(2);
      for (const line of promised) {
        // `...` in a comment stands for an id or a value that differs on each run.
        const pattern = line.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^"]*');
        expect(output.stdout, line).toMatch(new RegExp(pattern));
      }
    });

    it('leaves the integrator, the event types, a deleted webhook with its whole history, and the relay the inbound step fed', async () => {
      const { data } = await hy.admin(`{
        integrators { edges { node { name contactEmail } } }
        eventTypes { edges { node { name schema } } }
        webhooks { edges { node { ${WEBHOOK} } } }
      }`);
      expect(data.integrators.edges).toEqual([{ node: { name: 'Acme Accounting', contactEmail: 'ops@acme.example' } }]);
      expect(data.eventTypes.edges).toEqual([
        { node: { name: 'invoice.mailed', schema: null } },
        { node: { name: 'invoice.created', schema: { type: 'object', required: ['id', 'total'] } } },
      ]);
      const webhook = data.webhooks.edges.map((e: any) => e.node).find((w: any) => w.name === 'Ledger sync');
      expect(webhook).toMatchObject({ name: 'Ledger sync', url: 'https://example.com/webhooks', eventTypes: ['invoice.created'], status: 'DELETED' });
      expect(webhook.history.map((h: any) => [h.toStatus, h.reason])).toEqual([
        ['ACTIVE', 'created'],
        ['PAUSED', 'Acme is migrating its ledger'],
        ['ACTIVE', 'resumed'],
        ['DELETED', 'Acme left'],
      ]);
      expect(output.stdout).toContain('"secret": "whsec_');
      expect(data.webhooks.edges.map((e: any) => [e.node.name, e.node.status])).toEqual([
        ['Ledger relay', 'ACTIVE'],
        ['Ledger sync', 'DELETED'],
      ]);
      expect(output.stdout).toMatch(/^Accepted$/m);
      expect(output.stdout).toMatch(/^[0-9a-f]{48}@localhost$/m);
    });
  });
});
