// The tree's layers only point down (README, "Where things are"): api/ and worker/ never
// import each other, core/ imports neither, infra/ imports nothing of Hookyard's, the
// data model (schema/entities, schema/migrations) imports no API contract, and no module
// imports itself through a cycle. Read from the sources, so a new file is covered at once.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const FOLDERS = ['api', 'worker', 'core', 'infra', 'schema'];
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...FOLDERS.map((f) => `${f}/*.ts`), 'start.ts'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .filter((file) => fs.existsSync(file));
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
const imports = new Map(
  files.map((file) => {
    const source = fs.readFileSync(file, 'utf8');
    return [file, [...source.matchAll(IMPORT)].map((m) => path.normalize(path.join(path.dirname(file), m[2]))).filter((target) => target.endsWith('.ts'))];
  }),
);

/** Which folders each folder may import (its own always). */
const MAY_IMPORT: Record<string, string[]> = {
  api: ['core', 'infra', 'schema'],
  worker: ['core', 'infra', 'schema'],
  core: ['infra', 'schema/entities'],
  infra: [],
  'schema/entities': [],
  'schema/migrations': [],
  schema: ['core', 'infra', 'schema/entities', 'schema/migrations'],
};

function area(file: string): string {
  if (file.startsWith('schema/entities/')) return 'schema/entities';
  if (file.startsWith('schema/migrations/')) return 'schema/migrations';
  return file.split('/')[0];
}

describe('the layers', () => {
  it('reads the sources it checks', () => {
    expect(files).toContain('start.ts');
    expect(files.filter((f) => f.startsWith('core/sql/')).length).toBeGreaterThan(5);
  });

  it('only point down', () => {
    const wrong: string[] = [];
    for (const [file, targets] of imports) {
      const from = area(file);
      if (!(from in MAY_IMPORT)) continue;
      for (const target of targets) {
        if (area(target) === from) continue;
        if (!MAY_IMPORT[from].some((allowed) => target === allowed || target.startsWith(`${allowed}/`))) wrong.push(`${file} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('have no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      stack.push(file);
      for (const target of imports.get(file) ?? []) {
        if (!imports.has(target)) continue;
        if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target].join(' -> '));
        else if (!state.has(target)) visit(target);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of imports.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('keep SQL text out of services, resolvers, handlers and the worker loop', () => {
    const STATEMENT = /['`]\s*(select|insert into|update \w+ set|delete from|with \w+ as)\b/i;
    const offenders = files.filter((file) => /^(api|worker|core)\//.test(file) && !file.startsWith('core/sql/') && STATEMENT.test(fs.readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
