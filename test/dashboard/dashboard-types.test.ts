// The dashboard is typed against the printed schema: its GraphQL operations validate
// against schema/schema.graphql (the generator refuses them otherwise) and every
// screen type-checks against the generated result types.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withLock } from '../../client/scripts/build-dashboard.ts';
import { writeGenerated } from '../../client/scripts/generate-graphql.ts';

const client = fileURLToPath(new URL('../../client/', import.meta.url));
const require = createRequire(import.meta.url);

function run(bin: string, args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: client, encoding: 'utf8' });
}

describe('the dashboard’s types', () => {
  it('validates its operations against schema/schema.graphql and type-checks with svelte-check', () => {
    // The build of another test file writes the same folders: take turns.
    const result = withLock(() => {
      writeGenerated();
      const kit = path.join(path.dirname(require.resolve('@sveltejs/kit/package.json')), 'svelte-kit.js');
      const sync = run(kit, ['sync']);
      if (sync.status !== 0) return sync;
      return run(path.join(path.dirname(require.resolve('svelte-check/package.json')), 'bin/svelte-check'), ['--tsconfig', './tsconfig.json', '--output', 'machine']);
    });
    const diagnostics = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /\b(ERROR|WARNING)\b/.test(line));
    expect(diagnostics).toEqual([]);
    expect(result.status).toBe(0);
  }, 180_000);
});
