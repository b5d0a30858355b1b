// Builds the dashboard into client/build: generates the GraphQL types, then runs
// `vite build` in client/. With --if-stale (npm's prestart) it builds only when
// client/build is missing or was built from other sources, so `npm start` on a fresh
// clone serves a dashboard without an extra step and a later start costs a hash.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGenerated } from './generate-graphql.ts';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.dirname(clientDir);
const buildDir = path.join(clientDir, 'build');
const stampFile = path.join(buildDir, '.source-hash');
const OUTPUTS = new Set(['build', '.svelte-kit', 'node_modules']);
const TOOLCHAIN = ['@sveltejs/kit', '@sveltejs/adapter-static', '@sveltejs/vite-plugin-svelte', 'svelte', 'vite', '@urql/core', 'graphql-ws', 'chart.js'];

function listSources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !(dir === clientDir && OUTPUTS.has(entry.name)))
    .flatMap((entry) => (entry.isDirectory() ? listSources(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))
    .sort();
}

/** A hash of everything the build reads: client sources, the schema and the toolchain's versions. */
export function sourceHash(): string {
  const hash = crypto.createHash('sha256');
  for (const file of [...listSources(clientDir), path.join(root, 'schema/schema.graphql')]) {
    hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  const { devDependencies = {}, dependencies = {} } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const name of TOOLCHAIN) hash.update(`${name}@${devDependencies[name] ?? dependencies[name] ?? '?'}\0`);
  return hash.digest('hex');
}

export function isBuildFresh(): boolean {
  try {
    return fs.existsSync(path.join(buildDir, 'index.html')) && fs.readFileSync(stampFile, 'utf8') === sourceHash();
  } catch {
    return false;
  }
}

function build(): void {
  writeGenerated();
  let vite: string;
  try {
    // createRequire, not import.meta.resolve: vitest's global setup runs this file without the latter.
    vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin/vite.js');
  } catch {
    throw new Error('the dashboard needs building but vite is not installed: run `npm install` (with dev dependencies) first');
  }
  // SvelteKit reads its project from the working directory, hence cwd: client/.
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: clientDir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status ?? result.signal})`);
  fs.writeFileSync(stampFile, sourceHash());
}

/** Several test files may ask at once: one builds, the others wait for its lock. */
export function withLock<T>(run: () => T): T {
  const lock = path.join(os.tmpdir(), `hookyard-dashboard-build-${crypto.createHash('sha1').update(clientDir).digest('hex').slice(0, 12)}`);
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than the longest build belongs to a process that died.
      const held = fs.statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 5 * 60_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 5 minutes for ${lock}; remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return run();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds unless client/build is already the build of the current sources. */
export function ensureDashboardBuilt(log: (line: string) => void = console.log): void {
  if (isBuildFresh()) return;
  withLock(() => {
    if (isBuildFresh()) return;
    log('dashboard: building client/ (its sources changed since the last build)…');
    const started = Date.now();
    build();
    log(`dashboard: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

if (import.meta.main) {
  try {
    if (process.argv.includes('--if-stale')) ensureDashboardBuilt();
    else withLock(build);
  } catch (error) {
    console.error(`dashboard: ${(error as Error).message}`);
    process.exit(1);
  }
}
