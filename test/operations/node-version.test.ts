// One Node 24 everywhere: the `node` package that npm scripts run on, .nvmrc, engines,
// the image's base and @types/node's major must name the same release; the image starts
// with npm start's V8 flags.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { START_FLAGS } from '../support/processes.ts';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const pinned: string = pkg.devDependencies.node;

describe('the Node version', () => {
  it('is pinned exactly, to a 24 release', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(lock.packages['node_modules/node'].version).toBe(pinned);
  });

  it('is the same in .nvmrc, engines and the Dockerfile', () => {
    expect(fs.readFileSync('.nvmrc', 'utf8').trim()).toBe(pinned);
    expect(pkg.engines.node).toBe(`>=${pinned} <25`);
    const bases = [...fs.readFileSync('Dockerfile', 'utf8').matchAll(/^FROM node:(\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toBe(`${pinned}-slim`);
  });

  it('starts with the same V8 flags in the image as with npm start (and in the tests)', () => {
    expect(START_FLAGS).toContain('--max-semi-space-size=8');
    const cmd = /^CMD (\[.*\])$/m.exec(fs.readFileSync('Dockerfile', 'utf8'));
    expect(cmd).not.toBeNull();
    expect(JSON.parse(cmd![1])).toEqual(['node', ...START_FLAGS, 'start.ts']);
  });

  it("matches @types/node's major", () => {
    expect(pkg.devDependencies['@types/node'].split('.')[0]).toBe(pinned.split('.')[0]);
  });

  it('is the one the tests run on (npm scripts put the package first on PATH)', () => {
    expect(process.version).toBe(`v${pinned}`);
  });
});
